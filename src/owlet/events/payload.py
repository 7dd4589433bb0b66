"""What an event webhook receives: Open WebUI 0.12.4's event envelope, and the short text
form chat services (Slack, Google Chat, Discord) take instead."""

from __future__ import annotations

from typing import Any, TypedDict, Unpack

from owlet import __version__
from owlet.core.clock import new_id, now
from owlet.events.catalog import NAMES, describe

MAX_STRING = 1000  # longer strings in `data` are cut to this many characters, then `...`
DISCORD_MAX = 2000  # Discord refuses longer messages
# Keys left out of `data` and `actor` at any depth: never send a credential to a receiver.
_SECRET_KEYS = frozenset(
    "password hashed_password token access_token refresh_token id_token api_key secret key "
    "authorization cookie webhook_token".split()
)
_SECRET_ENDINGS = ("_token", "_secret", "_key")
_ACTOR_FIELDS = ("id", "name", "email", "role", "created_at", "updated_at")
_KNOWN = frozenset(NAMES)


class Details(TypedDict, total=False):
    """What a place that publishes an event says about it."""

    actor: Any  # the account acting (a `User` row)
    subject_id: str | None  # what the event is about
    subject_type: str | None  # its kind; the event's resource when left out
    data: dict[str, Any] | None
    message: str | None
    source: str  # how the action came in: `api` unless said otherwise


def envelope(name: str, instance_id: str | None, **details: Unpack[Details]) -> dict[str, Any]:
    """The JSON body of event `name`, sent by process `instance_id`."""
    if name not in _KNOWN:
        raise ValueError(f"Unknown event: {name}")  # a typo in owlet, not a client's error
    *resource, operation = name.split(".")
    subject_id, subject_type = details.get("subject_id"), details.get("subject_type")
    subject = None
    if subject_id is not None or subject_type is not None:
        subject = {"type": subject_type or ".".join(resource), "id": subject_id}
    return {
        "schema": __version__,
        "id": new_id(),
        "event": name,
        "resource": ".".join(resource),
        "operation": operation,
        "created_at": now(),
        "instance_id": instance_id,
        "version": __version__,
        "source": details.get("source", "api"),
        "actor": _actor(details.get("actor")),
        "subject": subject,
        "data": _clean(details.get("data") or {}),
        "message": details.get("message"),
    }


def _actor(actor: Any) -> dict[str, Any] | None:
    if actor is None:
        return None
    fields = {f: getattr(actor, f, None) for f in _ACTOR_FIELDS}
    fields = {k: _clean(v) for k, v in fields.items() if v is not None}
    return {**fields, "type": "user"} if fields else None


def _secret(key: object) -> bool:
    name = str(key).lower().replace("-", "_")
    return name in _SECRET_KEYS or name.endswith(_SECRET_ENDINGS)


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if not _secret(k)}
    if isinstance(value, list | tuple | set | frozenset):
        return [_clean(v) for v in value]
    if isinstance(value, str) and len(value) > MAX_STRING:
        return value[:MAX_STRING] + "..."
    return value


def user_ids(event: dict[str, Any]) -> set[str]:
    """The accounts an event concerns, which a webhook's `targets` are matched against: the
    actor, a user subject, and `data.user_id` / `data.user_ids`."""
    found: set[str] = set()
    actor, subject, data = event["actor"] or {}, event["subject"] or {}, event["data"]
    if actor.get("id"):
        found.add(str(actor["id"]))
    if subject.get("type") == "user" and subject.get("id"):
        found.add(str(subject["id"]))
    if data.get("user_id"):
        found.add(str(data["user_id"]))
    found.update(str(uid) for uid in data.get("user_ids") or [] if uid)
    return found


def body_for(url: str, event: dict[str, Any]) -> dict[str, Any]:
    """The envelope itself, or `{text}` / `{content}` for the chat services that only take a
    message (recognized by their webhook URL, as Open WebUI does)."""
    if url.startswith(("https://hooks.slack.com", "https://chat.googleapis.com")):
        return {"text": _text(event)}
    if url.startswith("https://discord.com/api/webhooks"):
        text = _text(event)
        cut = DISCORD_MAX - len("... (truncated)")
        return {"content": text if len(text) < DISCORD_MAX else f"{text[:cut]}... (truncated)"}
    return event


def _text(event: dict[str, Any]) -> str:
    description, title = describe(event["event"])
    message = event["message"] or title
    subject_id = (event["subject"] or {}).get("id")
    lines = [f"{message} ({subject_id})" if subject_id else message]
    if description != lines[0]:
        lines.append(description)
    lines.append(f"Event: {event['event']}")
    return "\n".join(lines)
