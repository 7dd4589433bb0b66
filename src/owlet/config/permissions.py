"""The user-permissions tree: built-in defaults, USER_PERMISSIONS_* env overrides, merging."""

from __future__ import annotations

import copy
import os
from collections.abc import Iterable, Mapping
from typing import Any

from owlet.errors import BadRequest

_WORKSPACE = ("models", "knowledge", "prompts", "tools", "skills")
_CHAT_TRUE = (
    "controls", "valves", "system_prompt", "params", "file_upload", "web_upload", "delete",
    "delete_message", "continue_response", "regenerate_response", "rate_response", "edit",
    "share", "export", "import", "stt", "tts", "call", "multiple_models", "temporary",
)  # fmt: skip
_FEATURES = {
    "api_keys": False, "notes": True, "channels": True, "encrypted_channels": False,
    "folders": True,
    "direct_tool_servers": False, "web_search": True, "image_generation": True,
    "code_interpreter": True, "memories": True, "automations": False, "calendar": True,
    "webhooks": False,
}  # fmt: skip


def _spec() -> dict[tuple[str, str], tuple[str, bool]]:
    """(section, key) -> (env var, built-in default), as Open WebUI names them."""
    spec: dict[tuple[str, str], tuple[str, bool]] = {}
    for item in _WORKSPACE:
        up = item.upper()
        spec["workspace", item] = (f"USER_PERMISSIONS_WORKSPACE_{up}_ACCESS", False)
        # Knowledge has no import/export permission in Open WebUI 0.12.4.
        for action in ("import", "export") if item != "knowledge" else ():
            spec["workspace", f"{item}_{action}"] = (
                f"USER_PERMISSIONS_WORKSPACE_{up}_{action.upper()}",
                False,
            )
        spec["sharing", item] = (f"USER_PERMISSIONS_WORKSPACE_{up}_ALLOW_SHARING", False)
        spec["sharing", f"public_{item}"] = (
            f"USER_PERMISSIONS_WORKSPACE_{up}_ALLOW_PUBLIC_SHARING",
            False,
        )
    spec["workspace", "models_hidden"] = ("USER_PERMISSIONS_WORKSPACE_MODELS_HIDDEN", False)
    spec["sharing", "notes"] = ("USER_PERMISSIONS_NOTES_ALLOW_SHARING", False)
    spec["sharing", "folders"] = ("USER_PERMISSIONS_FOLDERS_ALLOW_SHARING", False)
    spec["sharing", "public_notes"] = ("USER_PERMISSIONS_NOTES_ALLOW_PUBLIC_SHARING", False)
    spec["sharing", "public_chats"] = ("USER_PERMISSIONS_CHAT_ALLOW_PUBLIC_SHARING", False)
    spec["sharing", "public_calendars"] = (
        "USER_PERMISSIONS_CALENDAR_ALLOW_PUBLIC_SHARING",
        False,
    )
    spec["sharing", "open_chats"] = ("USER_PERMISSIONS_CHAT_ALLOW_OPEN_SHARING", False)
    spec["access_grants", "allow_users"] = ("USER_PERMISSIONS_ACCESS_GRANTS_ALLOW_USERS", True)
    spec["access_grants", "allow_groups"] = ("USER_PERMISSIONS_ACCESS_GRANTS_ALLOW_GROUPS", True)
    for item in _CHAT_TRUE:
        spec["chat", item] = (f"USER_PERMISSIONS_CHAT_{item.upper()}", True)
    spec["chat", "temporary_enforced"] = ("USER_PERMISSIONS_CHAT_TEMPORARY_ENFORCED", False)
    for item, default in _FEATURES.items():
        env = "USER_WEBHOOKS" if item == "webhooks" else item.upper()
        spec["features", item] = (f"USER_PERMISSIONS_FEATURES_{env}", default)
    spec["settings", "interface"] = ("USER_PERMISSIONS_SETTINGS_INTERFACE", True)
    return spec


SPEC = _spec()


def builtin_permissions() -> dict[str, dict[str, bool]]:
    """The tree with built-in defaults only (no env)."""
    tree: dict[str, dict[str, bool]] = {}
    for (section, key), (_env, default) in SPEC.items():
        tree.setdefault(section, {})[key] = default
    return tree


def env_permissions(environ: Mapping[str, str] | None = None) -> dict[str, dict[str, bool]]:
    """Built-in defaults overridden by USER_PERMISSIONS_* variables."""
    environ = os.environ if environ is None else environ
    tree = builtin_permissions()
    for (section, key), (env, _default) in SPEC.items():
        raw = environ.get(env)
        if raw is not None:
            tree[section][key] = raw.strip().lower() in ("1", "true", "yes", "on")
    return tree


def merge_permissions(
    defaults: Mapping[str, Any], grants: Iterable[Mapping[str, Any] | None]
) -> dict[str, Any]:
    """Effective permissions: defaults OR each group's grants; gaps filled from built-ins."""
    result: dict[str, Any] = copy.deepcopy(dict(defaults))
    for grant in grants:
        if grant:
            _or_into(result, grant)
    _fill_missing(result, builtin_permissions())
    return result


def _or_into(target: dict[str, Any], source: Mapping[str, Any]) -> None:
    for key, value in source.items():
        if isinstance(value, Mapping):
            node = target.get(key)
            if not isinstance(node, dict):
                node = target[key] = {}
            _or_into(node, value)
        elif isinstance(value, bool):
            target[key] = bool(target.get(key)) or value
        elif key not in target:
            target[key] = value


def _fill_missing(target: dict[str, Any], source: Mapping[str, Any]) -> None:
    for key, value in source.items():
        if isinstance(value, Mapping):
            node = target.get(key)
            if not isinstance(node, dict):
                node = target[key] = {}
            _fill_missing(node, value)
        else:
            target.setdefault(key, value)


def has_permission(permissions: Mapping[str, Any], dotted: str) -> bool:
    node: Any = permissions
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return False
        node = node[part]
    return bool(node)


def check_permission_tree(values: dict[str, Any]) -> None:
    """Every known section must be an object of booleans; unknown keys are refused."""
    known = builtin_permissions()
    for section, body in values.items():
        if section not in known:
            raise BadRequest(f"Unknown permission section: {section}")
        if not isinstance(body, dict):
            raise BadRequest(f"Permission section {section!r} must be an object")
        for key, value in body.items():
            if key not in known[section]:
                raise BadRequest(f"Unknown permission: {section}.{key}")
            if not isinstance(value, bool):
                raise BadRequest(f"Permission {section}.{key} must be true or false")
