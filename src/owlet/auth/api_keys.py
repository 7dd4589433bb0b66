"""API keys: `sk-` + 32 hex; stored as a SHA-256 for lookup and Fernet-encrypted for display."""

from __future__ import annotations

import base64
import hashlib
import re
import uuid

from cryptography.fernet import Fernet, InvalidToken

PREFIX = "sk-"
_SHAPE = re.compile(r"^sk-[0-9a-f]{32}$")


def generate() -> str:
    return PREFIX + uuid.uuid4().hex


def looks_valid(key: str) -> bool:
    return bool(_SHAPE.match(key))


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class KeyCipher:
    """Encrypts keys at rest with a key derived from WEBUI_SECRET_KEY."""

    def __init__(self, secret: str) -> None:
        derived = hashlib.sha256(b"owlet:api-key:" + secret.encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def encrypt(self, key: str) -> str:
        return self._fernet.encrypt(key.encode()).decode()

    def decrypt(self, token: str) -> str | None:
        """None when the secret changed since the key was made (the key still works)."""
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            return None
