#!/usr/bin/env bash
# Canopy's production-like domain controller: a Samba AD DC in one container.
#
# On first start it provisions the domain into $SAMBA_STATE_DIR (a volume) with the
# Administrator password from $SAMBA_ADMIN_PASSWORD_FILE (a compose secret), makes a small CA
# and a server certificate for the names in $SAMBA_TLS_NAMES, and publishes the CA
# certificate to $SAMBA_TLS_DIR (a volume the portal mounts read-only as DIRECTORY_CA_FILE).
# Every start then makes sure the portal's delegated account exists with the password in
# $SAMBA_SERVICE_PASSWORD_FILE (canopy-delegate: rights on the tenants OU, password policies
# and UPN suffixes only) and runs `samba -i` in the foreground: LDAPS on 636, Kerberos, SMB.
set -euo pipefail

REALM="${SAMBA_REALM:-CORP.EXAMPLE.TEST}"
DOMAIN="${SAMBA_DOMAIN:-CORP}"
STATE="${SAMBA_STATE_DIR:-/var/lib/samba-dc}"
TLS_PUBLIC="${SAMBA_TLS_DIR:-/var/lib/samba-tls}"
PASSWORD_FILE="${SAMBA_ADMIN_PASSWORD_FILE:-/run/secrets/directory_admin_password}"
SERVICE_ACCOUNT="${SAMBA_SERVICE_ACCOUNT:-canopy-service}"
SERVICE_PASSWORD_FILE="${SAMBA_SERVICE_PASSWORD_FILE:-/run/secrets/directory_password}"
TLS_NAMES="${SAMBA_TLS_NAMES:-DNS:dc,DNS:localhost,IP:127.0.0.1}"
# Empty: listen on every interface of the container. "lo" for a test on one machine.
INTERFACES="${SAMBA_INTERFACES:-}"

CONF="$STATE/etc/smb.conf"
TLS_PRIVATE="$STATE/tls"
MARK="$STATE/.provisioned"

say() { printf 'samba-dc: %s\n' "$*" >&2; }
die() {
    say "error: $*"
    exit 1
}

make_tls() {
    local ext="$TLS_PRIVATE/server.ext"
    say "making a CA and a server certificate for $TLS_NAMES"
    rm -rf "$TLS_PRIVATE"
    mkdir -p "$TLS_PRIVATE" "$TLS_PUBLIC"
    chmod 700 "$TLS_PRIVATE"
    (
        umask 077
        openssl req -x509 -newkey rsa:3072 -nodes -sha256 -days 3650 \
            -keyout "$TLS_PRIVATE/ca-key.pem" -out "$TLS_PRIVATE/ca.pem" \
            -subj "/CN=Canopy directory CA ($REALM)" \
            -addext "basicConstraints=critical,CA:TRUE" \
            -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
        openssl req -newkey rsa:3072 -nodes -sha256 -keyout "$TLS_PRIVATE/key.pem" \
            -out "$TLS_PRIVATE/server.csr" -subj "/CN=${TLS_NAMES%%,*}" 2>/dev/null
        printf '%s\n' \
            "basicConstraints=critical,CA:FALSE" \
            "keyUsage=critical,digitalSignature,keyEncipherment" \
            "extendedKeyUsage=serverAuth" \
            "subjectAltName=$TLS_NAMES" >"$ext"
        openssl x509 -req -sha256 -days 825 -in "$TLS_PRIVATE/server.csr" \
            -CA "$TLS_PRIVATE/ca.pem" -CAkey "$TLS_PRIVATE/ca-key.pem" -CAcreateserial \
            -out "$TLS_PRIVATE/cert.pem" -extfile "$ext" 2>/dev/null
    )
    rm -f "$TLS_PRIVATE/server.csr" "$ext"
    chmod 644 "$TLS_PRIVATE/ca.pem" "$TLS_PRIVATE/cert.pem"
}

provision() {
    [[ -s $PASSWORD_FILE ]] || die "no Administrator password in $PASSWORD_FILE"
    say "provisioning $REALM into $STATE"
    # Whatever an interrupted earlier attempt left behind is thrown away.
    find "$STATE" -mindepth 1 -delete
    make_tls
    local options=(
        --option="tls enabled = yes"
        --option="tls keyfile = $TLS_PRIVATE/key.pem"
        --option="tls certfile = $TLS_PRIVATE/cert.pem"
        --option="tls cafile = $TLS_PRIVATE/ca.pem"
        # Directory service only: no internal DNS, NetBIOS, replication or time signing.
        --option="server services = -dns -nbt -wrepl -ntp_signd -dnsupdate -kcc -drepl"
    )
    if [[ -n $INTERFACES ]]; then
        options+=(--option="interfaces = $INTERFACES" --option="bind interfaces only = yes")
    fi
    samba-tool domain provision --realm="$REALM" --domain="$DOMAIN" --server-role=dc \
        --dns-backend=NONE --use-rfc2307 --targetdir="$STATE" \
        --adminpass="$(cat "$PASSWORD_FILE")" "${options[@]}" >&2
    touch "$MARK"
}

mkdir -p "$STATE"
[[ -f $MARK && -f $CONF ]] || provision
# The portal verifies the DC against this CA (DIRECTORY_CA_FILE).
mkdir -p "$TLS_PUBLIC"
install -m 644 "$TLS_PRIVATE/ca.pem" "$TLS_PUBLIC/ca.pem"
BASE_DN="DC=${REALM,,}"
BASE_DN="${BASE_DN//./,DC=}"
# The sam database is changed offline here, before samba serves it: safe, and every start
# puts the account's password back to the secret's.
canopy-delegate "$STATE/private/sam.ldb" "$BASE_DN" "${SAMBA_TENANTS_ROOT:-OU=Tenants,$BASE_DN}" \
    "$SERVICE_ACCOUNT" "$SERVICE_PASSWORD_FILE"
say "starting Samba AD DC for $REALM"
exec samba -i -s "$CONF" "$@"
