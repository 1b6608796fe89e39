#!/usr/bin/env bash
# Canopy's own Samba AD domain controller, for tests, CI and `run` on a laptop.
#
#   scripts/samba-dc.sh install    apt-get install Samba if samba-tool is missing
#   scripts/samba-dc.sh provision  provision the CANOPY.TEST domain (once)
#   scripts/samba-dc.sh start      install + provision if needed, start, wait for LDAPS
#   scripts/samba-dc.sh stop       stop the DC this state dir started (by pid, never by name)
#   scripts/samba-dc.sh status     say whether it runs; exit 0 if it does, 3 if not
#   scripts/samba-dc.sh env        print the DIRECTORY_* settings as shell `export` lines
#   scripts/samba-dc.sh delegate   make the delegated account canopy-service (rights only on
#                                  OU=Tenants, password policies and UPN suffixes; see
#                                  docker/samba-dc/delegate.sh) and print its settings
#
# Everything lives in ${CANOPY_STATE_DIR:-<repo>/.state}/samba: delete that folder (after
# `stop`) to start over with a fresh domain. Every subcommand that changes something holds
# an exclusive flock on <state>/samba/lock, so several processes (pytest-xdist workers,
# a worker and a test run) can call `start` at the same time: one does the work, the
# others wait and then find the DC running.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="${CANOPY_STATE_DIR:-$REPO/.state}/samba"
DC_DIR="$STATE/dc"
CONF="$DC_DIR/etc/smb.conf"
TLS_DIR="$STATE/tls"
PASSWORD_FILE="$STATE/admin-password"
SERVICE_ACCOUNT="canopy-service"
SERVICE_PASSWORD_FILE="$STATE/service-password"
PROVISIONED_MARK="$STATE/provisioned"
LOCK_FILE="$STATE/lock"
LOG_FILE="$STATE/samba-dc.log"
RUN_DIR="$DC_DIR/run"
PID_FILE="$RUN_DIR/samba.pid"

REALM="CANOPY.TEST"
DOMAIN="CANOPY"
BASE_DN="DC=canopy,DC=test"
LDAPS_HOST="127.0.0.1"
LDAPS_PORT=636
START_TIMEOUT=60
PACKAGES=(samba samba-ad-dc winbind krb5-user ldb-tools)

SCRIPT_NAME=samba-dc
# shellcheck source=scripts/common.sh
source "$REPO/scripts/common.sh"

# Serialise every state-changing subcommand. fd 9 must never leak into the samba daemon,
# or the daemon would hold the lock for as long as it runs (see start_dc).
take_lock() {
    mkdir -p "$STATE"
    chmod 700 "$STATE"
    exec 9>"$LOCK_FILE"
    if ! flock -w 900 9; then
        die "timed out waiting for $LOCK_FILE (another samba-dc.sh is stuck?)"
    fi
}

need_root() {
    is_root || die "$1 needs root (Samba's DC runs as root)"
}

is_installed() {
    command -v samba-tool >/dev/null 2>&1 && command -v samba >/dev/null 2>&1
}

do_install() {
    if is_installed; then
        return 0
    fi
    need_root "installing Samba"
    say "installing ${PACKAGES[*]} (about 20 s)"
    apt_get_install "${PACKAGES[@]}"
    is_installed || die "apt-get finished but samba-tool is still missing"
}

# One random character from the set given, from the kernel's CSPRNG.
random_char() {
    local set="$1" n
    n="$(od -An -N4 -tu4 /dev/urandom | tr -d ' \n')"
    printf '%s' "${set:$((n % ${#set})):1}"
}

# 24 random letters/digits plus one guaranteed upper, lower, digit and symbol: satisfies
# AD complexity (3 of 4 classes) with room to spare, and needs no shell quoting.
generate_password() {
    local alnum
    alnum="$(openssl rand -base64 96 | tr -dc 'A-Za-z0-9')"
    [[ ${#alnum} -ge 24 ]] || die "could not read enough random bytes"
    printf '%s%s%s%s%s%s' "${alnum:0:12}" \
        "$(random_char ABCDEFGHJKLMNPQRSTUVWXYZ)" "$(random_char '!#%+-.:=@_')" \
        "${alnum:12:12}" "$(random_char abcdefghijkmnopqrstuvwxyz)" "$(random_char 23456789)"
}

# A small CA and a server certificate naming localhost and 127.0.0.1, so that clients can
# verify the DC (Samba's self-generated certificate names an unresolvable host).
make_tls() {
    local ca_key="$TLS_DIR/ca-key.pem" ext="$TLS_DIR/server.ext"
    rm -rf "$TLS_DIR"
    mkdir -p "$TLS_DIR"
    chmod 700 "$TLS_DIR"
    (
        umask 077
        openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 \
            -keyout "$ca_key" -out "$TLS_DIR/ca.pem" -subj "/CN=Canopy test CA" \
            -addext "basicConstraints=critical,CA:TRUE" \
            -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
        openssl req -newkey rsa:2048 -nodes -sha256 \
            -keyout "$TLS_DIR/key.pem" -out "$TLS_DIR/server.csr" -subj "/CN=localhost" 2>/dev/null
        cat >"$ext" <<'EOF'
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1
authorityKeyIdentifier=keyid,issuer
subjectKeyIdentifier=hash
EOF
        openssl x509 -req -sha256 -days 825 -in "$TLS_DIR/server.csr" -CA "$TLS_DIR/ca.pem" \
            -CAkey "$ca_key" -CAcreateserial -out "$TLS_DIR/cert.pem" -extfile "$ext" 2>/dev/null
    )
    chmod 600 "$TLS_DIR/key.pem" "$ca_key"
    chmod 644 "$TLS_DIR/ca.pem" "$TLS_DIR/cert.pem"
    rm -f "$TLS_DIR/server.csr" "$ext"
}

# Put our settings in [global] of the smb.conf that provision wrote, dropping any line there
# that sets the same parameter: in smb.conf the last assignment wins, and provision writes
# an explicit `server services` list and a `log file` of its own.
configure_smb_conf() {
    local settings
    settings="$(
        cat <<EOF
	tls enabled = yes
	tls keyfile = $TLS_DIR/key.pem
	tls certfile = $TLS_DIR/cert.pem
	tls cafile = $TLS_DIR/ca.pem
	server services = -dns -nbt -wrepl -ntp_signd -dnsupdate -kcc -drepl
	interfaces = lo
	bind interfaces only = yes
	pid directory = $RUN_DIR
	log file = $LOG_FILE
	logging = file
EOF
    )"
    grep -q '^\[global\]' "$CONF" || die "$CONF has no [global] section"
    awk -v settings="$settings" '
        function key_of(line,    k) {
            k = line
            sub(/=.*/, "", k)
            gsub(/^[ \t]+|[ \t]+$/, "", k)
            return tolower(k)
        }
        BEGIN {
            n = split(settings, lines, "\n")
            for (i = 1; i <= n; i++) ours[key_of(lines[i])] = 1
        }
        /^\[/ { in_global = ($0 ~ /^\[global\]/) }
        in_global && /=/ && (key_of($0) in ours) { next }
        { print }
        /^\[global\]/ { print settings }
    ' "$CONF" >"$CONF.new"
    mv "$CONF.new" "$CONF"
    mkdir -p "$RUN_DIR"
}

is_provisioned() {
    [[ -f $PROVISIONED_MARK && -f $CONF && -s $PASSWORD_FILE ]]
}

do_provision() {
    if is_provisioned; then
        return 0
    fi
    need_root "provisioning the domain"
    do_install
    # A half-finished earlier attempt (no mark) is thrown away and redone from scratch.
    rm -rf "$DC_DIR" "$TLS_DIR" "$PROVISIONED_MARK"
    mkdir -p "$DC_DIR"
    (
        umask 077
        generate_password >"$PASSWORD_FILE"
    )
    chmod 600 "$PASSWORD_FILE"
    say "provisioning $REALM into $DC_DIR (about 5 s)"
    # The password is on samba-tool's command line for these few seconds: acceptable for a
    # throw-away local test domain, and samba-tool has no other non-interactive way.
    if ! samba-tool domain provision --realm="$REALM" --domain="$DOMAIN" \
        --server-role=dc --dns-backend=NONE --use-rfc2307 \
        --adminpass="$(cat "$PASSWORD_FILE")" --targetdir="$DC_DIR" \
        --option="interfaces=lo" --option="bind interfaces only=yes" \
        >"$STATE/provision.log" 2>&1; then
        tail -n 20 "$STATE/provision.log" >&2
        die "samba-tool domain provision failed (full log: $STATE/provision.log)"
    fi
    make_tls
    configure_smb_conf
    touch "$PROVISIONED_MARK"
    say "provisioned $REALM; Administrator password in $PASSWORD_FILE"
}

# The pid of the DC this state dir started, if it is still alive; nothing otherwise.
# A pid is only trusted if that process is the samba binary working in our state dir:
# pids get reused, and another DC may run from another state dir.
our_pid() {
    local file pid exe
    is_provisioned || return 0
    file="$PID_FILE"
    [[ -s $file ]] || return 0
    pid="$(tr -dc '0-9' <"$file")"
    [[ -n $pid ]] || return 0
    exe="$(readlink "/proc/$pid/exe" 2>/dev/null || true)"
    [[ $exe == */samba ]] || return 0
    # samba rewrites its command line ("samba: root process"), so identify it by the files
    # it holds open in our state dir instead.
    [[ -n $(find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 -lname "$DC_DIR/*" -print -quit \
        2>/dev/null) ]] || return 0
    printf '%s' "$pid"
}

port_open() {
    timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null
}

who_listens() {
    ss -ltnpH "sport = :$1" 2>/dev/null | head -n 3 || true
}

wait_ready() {
    local pid="$1" deadline=$((SECONDS + START_TIMEOUT))
    until port_open "$LDAPS_HOST" "$LDAPS_PORT"; do
        if ! kill -0 "$pid" 2>/dev/null; then
            [[ -f $LOG_FILE ]] && tail -n 20 "$LOG_FILE" >&2
            die "samba (pid $pid) exited before LDAPS was ready (log: $LOG_FILE)"
        fi
        if ((SECONDS >= deadline)); then
            [[ -f $LOG_FILE ]] && tail -n 20 "$LOG_FILE" >&2
            die "LDAPS on $LDAPS_HOST:$LDAPS_PORT not ready after ${START_TIMEOUT}s (log: $LOG_FILE)"
        fi
        sleep 0.5
    done
}

start_dc() {
    local pid
    do_install
    pid="$(our_pid)"
    if [[ -n $pid ]]; then
        wait_ready "$pid"
        say "already running (pid $pid), LDAPS on $LDAPS_HOST:$LDAPS_PORT"
        return 0
    fi
    if port_open "$LDAPS_HOST" "$LDAPS_PORT"; then
        who_listens "$LDAPS_PORT" >&2
        die "port $LDAPS_PORT is already in use by a process that is not the DC in $STATE (another domain controller?). Stop it, or point DIRECTORY_URL at it instead."
    fi
    do_provision
    rm -f "$PID_FILE"
    # 9>&- : the daemon must not inherit our lock.
    samba -s "$CONF" 9>&- </dev/null >>"$LOG_FILE" 2>&1 || {
        tail -n 20 "$LOG_FILE" >&2
        die "samba failed to start (log: $LOG_FILE)"
    }
    local deadline=$((SECONDS + 15))
    until pid="$(our_pid)" && [[ -n $pid ]]; do
        ((SECONDS < deadline)) || {
            tail -n 20 "$LOG_FILE" >&2
            die "samba did not write its pid file (log: $LOG_FILE)"
        }
        sleep 0.2
    done
    wait_ready "$pid"
    say "started (pid $pid), LDAPS on $LDAPS_HOST:$LDAPS_PORT"
}

stop_dc() {
    local pid i
    pid="$(our_pid)"
    if [[ -z $pid ]]; then
        say "not running"
        return 0
    fi
    kill -TERM "$pid"
    for ((i = 0; i < 60; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.5
    done
    if kill -0 "$pid" 2>/dev/null; then
        say "pid $pid ignored SIGTERM for 30 s; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$PID_FILE"
    say "stopped (was pid $pid)"
}

status_dc() {
    local pid
    if ! is_installed; then
        echo "not installed (run: $0 install)"
        return 3
    fi
    if ! is_provisioned; then
        echo "not provisioned (run: $0 provision)"
        return 3
    fi
    pid="$(our_pid)"
    if [[ -z $pid ]]; then
        echo "stopped (state: $STATE)"
        return 3
    fi
    if port_open "$LDAPS_HOST" "$LDAPS_PORT"; then
        echo "running (pid $pid), LDAPS on $LDAPS_HOST:$LDAPS_PORT, realm $REALM"
    else
        echo "starting (pid $pid), LDAPS not accepting yet"
    fi
}

print_env() {
    # The paths are quoted (%q) only if they need it, e.g. a state dir with spaces in it.
    printf 'export DIRECTORY_URL=%s\n' "ldaps://$LDAPS_HOST:$LDAPS_PORT"
    printf 'export DIRECTORY_BIND_USER=%s\n' "Administrator@${REALM,,}"
    printf 'export DIRECTORY_PASSWORD_FILE=%q\n' "$PASSWORD_FILE"
    printf 'export DIRECTORY_CA_FILE=%q\n' "$TLS_DIR/ca.pem"
    printf 'export DIRECTORY_BASE_DN=%s\n' "$BASE_DN"
}

delegate() {
    is_provisioned || die "not provisioned (run: $0 start)"
    if [[ ! -s $SERVICE_PASSWORD_FILE ]]; then
        (umask 077 && printf 'Svc-%s-9a\n' "$(head -c 18 /dev/urandom | base64 | tr -d '/+=')" \
            >"$SERVICE_PASSWORD_FILE")
    fi
    "$REPO/docker/samba-dc/delegate.sh" "$DC_DIR/private/sam.ldb" "$BASE_DN" \
        "OU=Tenants,$BASE_DN" "$SERVICE_ACCOUNT" "$SERVICE_PASSWORD_FILE"
    printf 'export DIRECTORY_BIND_USER=%s\n' "$SERVICE_ACCOUNT@${REALM,,}"
    printf 'export DIRECTORY_PASSWORD_FILE=%q\n' "$SERVICE_PASSWORD_FILE"
}

usage() { usage_lines 2 12; }

main() {
    [[ $# -eq 1 ]] || usage
    case "$1" in
    install)
        take_lock
        do_install
        ;;
    provision)
        take_lock
        do_provision
        ;;
    start)
        take_lock
        start_dc
        ;;
    stop)
        take_lock
        stop_dc
        ;;
    status) status_dc ;;
    env) print_env ;;
    delegate)
        take_lock
        delegate
        ;;
    *) usage ;;
    esac
}

main "$@"
