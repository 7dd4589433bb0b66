"""ORM tables, one file each; importing this package registers them all on `Base`."""

from owlet.tables.access_grant import AccessGrant
from owlet.tables.api_key import ApiKey
from owlet.tables.auth import Auth
from owlet.tables.base import Base
from owlet.tables.chat import Chat, ChatMessage, ChatTag, Folder, SharedChat, Tag
from owlet.tables.config import ConfigEntry
from owlet.tables.feedback import Feedback
from owlet.tables.file import File
from owlet.tables.function import Function
from owlet.tables.group import Group, GroupMember
from owlet.tables.knowledge import Knowledge, KnowledgeBatch, KnowledgeFile
from owlet.tables.model import Model
from owlet.tables.oauth import OAuthIdentity, OAuthState
from owlet.tables.revoked_token import RevokedToken
from owlet.tables.user import User

__all__ = [
    "AccessGrant",
    "ApiKey",
    "Auth",
    "Base",
    "Chat",
    "ChatMessage",
    "ChatTag",
    "ConfigEntry",
    "Feedback",
    "File",
    "Folder",
    "Function",
    "Group",
    "GroupMember",
    "Knowledge",
    "KnowledgeBatch",
    "KnowledgeFile",
    "Model",
    "OAuthIdentity",
    "OAuthState",
    "RevokedToken",
    "SharedChat",
    "Tag",
    "User",
]
