"""The directory conversation (ldap3, blocking): search as the app account, bind as the user.

Nothing here touches the database or the event loop; `LdapService` runs `authenticate` in a
worker thread. Every way the directory can say no becomes a `DirectoryError`, so a caller
never sees an ldap3 exception. ldap3 is imported at the first sign-in, not at start-up (it
costs a server without LDAP about 5 MiB and 45 ms).
"""

from __future__ import annotations

import logging
import math
import ssl
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ldap3 import Connection, Server

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DirectoryConfig:
    host: str
    port: int | None
    use_tls: bool
    ca_cert_file: str
    validate_cert: bool
    ciphers: str
    app_dn: str
    app_password: str
    search_base: str
    search_filters: str
    attribute_for_username: str
    attribute_for_mail: str
    attribute_for_groups: str | None  # None: group management is off
    timeout: float


@dataclass(frozen=True)
class DirectoryUser:
    dn: str
    username: str
    email: str
    name: str
    groups: list[str] = field(default_factory=list)  # group names (the CN of each group DN)


class DirectoryError(Exception):
    """The directory refused the sign-in; `reason` is for the log, not the client."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class DirectoryUnreachable(DirectoryError):
    """No answer from the server within the timeout (down, firewalled, wrong port, TLS)."""


def user_filter(config: DirectoryConfig, username: str) -> str:
    """`(&(<username attr>=<escaped name>)<extra filters>)`: the name can never widen it."""
    from ldap3.utils.conv import escape_filter_chars

    attribute = config.attribute_for_username
    extra = config.search_filters.strip()
    return f"(&({attribute}={escape_filter_chars(username.lower())}){extra})"


def _server(config: DirectoryConfig) -> Server:
    from ldap3 import NONE, Server, Tls

    tls = None
    if config.use_tls:
        tls = Tls(
            validate=ssl.CERT_REQUIRED if config.validate_cert else ssl.CERT_NONE,
            ca_certs_file=config.ca_cert_file or None,
            ciphers=config.ciphers or None,
        )
    return Server(
        config.host,
        port=config.port,
        use_ssl=config.use_tls,
        tls=tls,
        get_info=NONE,
        connect_timeout=config.timeout,
    )


def _first(values: object) -> str:
    if isinstance(values, list | tuple):
        return str(values[0]) if values else ""
    return "" if values is None else str(values)


def _group_name(value: str) -> str:
    """The CN of a group DN (`cn=staff,ou=groups,...` -> `staff`); a plain name as it is."""
    from ldap3.core.exceptions import LDAPException
    from ldap3.utils.dn import parse_dn

    try:
        parts = parse_dn(value)
    except LDAPException:
        return value.strip()
    for attribute, name, _separator in parts:
        if attribute.lower() == "cn":
            return str(name)
    return value.strip()


def authenticate(config: DirectoryConfig, username: str, password: str) -> DirectoryUser:
    """Find `username` as the app account, then prove `password` by binding as its entry.

    The caller has already refused empty, blank and NUL-bearing passwords: an LDAP simple
    bind with an empty password is an *unauthenticated* bind that many servers accept.
    """
    if not password.strip() or "\x00" in password:
        raise DirectoryError("refused an empty or NUL-bearing password before any bind")
    from ldap3.core.exceptions import LDAPCommunicationError, LDAPException

    try:
        return _authenticate(config, username, password)
    except DirectoryError:
        raise
    except LDAPCommunicationError as exc:
        raise DirectoryUnreachable(f"{type(exc).__name__}: {exc}") from exc
    except LDAPException as exc:
        raise DirectoryError(f"{type(exc).__name__}: {exc}") from exc
    except (OSError, ssl.SSLError) as exc:
        raise DirectoryUnreachable(f"{type(exc).__name__}: {exc}") from exc
    except Exception as exc:  # ldap3's decoder fails in its own ways on a non-LDAP reply
        log.warning("LDAP: unreadable reply from %s:%s", config.host, config.port, exc_info=True)
        raise DirectoryUnreachable(f"not an LDAP reply ({type(exc).__name__})") from exc


def _authenticate(config: DirectoryConfig, username: str, password: str) -> DirectoryUser:
    from ldap3 import ANONYMOUS, SIMPLE, Connection

    conn = Connection(
        _server(config),
        user=config.app_dn or None,
        password=config.app_password or None,
        authentication=SIMPLE if config.app_dn else ANONYMOUS,
        auto_bind=False,
        # ldap3 packs this into SO_RCVTIMEO as whole seconds: a float breaks `open()`.
        receive_timeout=max(1, math.ceil(config.timeout)),
        read_only=True,
        raise_exceptions=False,
    )
    try:
        conn.open()
        if not conn.bind():
            raise DirectoryError(f"application account bind failed: {conn.result}")
        entry = _find(conn, config, username)
        # Same connection, new identity: one TCP (and TLS) handshake per sign-in.
        if not conn.rebind(user=entry.dn, password=password, authentication=SIMPLE):
            raise DirectoryError(f"bind as {entry.dn} failed: {conn.result.get('description')}")
        return entry
    finally:
        conn.unbind()


def _find(conn: Connection, config: DirectoryConfig, username: str) -> DirectoryUser:
    from ldap3 import SUBTREE

    attributes = [config.attribute_for_username, config.attribute_for_mail, "cn"]
    if config.attribute_for_groups:
        attributes.append(config.attribute_for_groups)
    found = conn.search(
        config.search_base,
        user_filter(config, username),
        search_scope=SUBTREE,
        attributes=attributes,
        size_limit=2,
    )
    entries = [e for e in (conn.response or []) if e.get("type") == "searchResEntry"]
    if not found or not entries:
        raise DirectoryError(f"user {username!r} not found ({conn.result.get('description')})")
    if len(entries) > 1:
        raise DirectoryError(f"user {username!r} matches more than one entry")
    entry = entries[0]
    values = {k.lower(): v for k, v in entry.get("attributes", {}).items()}
    names = values.get(config.attribute_for_username.lower()) or []
    names = names if isinstance(names, list) else [names]
    if username.lower() not in {str(n).lower() for n in names}:
        raise DirectoryError(f"entry {entry['dn']} does not carry the user name {username!r}")
    email = _first(values.get(config.attribute_for_mail.lower()))
    if not email:
        raise DirectoryError(f"entry {entry['dn']} has no {config.attribute_for_mail}")
    groups: list[str] = []
    if config.attribute_for_groups:
        raw = values.get(config.attribute_for_groups.lower()) or []
        groups = [_group_name(str(g)) for g in (raw if isinstance(raw, list) else [raw])]
    return DirectoryUser(
        dn=str(entry["dn"]),
        username=_first(names),
        email=email,
        name=_first(values.get("cn")) or username,
        groups=[g for g in groups if g],
    )
