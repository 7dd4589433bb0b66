"""A real OpenLDAP `slapd` for the tests: mdb backend, loopback port, seeded as the manager.

Debian's `slapd` + `ldap-utils` (installed by `.ci/run`). slapd runs in the foreground
(`-d`) as our child, logging every operation (`stats`) to a file the tests read to prove
which binds reached it. In CI a missing or broken slapd fails the test; elsewhere it skips.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from ldap3 import MODIFY_ADD, Connection, Server

from tests.gateway import free_port
from tests.support import IN_CI

SLAPD = shutil.which("slapd") or "/usr/sbin/slapd"
SCHEMA = Path("/etc/ldap/schema")
MODULES = Path("/usr/lib/ldap")
SUFFIX = "dc=example,dc=org"
MANAGER_DN = f"cn=admin,{SUFFIX}"
MANAGER_PASSWORD = "manager-secret"
APP_DN = f"cn=owlet,ou=services,{SUFFIX}"
APP_PASSWORD = "app-secret"
PEOPLE = f"ou=people,{SUFFIX}"
GROUPS = f"ou=groups,{SUFFIX}"

CONF = """\
include {schema}/core.schema
include {schema}/cosine.schema
include {schema}/inetorgperson.schema
include {schema}/nis.schema
modulepath {modules}
moduleload back_mdb
moduleload memberof
pidfile {root}/slapd.pid
database mdb
maxsize 33554432
suffix "{suffix}"
rootdn "{manager}"
rootpw {manager_password}
directory {root}/db
overlay memberof
access to attrs=userPassword by self auth by anonymous auth by * none
access to * by * read
"""


def require_slapd() -> None:
    missing = [p for p in (SLAPD, str(SCHEMA / "core.schema")) if not Path(p).exists()]
    if missing:
        message = f"slapd is not installed ({', '.join(missing)}; apt-get install slapd ldap-utils)"
        if IN_CI:
            pytest.fail(f"{message} (CI=true: tests must not skip)")
        pytest.skip(message)


@dataclass
class LdapServer:
    host: str
    port: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"ldap://{self.host}:{self.port}"

    def manager(self) -> Connection:
        return Connection(
            Server(self.host, port=self.port), MANAGER_DN, MANAGER_PASSWORD, auto_bind=True
        )

    def add_user(
        self, uid: str, password: str, *, mail: str | None = None, cn: str | None = None
    ) -> str:
        dn = f"uid={uid},{PEOPLE}"
        attributes: dict[str, object] = {
            "uid": uid,
            "cn": cn or uid.title(),
            "sn": uid.title(),
            "userPassword": password,
        }
        if mail is not None:
            attributes["mail"] = mail
        with self.manager() as conn:
            assert conn.add(dn, ["inetOrgPerson"], attributes), conn.result
        return dn

    def add_group(self, name: str, member_dns: list[str]) -> str:
        dn = f"cn={name},{GROUPS}"
        with self.manager() as conn:
            assert conn.add(dn, ["groupOfNames"], {"cn": name, "member": member_dns}), conn.result
        return dn

    def add_member(self, group: str, member_dn: str) -> None:
        with self.manager() as conn:
            ok = conn.modify(f"cn={group},{GROUPS}", {"member": [(MODIFY_ADD, [member_dn])]})
            assert ok, conn.result

    def user_searches(self) -> list[str]:
        """The filters of the searches under ou=people slapd has logged, oldest first."""
        found = []
        for line in self.log_path.read_text(errors="replace").splitlines():
            if f'SRCH base="{PEOPLE}"' in line and 'filter="' in line:
                found.append(line.split('filter="', 1)[1].rsplit('"', 1)[0])
        return found

    def binds_as(self, dn: str) -> int:
        """How many BIND operations for `dn` slapd has logged so far."""
        text = self.log_path.read_text(errors="replace").lower()
        return text.count(f'bind dn="{dn.lower()}" method=')


def _seed(server: LdapServer) -> None:
    with server.manager() as conn:
        for dn, classes, attrs in [
            (SUFFIX, ["dcObject", "organization"], {"dc": "example", "o": "Example"}),
            (PEOPLE, ["organizationalUnit"], {"ou": "people"}),
            (GROUPS, ["organizationalUnit"], {"ou": "groups"}),
            (f"ou=services,{SUFFIX}", ["organizationalUnit"], {"ou": "services"}),
            (APP_DN, ["person"], {"cn": "owlet", "sn": "owlet", "userPassword": APP_PASSWORD}),
        ]:
            assert conn.add(dn, classes, attrs), conn.result


def _wait_for_port(proc: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"slapd exited with {proc.returncode}: {log_path.read_text()[-2000:]}"
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("slapd did not start listening within 20 s")


@contextmanager
def ldap_server(root: Path) -> Iterator[LdapServer]:
    """slapd on a free loopback port with a fresh database, killed afterwards."""
    require_slapd()
    (root / "db").mkdir(parents=True)
    conf = root / "slapd.conf"
    conf.write_text(
        CONF.format(
            schema=SCHEMA,
            modules=MODULES,
            root=root,
            suffix=SUFFIX,
            manager=MANAGER_DN,
            manager_password=MANAGER_PASSWORD,
        )
    )
    port = free_port()
    log_path = root / "slapd.log"
    with log_path.open("wb") as log_file:
        proc = subprocess.Popen(
            [SLAPD, "-h", f"ldap://127.0.0.1:{port}/", "-f", str(conf), "-d", "stats"],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env={**os.environ, "LC_ALL": "C"},
        )
    try:
        try:
            _wait_for_port(proc, port, log_path)
        except RuntimeError as exc:
            if IN_CI:
                pytest.fail(f"slapd could not start: {exc}")
            pytest.skip(f"slapd could not start: {exc}")
        server = LdapServer("127.0.0.1", port, log_path)
        _seed(server)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
