"""The differences from Open WebUI 0.12.4 that owlet chose, by step name, each with its reason.

Every entry is mirrored in docs/compatibility.md. `test_differential.py` fails when a step
differs and is not listed here, and when a listed step no longer differs (the list stays exact).
"""

from __future__ import annotations

_FORBIDDEN = "the seed pages: insufficient permissions is 403 (Open WebUI answers 401)"
_MISSING = (
    "the seed pages: a resource that does not exist (or that the caller may not see) is 404 "
    "(Open WebUI answers 401 or 400)"
)
_SDK_ERROR = (
    "owlet also sends OpenAI's `error: {message, type, code}` beside `detail`: without it the "
    "official `openai` SDK reports only `Error code: 400`"
)
_CONTEXT = (
    "owlet estimates how much of the context window the current branch fills; 0.12.4 "
    "answers null until it has a measured figure"
)

_DELTAS = (
    "owlet streams a web-client generation as `chat:completion` `{choices: [{delta}]}` events "
    "and a final `{done, content, title}`; 0.12.4 sends Responses-API `response:completion` "
    "deltas and a final `output` list. The 0.12.4 web client reads both (docs/realtime.md)"
)

DIFFERENCES: dict[str, str] = {
    "socket response:completion": _DELTAS,
    "socket chat:completion": _DELTAS,
    "pending user chats": _FORBIDDEN,
    "admin config user": _FORBIDDEN,
    "users list as user": _FORBIDDEN,
    "delete cy as user": _FORBIDDEN,
    "group create as user": _FORBIDDEN,
    "openai config user": _FORBIDDEN,
    "model create as user": _FORBIDDEN,
    "chats all db as user": _FORBIDDEN,
    "function get as user": _FORBIDDEN,
    "banners as user": _FORBIDDEN,
    "user by id missing": _MISSING,
    "chat get as user": _MISSING,
    "chat get missing": _MISSING,
    "chat shared get": _MISSING,
    "knowledge get as user": _MISSING,
    "function get missing": _MISSING,
    "model create duplicate": (
        "409 for an id that is taken: a 401 would sign the web client out for a typo"
    ),
    "complete as user": _SDK_ERROR,
    "complete unknown model": _SDK_ERROR,
    "chat get": _CONTEXT,
    "chat after completion": _CONTEXT,
    "chats archived": (
        "owlet reports each archived chat's real `last_read_at`; 0.12.4 always sends null there"
    ),
    "config export": (
        '`oauth.group_default_share` is owlet\'s `"members"` by default (a group made from '
        "OAuth claims shares with its members only); Open WebUI's is `true`"
    ),
    "chat completion recorded": (
        "a streamed completion for a stored chat, without a Socket.IO session, streams the "
        "answer (and records it); 0.12.4 answers `null`, leaving a script nothing to read"
    ),
}
