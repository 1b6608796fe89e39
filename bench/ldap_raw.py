"""The ceiling a provisioning engine works against: raw ldap3 user adds on the same DC.

`raw_user_adds(config, parent_dn, n)` creates a fresh OU under `parent_dn`, times `n`
user creations done with bare ldap3 calls (add, then ``unicodePwd``, then
``userAccountControl=512``: the same three writes `directory.ensure_user` makes for a new
account, without its lookups; then the one write that puts the account in its customer's
AllUsers group, as every engine ``create_user`` job does), then deletes the OU.
`RawUsers.add_batch` does what provisioning a customer with its users writes: an OU and a
group, the same three writes per account, then the members in one modify per 1,000 (as
`directory.set_members` sends them). The engine benchmark divides its own rate by these,
measured in the same run against the same DC. No Django here.

    .venv/bin/python bench/ldap_raw.py -n 300      # DC settings from DIRECTORY_* or the script
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

from ldap3 import MODIFY_ADD, MODIFY_REPLACE, Connection

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from directory import DirectoryConfig, connect, delete_tree
from directory.dn import cn_dn, ou_dn, split_dn

PASSWORD = "Bench-raw-password-1"
USER_CLASSES = ["top", "person", "organizationalPerson", "user"]
MEMBERS_PER_MODIFY = 1000  # as `directory.set_members` sends them


def _check(outcome: tuple, what: str) -> None:
    status, result, _, _ = outcome
    if not status:
        raise RuntimeError(f"{what} failed: {result.get('description')}: {result.get('message')}")


def _dns_domain(base_dn: str) -> str:
    return ".".join(part.split("=", 1)[1] for part in split_dn(base_dn))


class RawUsers:
    """A scratch OU with an AllUsers group, into which `add(numbers)` creates users with
    bare ldap3 calls and returns the seconds it took. A context manager: the OU goes away
    at the end."""

    def __init__(self, config: DirectoryConfig, parent_dn: str) -> None:
        self.config = config
        self.tag = secrets.token_hex(3)
        self.ou = ou_dn(parent_dn, f"bench-raw-{self.tag}")
        self.group = cn_dn(self.ou, f"raw-{self.tag}-AllUsers")
        self.domain = _dns_domain(config.base_dn)
        self.password = f'"{PASSWORD}"'.encode("utf-16-le")

    def __enter__(self) -> RawUsers:
        self.conn: Connection = connect(self.config)
        _check(self.conn.add(self.ou, ["organizationalUnit"]), f"add {self.ou}")
        attributes = {"sAMAccountName": f"raw-{self.tag}-all"}
        _check(self.conn.add(self.group, ["top", "group"], attributes), "group")
        return self

    def __exit__(self, *exc_info) -> None:
        delete_tree(self.conn, self.ou)
        self.conn.unbind()

    def _account(self, number: int, ou: str) -> str:
        """The three writes of a new account: add, password, enable. Returns its DN."""
        conn = self.conn
        sam = f"r{self.tag}{number}"
        dn = cn_dn(ou, f"Raw User {number}")
        attributes = {
            "sAMAccountName": sam,
            "userPrincipalName": f"{sam}@{self.domain}",
            "givenName": "Raw",
            "sn": f"User {number}",
            "displayName": f"Raw User {number}",
            "mail": f"{sam}@example.com",
        }
        _check(conn.add(dn, USER_CLASSES, attributes), f"add {dn}")
        _check(conn.modify(dn, {"unicodePwd": [(MODIFY_REPLACE, [self.password])]}), "pw")
        _check(conn.modify(dn, {"userAccountControl": [(MODIFY_REPLACE, ["512"])]}), "uac")
        return dn

    def add(self, numbers: range) -> float:
        """One account at a time, each put in AllUsers with its own modify (what one
        ``create_user`` job does)."""
        started = time.perf_counter()
        for number in numbers:
            dn = self._account(number, self.ou)
            _check(self.conn.modify(self.group, {"member": [(MODIFY_ADD, [dn])]}), "member")
        return time.perf_counter() - started

    def add_batch(self, numbers: range) -> float:
        """A tenant's worth at once (what provisioning a customer with its users does): an
        OU and a group of its own, the accounts, then one modify per `MEMBERS_PER_MODIFY`
        members of the group."""
        conn = self.conn
        started = time.perf_counter()
        ou = ou_dn(self.ou, f"batch-{numbers.start}")
        group = cn_dn(ou, f"raw-{self.tag}-{numbers.start}-AllUsers")
        _check(conn.add(ou, ["organizationalUnit"]), f"add {ou}")
        attributes = {"sAMAccountName": f"raw-{self.tag}-{numbers.start}"}
        _check(conn.add(group, ["top", "group"], attributes), "group")
        dns = [self._account(number, ou) for number in numbers]
        for first in range(0, len(dns), MEMBERS_PER_MODIFY):
            chunk = dns[first : first + MEMBERS_PER_MODIFY]
            _check(conn.modify(group, {"member": [(MODIFY_ADD, chunk)]}), "members")
        return time.perf_counter() - started


def raw_user_adds(config: DirectoryConfig, parent_dn: str, n: int) -> float:
    """Seconds taken to create `n` enabled users with a password, with raw ldap3 calls."""
    with RawUsers(config, parent_dn) as raw:
        return raw.add(range(n))


def config_from_environment() -> DirectoryConfig:
    """DIRECTORY_* from the environment; if unset, from ``scripts/samba-dc.sh env``
    (starting the project's DC when needed)."""
    env = dict(os.environ)
    if not env.get("DIRECTORY_URL"):
        script = Path(__file__).resolve().parent.parent / "scripts" / "samba-dc.sh"
        subprocess.run([str(script), "start"], check=True)
        printed = subprocess.run([str(script), "env"], check=True, capture_output=True, text=True)
        for line in printed.stdout.splitlines():
            name, _, value = line.removeprefix("export ").partition("=")
            env[name] = value
    password = env.get("DIRECTORY_PASSWORD") or Path(env["DIRECTORY_PASSWORD_FILE"]).read_text()
    base_dn = env["DIRECTORY_BASE_DN"]
    return DirectoryConfig(
        url=env["DIRECTORY_URL"],
        bind_user=env["DIRECTORY_BIND_USER"],
        password=password.strip(),
        ca_file=env.get("DIRECTORY_CA_FILE") or None,
        base_dn=base_dn,
        tenants_root_dn=env.get("DIRECTORY_TENANTS_ROOT") or ou_dn(base_dn, "Tenants"),
        use_starttls=env.get("DIRECTORY_USE_STARTTLS", "").lower() in ("1", "true", "yes"),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=200, help="users to add (default 200)")
    parser.add_argument("--parent", help="where the scratch OU goes (default: the base DN)")
    args = parser.parse_args()
    config = config_from_environment()
    seconds = raw_user_adds(config, args.parent or config.base_dn, args.n)
    print(f"raw ldap3: {args.n} user adds in {seconds:.2f} s = {args.n / seconds:.1f} adds/s")


if __name__ == "__main__":
    main()
