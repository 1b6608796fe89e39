#!/usr/bin/env bash
# Gives Canopy a directory account of its own, with rights only where Canopy works, so the
# portal never binds as the domain Administrator.
#
#   delegate.sh SAM_LDB BASE_DN TENANTS_ROOT_DN ACCOUNT PASSWORD_FILE
#
# Run on the domain controller (SAM_LDB is its private/sam.ldb), as root; safe to run again.
# What the account gets, and nothing else (every ACE names the account's own SID):
# - on the tenants root OU and everything below it: read, create and delete children,
#   write properties, delete (tree) and the extended rights (Reset Password): not Write
#   DACL or Write Owner, so it cannot hand itself or anybody more;
# - on CN=Password Settings Container,CN=System: the same, for the customers' password
#   policies (fine-grained password policies live there, not in the tenant's OU);
# - on CN=Partitions,CN=Configuration: read and write of uPNSuffixes alone, for the
#   customers' verified domains.
# The account itself is an ordinary user (Domain Users only) whose password never expires.
set -euo pipefail

say() { printf 'delegate: %s\n' "$*" >&2; }
die() {
    say "error: $*"
    exit 1
}

[[ $# -eq 5 ]] || die "usage: $0 SAM_LDB BASE_DN TENANTS_ROOT_DN ACCOUNT PASSWORD_FILE"
SAM="$1"
BASE_DN="$2"
TENANTS_ROOT="$3"
ACCOUNT="$4"
PASSWORD_FILE="$5"
[[ -s $PASSWORD_FILE ]] || die "no password in $PASSWORD_FILE"

# Children may create and delete objects, write their properties, use extended rights
# (CR: Reset Password), delete themselves and whole subtrees, list and read.
SUBTREE_RIGHTS="CCDCLCSWRPWPDTLOCRSDRC"
# The attribute schemaIDGUID of uPNSuffixes, read from the schema instead of trusted.
upn_suffixes_guid() {
    ldbsearch -H "$SAM" -b "CN=Schema,CN=Configuration,$BASE_DN" \
        '(lDAPDisplayName=uPNSuffixes)' schemaIDGUID | sed -n 's/^schemaIDGUID: //p'
}

if samba-tool user show "$ACCOUNT" -H "$SAM" >/dev/null 2>&1; then
    say "$ACCOUNT exists; setting its password from $PASSWORD_FILE"
    samba-tool user setpassword "$ACCOUNT" -H "$SAM" \
        --newpassword="$(cat "$PASSWORD_FILE")" >/dev/null
else
    say "creating $ACCOUNT"
    # The password is on samba-tool's command line for a moment: samba-tool has no other
    # non-interactive way, and this runs once, as root, on the DC.
    samba-tool user create "$ACCOUNT" "$(cat "$PASSWORD_FILE")" -H "$SAM" \
        --description="Canopy portal: changes only the tenants OU" >/dev/null
fi
samba-tool user setexpiry "$ACCOUNT" --noexpiry -H "$SAM" >/dev/null

SID="$(samba-tool user show "$ACCOUNT" -H "$SAM" --attributes=objectSid |
    sed -n 's/^objectSid: //p')"
[[ $SID == S-1-5-* ]] || die "could not read the SID of $ACCOUNT"

if ! ldbsearch -H "$SAM" -s base -b "$TENANTS_ROOT" dn >/dev/null 2>&1; then
    say "creating $TENANTS_ROOT"
    samba-tool ou create "$TENANTS_ROOT" -H "$SAM" --description="Canopy tenants" >/dev/null
fi

GUID="$(upn_suffixes_guid)"
[[ -n $GUID ]] || die "uPNSuffixes is not in the schema"

grant() {
    # dsacl set adds the ACE once; running it again leaves the descriptor as it was.
    samba-tool dsacl set -H "$SAM" --objectdn="$1" --sddl="$2" >/dev/null
}
grant "$TENANTS_ROOT" "(A;CI;$SUBTREE_RIGHTS;;;$SID)"
grant "CN=Password Settings Container,CN=System,$BASE_DN" "(A;CI;$SUBTREE_RIGHTS;;;$SID)"
grant "CN=Partitions,CN=Configuration,$BASE_DN" "(OA;;RPWP;$GUID;;$SID)"
say "$ACCOUNT may change $TENANTS_ROOT, password policies and UPN suffixes, and nothing else"
