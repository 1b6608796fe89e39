#!/usr/bin/env bash
# The machine services Canopy's tests need, started only when they are not already running.
#
#   scripts/services.sh install-packages  apt-get install PostgreSQL, Redis, Chromium, dnsmasq,
#                                         gettext, WeasyPrint's libraries and poppler-utils
#   scripts/services.sh ensure-gettext    apt-get install gettext (msgfmt, for compilemessages)
#   scripts/services.sh ensure-python     apt-get install python3.11 and its venv support
#   scripts/services.sh ensure-postgres   start PostgreSQL on 127.0.0.1:5432, make sure user
#                                         postgres can connect there without a password and
#                                         that database ${CANOPY_DB_NAME:-canopy} exists
#   scripts/services.sh ensure-redis      start Redis on 127.0.0.1:6379 (no persistence)
#
# Every subcommand is idempotent: it checks first and changes nothing that already works.
set -euo pipefail

PG_HOST=127.0.0.1
PG_PORT=5432
PG_USER=postgres
DB_NAME="${CANOPY_DB_NAME:-canopy}"
REDIS_HOST=127.0.0.1
REDIS_PORT=6379
WAIT_SECONDS=30

SCRIPT_NAME=services
# shellcheck source=scripts/common.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/common.sh"

apt_install() {
    is_root || die "missing packages ($*); install them as root: apt-get install -y $*"
    say "installing $* with apt-get"
    apt_get_install "$@"
}

# Debian puts the server binaries in /usr/lib/postgresql/<version>/bin, not on PATH.
postgres_installed() {
    command -v pg_ctlcluster >/dev/null 2>&1 && command -v pg_isready >/dev/null 2>&1 &&
        compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null
}

install_packages() {
    local missing=()
    postgres_installed || missing+=(postgresql)
    command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1 ||
        missing+=(redis-server)
    command -v chromium >/dev/null 2>&1 || missing+=(chromium)
    # The DNS server the domain-verification tests start (scripts/dns.sh): the binary only,
    # without the dnsmasq package's system service.
    command -v dnsmasq >/dev/null 2>&1 || missing+=(dnsmasq-base)
    # msgfmt and xgettext: compilemessages and makemessages (the German and French catalogues).
    command -v msgfmt >/dev/null 2>&1 || missing+=(gettext)
    # Invoice PDFs: WeasyPrint's libraries (Pango, HarfBuzz's subsetter), and poppler-utils'
    # pdftotext, with which the tests read a PDF's text.
    local lib
    for lib in libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0; do
        dpkg -s "$lib" >/dev/null 2>&1 || missing+=("$lib")
    done
    command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
    if ((${#missing[@]})); then
        apt_install "${missing[@]}"
    fi
}

# `make run` compiles the catalogues and needs nothing else of install-packages.
ensure_gettext() {
    command -v msgfmt >/dev/null 2>&1 || apt_install gettext
}

# For when `python3.11 -m venv` failed: Debian's python3.11 makes a virtualenv with pip only
# once python3.11-venv is installed (it disables ensurepip otherwise).
ensure_python() {
    apt_install python3.11 python3.11-venv
}

# --- PostgreSQL ---------------------------------------------------------------------------

pg_ready() { pg_isready -q -h "$PG_HOST" -p "$PG_PORT"; }

wait_for() {
    local what="$1" deadline=$((SECONDS + WAIT_SECONDS))
    shift
    until "$@"; do
        ((SECONDS < deadline)) || die "$what is not ready after ${WAIT_SECONDS}s"
        sleep 0.5
    done
}

newest_pg_version() {
    ls /usr/lib/postgresql | sort -V | tail -n 1
}

start_postgres() {
    local version
    is_root || die "PostgreSQL is not running on $PG_HOST:$PG_PORT, and only root can start it here"
    if [[ -z $(ls /etc/postgresql 2>/dev/null) ]]; then
        version="$(newest_pg_version)"
        say "no PostgreSQL cluster exists; creating $version/main"
        pg_createcluster "$version" main >&2
    fi
    version="$(ls /etc/postgresql | sort -V | tail -n 1)"
    say "starting PostgreSQL $version/main"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start >&2 ||
        pg_ctlcluster "$version" main start >&2 ||
        service postgresql start >&2 ||
        die "could not start PostgreSQL $version/main"
}

pg_can_connect() {
    psql -w -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -tAc 'select 1' >/dev/null 2>&1
}

# The tests connect as postgres@127.0.0.1 without a password (DATABASE_URL in the Makefile).
# A fresh Debian install asks for one over TCP; on this test machine, trust the loopback for
# that one user, the same setup CI images use.
allow_local_postgres_user() {
    local hba version
    is_root || die "cannot connect to PostgreSQL as $PG_USER on $PG_HOST without a password"
    version="$(ls /etc/postgresql | sort -V | tail -n 1)"
    hba="/etc/postgresql/$version/main/pg_hba.conf"
    [[ -f $hba ]] || die "cannot find $hba"
    if ! grep -q '# canopy: trust loopback for postgres' "$hba"; then
        say "allowing $PG_USER on 127.0.0.1/::1 without a password in $hba (test machine)"
        {
            echo '# canopy: trust loopback for postgres (test machine; see scripts/services.sh)'
            echo "host all $PG_USER 127.0.0.1/32 trust"
            echo "host all $PG_USER ::1/128 trust"
            cat "$hba"
        } >"$hba.new"
        chown --reference="$hba" "$hba.new"
        chmod --reference="$hba" "$hba.new"
        mv "$hba.new" "$hba"
    fi
    runuser -u postgres -- psql -q -c 'select pg_reload_conf()' >/dev/null
    wait_for "PostgreSQL login as $PG_USER" pg_can_connect
}

ensure_postgres() {
    postgres_installed || die "PostgreSQL is not installed (run: $0 install-packages)"
    if ! pg_ready; then
        start_postgres
        wait_for "PostgreSQL on $PG_HOST:$PG_PORT" pg_ready
    fi
    pg_can_connect || allow_local_postgres_user
    local exists
    exists="$(psql -w -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -tAc \
        "select 1 from pg_database where datname = '$DB_NAME'")"
    if [[ $exists != 1 ]]; then
        say "creating database $DB_NAME"
        createdb -w -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" "$DB_NAME"
    fi
    say "PostgreSQL ready on $PG_HOST:$PG_PORT (database $DB_NAME)"
}

# --- Redis --------------------------------------------------------------------------------

redis_ready() {
    [[ $(redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]]
}

ensure_redis() {
    command -v redis-server >/dev/null 2>&1 || die "Redis is not installed (run: $0 install-packages)"
    if redis_ready; then
        say "Redis ready on $REDIS_HOST:$REDIS_PORT"
        return 0
    fi
    is_root || die "Redis is not running on $REDIS_HOST:$REDIS_PORT, and only root can start it here"
    say "starting Redis"
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" \
        --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log >&2 ||
        service redis-server start >&2 ||
        die "could not start Redis"
    wait_for "Redis on $REDIS_HOST:$REDIS_PORT" redis_ready
    say "Redis ready on $REDIS_HOST:$REDIS_PORT"
}

usage() { usage_lines 2 13; }

main() {
    [[ $# -eq 1 ]] || usage
    case "$1" in
    install-packages) install_packages ;;
    ensure-python) ensure_python ;;
    ensure-gettext) ensure_gettext ;;
    ensure-postgres) ensure_postgres ;;
    ensure-redis) ensure_redis ;;
    *) usage ;;
    esac
}

main "$@"
