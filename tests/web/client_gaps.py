"""Calls the pinned web client makes that owlet does not answer yet, with why.

`tests/web/test_client_calls.py` fails for a call missing from owlet and not listed here (a
route lost, or a client upgrade), and for a listed one owlet now answers (strike it here).
"""

from __future__ import annotations

# Whole features owlet has not built: every call under the prefix.
FEATURES = {
    "/api/v1/channels": "channels",
    "/api/v1/tools": "tools (the next issues)",
    "/api/v1/prompts": "prompts, beyond the empty list the sidebar reads",
    "/api/v1/calendars": "calendars",
    "/api/v1/notes": "notes, beyond the empty list the sidebar reads",
    "/api/v1/automations": "automations",
    "/api/v1/apps": "apps",
    "/api/v1/analytics": "the admin analytics pages",
    "/api/v1/skills": "skills",
    "/api/v1/memories": "memories",
    "/api/v1/utils": "code execution and formatting, markdown and PDF helpers",
    "/api/v1/images": "image generation",
    "/api/v1/audio": "speech and transcription",
    "/api/v1/pipelines": "pipelines servers, beyond the empty list",
}

# Single calls in areas owlet has, grouped by what is missing.
CALLS = {
    "web search and YouTube for RAG": [
        "POST /api/v1/retrieval/process/web/search",
        "POST /api/v1/retrieval/process/youtube",
    ],
    "retrieval admin settings": [
        "GET /api/v1/retrieval/query/settings", "POST /api/v1/retrieval/query/settings/update",
        "GET /api/v1/retrieval/reranking", "POST /api/v1/retrieval/reranking/update",
        "POST /api/v1/retrieval/reset/db", "POST /api/v1/retrieval/reset/uploads",
    ],
    "knowledge directories, sync, export, re-indexing and external sources": [
        "POST /api/v1/knowledge/X/dirs/create", "POST /api/v1/knowledge/X/dirs/X/update",
        "DELETE /api/v1/knowledge/X/dirs/X/delete", "POST /api/v1/knowledge/X/file/move",
        "POST /api/v1/knowledge/X/sync/diff", "POST /api/v1/knowledge/X/sync/cleanup",
        "GET /api/v1/knowledge/X/export", "POST /api/v1/knowledge/reindex",
        "POST /api/v1/knowledge/metadata/reindex", "POST /api/v1/files/upload/dir",
        "GET /api/v1/knowledge/external/connections",
        "POST /api/v1/knowledge/external/connections",
        "PATCH /api/v1/knowledge/external/connections/X",
        "DELETE /api/v1/knowledge/external/connections/X",
        "POST /api/v1/knowledge/external/connections/X/test",
        "POST /api/v1/knowledge/external/connections/X/retrieve-test",
        "POST /api/v1/knowledge/external/knowledge/create",
        "POST /api/v1/knowledge/external/source/create",
        "POST /api/v1/knowledge/external/source/test",
        "PATCH /api/v1/knowledge/external/source/X",
    ],
    "version history of models and functions": [
        "POST /api/v1/models/model/update/version", "DELETE /api/v1/models/model/history/X",
        "GET /api/v1/functions/id/X/history", "GET /api/v1/functions/id/X/history/X",
        "GET /api/v1/functions/id/X/history/diff", "DELETE /api/v1/functions/id/X/history/X",
        "POST /api/v1/functions/id/X/update/version",
    ],
    "tool, terminal and subagent servers (with tools)": [
        "GET /api/v1/configs/tool_servers", "POST /api/v1/configs/tool_servers",
        "POST /api/v1/configs/tool_servers/verify", "GET /api/v1/configs/terminal_servers",
        "POST /api/v1/configs/terminal_servers", "POST /api/v1/configs/terminal_servers/verify",
        "POST /api/v1/configs/terminal_servers/refresh",
        "POST /api/v1/configs/terminal_servers/lifecycle",
        "POST /api/v1/configs/terminal_servers/policy", "GET /api/v1/configs/subagents",
        "POST /api/v1/configs/subagents", "POST /api/v1/configs/oauth/clients/register",
    ],
    "admin settings pages owlet lacks": [
        "POST /api/v1/configs/interface/visibility", "POST /api/v1/configs/suggestions",
        "GET /api/version/updates",
    ],
    "chat and task extras": [
        "PATCH /api/v1/chats/X/params", "POST /api/v1/chats/X/messages/X/resolve",
        "POST /api/v1/tasks/emoji/completions", "POST /api/v1/tasks/queries/completions",
    ],
    "user and group previews, sessions": [
        "GET /api/v1/users/X/preview", "GET /api/v1/groups/id/X/preview",
        "POST /api/v1/users/X/sessions/revoke", "POST /api/v1/users/update/role",
        "DELETE /api/v1/auths/oauth/sessions/X",
    ],
    "connection extras (model catalogs, load/unload, speech)": [
        "GET /ollama/urls", "GET /openai/models/X/catalog", "POST /openai/models/X/load",
        "POST /openai/models/X/unload", "DELETE /openai/models/X", "POST /openai/audio/speech",
    ],
}  # fmt: skip


def listed() -> set[tuple[str, str]]:
    return {(c.split(" ", 1)[0], c.split(" ", 1)[1]) for calls in CALLS.values() for c in calls}
