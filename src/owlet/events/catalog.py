"""The names of the events Open WebUI 0.12.4 lists at `GET /api/events`, which an event
webhook may subscribe to. owlet sends the ones docs/compatibility.md lists."""

from __future__ import annotations

from typing import Any

_EVENTS = {
    "system": "startup.started startup.completed shutdown.started shutdown.completed",
    "config": "imported updated webhook.updated connections.updated tool_servers.updated "
    "terminal_servers.updated code_execution.updated models.updated banners.updated "
    "suggestions.updated",
    "auth": "signup mfa.enrolled mfa.replaced mfa.failed mfa.throttled mfa.recovery_used "
    "mfa.recovery_codes_regenerated mfa.reset_requested mfa.reset_completed mfa.policy_changed "
    "login sessions_revoked logout password_changed api_key.created api_key.deleted "
    "oauth_session.deleted",
    "user": "created updated deleted role_updated status_updated settings_updated "
    "profile_updated permissions_updated",
    "group": "created updated deleted member_added member_removed",
    "chat": "created finished failed imported updated deleted deleted_all compacted pinned "
    "unpinned cloned archived unarchived shared unshared folder_updated tag_added tag_removed",
    "message": "created updated deleted event_received reaction_added reaction_removed pinned "
    "unpinned",
    "channel": "created updated deleted member_added member_removed member_active_updated "
    "message webhook.created webhook.updated webhook.deleted",
    "file": "uploaded content_updated renamed deleted deleted_all",
    "folder": "created updated parent_updated access_updated deleted",
    "note": "created updated access_updated pinned unpinned deleted",
    "memory": "created updated deleted reset",
    "knowledge": "created updated deleted reset reindexed access_updated file.added "
    "file.updated file.removed file.moved directory.created directory.updated "
    "directory.deleted external_connection.created external_connection.updated "
    "external_connection.deleted",
    "retrieval": "content.processed content.process_failed collection.deleted vector_db.reset "
    "uploads.reset",
    "model": "created imported synced updated deleted enabled disabled access_updated "
    "provider_config.updated provider_request.failed provider_model.created "
    "provider_model.deleted",
    "function": "created updated deleted enabled disabled enable_started disable_started "
    "valves_updated",
    "tool": "created updated deleted access_updated valves_updated",
    "skill": "created updated deleted enabled disabled",
    "prompt": "created updated deleted enabled disabled version_updated access_updated",
    "pipeline": "uploaded added deleted valves_updated",
    "calendar": "created updated deleted default_updated event.created event.updated "
    "event.deleted event.rsvp_updated alert",
    "automation": "created updated enabled disabled deleted run_started run_completed run_failed",
    "feedback": "created updated deleted deleted_all",
    "image": "generated edited",
    "audio": "speech_requested transcription_requested",
    "terminal": "session.opened session.closed",
    "notification": "test manual",
}

NAMES: tuple[str, ...] = tuple(
    f"{domain}.{name}" for domain, names in _EVENTS.items() for name in names.split()
)
# A webhook subscribing to every event lists this instead of names.
EVERY = "*"


def _message(name: str) -> str:
    words = name.replace(".", " ").replace("_", " ").split()
    return " ".join(words).capitalize()


def describe(name: str) -> tuple[str, str]:
    """(description, message) of an event; the wording is owlet's own."""
    message = _message(name)
    return f"Sent on: {message.lower()}.", message


def catalog() -> list[dict[str, Any]]:
    """`{event, description, message}` per event."""
    return [
        {"event": name, "description": describe(name)[0], "message": describe(name)[1]}
        for name in NAMES
    ]


def known_pattern(pattern: str) -> bool:
    """`*`, an event name, or `<prefix>.*` for a prefix some event names start with."""
    if pattern == EVERY or pattern in NAMES:
        return True
    prefix = pattern[:-2] if pattern.endswith(".*") else ""
    return bool(prefix) and any(name.startswith(f"{prefix}.") for name in NAMES)


def matches(patterns: list[str], name: str) -> bool:
    """Whether a webhook subscribed to `patterns` wants event `name`."""
    for pattern in patterns or [EVERY]:
        if pattern in (EVERY, name):
            return True
        if pattern.endswith(".*") and name.startswith(pattern[:-1]):
            return True
    return False
