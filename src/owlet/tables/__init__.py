"""ORM tables, one file each; importing this package registers them all on `Base`."""

from owlet.tables.api_key import ApiKey
from owlet.tables.auth import Auth
from owlet.tables.base import Base
from owlet.tables.config import ConfigEntry
from owlet.tables.group import Group, GroupMember
from owlet.tables.revoked_token import RevokedToken
from owlet.tables.user import User

__all__ = ["ApiKey", "Auth", "Base", "ConfigEntry", "Group", "GroupMember", "RevokedToken", "User"]
