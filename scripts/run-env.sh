#!/usr/bin/env bash
# The environment `make run` serves the portal with, as `export` lines for eval:
#
#   eval "$(scripts/run-env.sh <state folder>)"
#
# DEBUG stays off, so no visitor ever sees Django's debug pages (a traceback, the settings,
# the URL list): the portal's own 403/404/500 pages answer, the 500 page with a reference
# that is also in the log. Plain http on 127.0.0.1 still needs cookies without TLS and no
# https redirect or HSTS. Static files come from WhiteNoise (after collectstatic), as in
# production. The signing key is this checkout's own, made once and kept in the state folder.
# A value already in the environment (or .env) wins.
set -euo pipefail

state="${1:?usage: scripts/run-env.sh <state folder>}"
mkdir -p "$state"

emit() { printf 'export %s=%q\n' "$1" "$2"; }

emit DEBUG "${DEBUG:-false}"
emit SECURE_COOKIES "${SECURE_COOKIES:-false}"
emit SECURE_SSL_REDIRECT "${SECURE_SSL_REDIRECT:-false}"
emit SECURE_HSTS_SECONDS "${SECURE_HSTS_SECONDS:-0}"
# E-mail stays on this machine: one file per message in the state folder.
mkdir -p "$state/mail"
emit EMAIL_URL "${EMAIL_URL:-filemail://$(cd "$state" && pwd)/mail}"
if [[ -z ${SECRET_KEY:-} && -z ${SECRET_KEY_FILE:-} ]]; then
    key="$state/secret_key"
    if [[ ! -s $key ]]; then
        (umask 077 && head -c 48 /dev/urandom | base64 | tr -d '\n=' >"$key")
    fi
    emit SECRET_KEY_FILE "$(cd "$state" && pwd)/secret_key"
fi
