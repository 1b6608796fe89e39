# What every script in scripts/ shares. Source it after setting SCRIPT_NAME (the prefix of
# its messages); it sets no options and runs nothing.

say() { printf '%s: %s\n' "$SCRIPT_NAME" "$*" >&2; }
die() {
    say "error: $*"
    exit 1
}

is_root() { [[ $(id -u) -eq 0 ]]; }

# apt-get install the packages given, quietly, with its output on stderr.
apt_get_install() {
    apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >&2
}

# Print lines FIRST to LAST of the running script's header comment (its usage), then exit 2.
usage_lines() {
    sed -n "$1,$2p" "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}
