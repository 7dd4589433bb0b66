"""The differential sequence: one scripted session of an admin, a user and their scripts.

It walks every route family owlet serves, in an order that builds its own data (accounts,
keys, chats, files, knowledge, functions), with JSON, SSE and NDJSON answers and the common
errors. Recorded from Open WebUI 0.12.4 into `golden.json` by `python -m tests.compat.record`;
replayed against owlet by `test_differential.py`. Step names are the keys of that file and of
`differences.py`: rename one and both must follow.
"""

from __future__ import annotations

from typing import Any

from tests.compat.runner import Step

ADMIN = {"name": "Ada Admin", "email": "ada@example.com", "password": "correct-horse-1"}
USER = {"name": "Bob User", "email": "bob@example.com", "password": "battery-staple-2"}
OPENAI_MODEL = "fake-gpt"
OLLAMA_MODEL = "fake-llama:latest"
DOC = b"Owlets nest in tree hollows.\nThe lighthouse keeper is named Mira Castellan.\n"


def _hi(model: str, stream: bool, **extra: Any) -> dict[str, Any]:
    return {"model": model, "stream": stream, "messages": [{"role": "user", "content": "Hi"}],
            **extra}  # fmt: skip


def _chat(title: str) -> dict[str, Any]:
    return {
        "chat": {
            "title": title,
            "models": [OPENAI_MODEL],
            "history": {
                "currentId": "m2",
                "messages": {
                    "m1": {
                        "id": "m1",
                        "parentId": None,
                        "childrenIds": ["m2"],
                        "role": "user",
                        "content": "Hi",
                        "timestamp": 1700000000,
                        "models": [OPENAI_MODEL],
                    },
                    "m2": {
                        "id": "m2",
                        "parentId": "m1",
                        "childrenIds": [],
                        "role": "assistant",
                        "content": "Hello",
                        "model": OPENAI_MODEL,
                        "done": True,
                        "timestamp": 1700000001,
                    },
                },  # fmt: skip
            },
            "messages": [
                {"id": "m1", "role": "user", "content": "Hi", "parentId": None},
                {"id": "m2", "role": "assistant", "content": "Hello", "parentId": "m1"},
            ],
        }
    }


FILTER = '''"""
title: Shout
"""
from pydantic import BaseModel


class Filter:
    class Valves(BaseModel):
        priority: int = 0
        suffix: str = "!"

    class UserValves(BaseModel):
        loud: bool = False

    def inlet(self, body: dict) -> dict:
        return body

    def outlet(self, body: dict) -> dict:
        return body
'''


def accounts() -> list[Step]:
    return [
        Step("health", "GET", "/health", who="anon"),
        Step("health db", "GET", "/health/db", who="anon"),
        Step("version", "GET", "/api/version", who="anon"),
        Step("config anon", "GET", "/api/config", who="anon"),
        Step("manifest", "GET", "/manifest.json", who="anon"),
        Step(
            "signup admin",
            "POST",
            "/api/v1/auths/signup",
            who="anon",
            body=ADMIN,
            save={"admin_token": "token", "admin_id": "id"},
        ),  # fmt: skip
        Step("config admin", "GET", "/api/config"),
        Step("session admin", "GET", "/api/v1/auths/"),
        Step("signup duplicate", "POST", "/api/v1/auths/signup", who="anon", body=ADMIN),
        Step(
            "signup bad email",
            "POST",
            "/api/v1/auths/signup",
            who="anon",
            body={**USER, "email": "not-an-email"},
        ),  # fmt: skip
        Step(
            "signup missing field",
            "POST",
            "/api/v1/auths/signup",
            who="anon",
            body={"email": "x@example.com"},
        ),  # fmt: skip
        Step("signup closed", "POST", "/api/v1/auths/signup", who="anon", body=USER),
        Step("admin config", "GET", "/api/v1/auths/admin/config", save={"auth_config": ""}),
        Step(
            "admin config open signup",
            "POST",
            "/api/v1/auths/admin/config",
            body="{auth_config}",
            transform=lambda c: {**c, "ENABLE_SIGNUP": True},
        ),
        Step(
            "signup user",
            "POST",
            "/api/v1/auths/signup",
            who="anon",
            body=USER,
            save={"user_token": "token", "user_id": "id"},
        ),  # fmt: skip
        Step("pending user chats", "GET", "/api/v1/chats/", who="user"),
        Step(
            "promote user",
            "POST",
            "/api/v1/users/{user_id}/update",
            body={
                "role": "user",
                "name": USER["name"],
                "email": USER["email"],
                "profile_image_url": "/user.png",
            },
        ),  # fmt: skip
        Step(
            "signin user",
            "POST",
            "/api/v1/auths/signin",
            who="anon",
            body={"email": USER["email"], "password": USER["password"]},
            save={"user_token": "token"},
        ),  # fmt: skip
        Step(
            "signin wrong password",
            "POST",
            "/api/v1/auths/signin",
            who="anon",
            body={"email": ADMIN["email"], "password": "wrong"},
        ),  # fmt: skip
        Step("session user", "GET", "/api/v1/auths/", who="user"),
        Step("session anon", "GET", "/api/v1/auths/", who="anon"),
        Step("session bad token", "GET", "/api/v1/auths/", who="bad"),
        Step("admin key create", "POST", "/api/v1/auths/api_key", save={"admin_key": "api_key"}),
        Step("admin key get", "GET", "/api/v1/auths/api_key"),
        Step("session by key", "GET", "/api/v1/auths/", who="admin_key"),
        Step("user key create", "POST", "/api/v1/auths/api_key", who="user"),
        Step(
            "update profile",
            "POST",
            "/api/v1/auths/update/profile",
            body={"name": "Ada A.", "profile_image_url": "/user.png"},
        ),  # fmt: skip
        Step(
            "update timezone",
            "POST",
            "/api/v1/auths/update/timezone",
            body={"timezone": "Europe/Paris"},
        ),  # fmt: skip
        Step(
            "update password wrong",
            "POST",
            "/api/v1/auths/update/password",
            who="user",
            body={"password": "wrong", "new_password": "another-pass-3"},
        ),  # fmt: skip
        Step("admin details", "GET", "/api/v1/auths/admin/details"),
        Step("admin config save", "POST", "/api/v1/auths/admin/config", body="{auth_config}"),
        Step("admin config user", "GET", "/api/v1/auths/admin/config", who="user"),
        Step("ldap config", "GET", "/api/v1/auths/admin/config/ldap"),
        Step("ldap server", "GET", "/api/v1/auths/admin/config/ldap/server"),
        Step(
            "ldap signin disabled",
            "POST",
            "/api/v1/auths/ldap",
            who="anon",
            body={"user": "bob", "password": "x"},
        ),  # fmt: skip
        Step(
            "add user",
            "POST",
            "/api/v1/auths/add",
            body={
                "name": "Cy",
                "email": "cy@example.com",
                "password": "cy-pass-4567",
                "role": "user",
            },
            save={"cy_id": "id"},
        ),  # fmt: skip
        Step("signout", "POST", "/api/v1/auths/signout", who="anon"),
    ]


def users() -> list[Step]:
    return [
        Step("users list", "GET", "/api/v1/users/"),
        Step("users all", "GET", "/api/v1/users/all"),
        Step("users search", "GET", "/api/v1/users/search", params={"query": "bob"}),
        Step("users list as user", "GET", "/api/v1/users/", who="user"),
        Step("user by id", "GET", "/api/v1/users/{user_id}"),
        Step("user by id missing", "GET", "/api/v1/users/00000000-0000-0000-0000-000000000000"),
        Step("user info by id", "GET", "/api/v1/users/{user_id}/info"),
        Step("user active", "GET", "/api/v1/users/{user_id}/active"),
        Step("user groups by id", "GET", "/api/v1/users/{user_id}/groups"),
        Step("my groups", "GET", "/api/v1/users/groups", who="user"),
        Step("my permissions", "GET", "/api/v1/users/permissions", who="user"),
        Step(
            "default permissions", "GET", "/api/v1/users/default/permissions", save={"perms": ""}
        ),  # fmt: skip
        Step(
            "default permissions save", "POST", "/api/v1/users/default/permissions", body="{perms}"
        ),  # fmt: skip
        Step("my settings", "GET", "/api/v1/users/user/settings", who="user"),
        Step(
            "my settings update",
            "POST",
            "/api/v1/users/user/settings/update",
            who="user",
            body={"ui": {"theme": "dark"}},
        ),  # fmt: skip
        Step("my info", "GET", "/api/v1/users/user/info", who="user"),
        Step(
            "my info update",
            "POST",
            "/api/v1/users/user/info/update",
            who="user",
            body={"location": "Paris"},
        ),  # fmt: skip
        Step("delete cy", "DELETE", "/api/v1/users/{cy_id}"),
        Step("delete cy as user", "DELETE", "/api/v1/users/{admin_id}", who="user"),
    ]


def groups() -> list[Step]:
    return [
        Step(
            "group create",
            "POST",
            "/api/v1/groups/create",
            body={"name": "Readers", "description": "read"},
            save={"group_id": "id"},
        ),  # fmt: skip
        Step("groups list", "GET", "/api/v1/groups/"),
        Step("group get", "GET", "/api/v1/groups/id/{group_id}"),
        Step(
            "group update",
            "POST",
            "/api/v1/groups/id/{group_id}/update",
            body={"name": "Readers", "description": "readers"},
        ),  # fmt: skip
        Step(
            "group add user",
            "POST",
            "/api/v1/groups/id/{group_id}/users/add",
            body={"user_ids": ["{user_id}"]},
        ),  # fmt: skip
        Step(
            "group remove user",
            "POST",
            "/api/v1/groups/id/{group_id}/users/remove",
            body={"user_ids": ["{user_id}"]},
        ),  # fmt: skip
        Step(
            "group create as user",
            "POST",
            "/api/v1/groups/create",
            who="user",
            body={"name": "X", "description": "x"},
        ),  # fmt: skip
        Step("group delete", "DELETE", "/api/v1/groups/id/{group_id}/delete"),
    ]


def models() -> list[Step]:
    return [
        Step("models", "GET", "/api/models"),
        Step("models by key", "GET", "/api/models", who="admin_key"),
        Step("models as user", "GET", "/api/models", who="user"),
        Step("models anon", "GET", "/api/models", who="anon"),
        Step("models base", "GET", "/api/models/base"),
        Step("openai models", "GET", "/openai/models"),
        Step("openai models idx", "GET", "/openai/models/0"),
        Step("openai config", "GET", "/openai/config"),
        Step("openai config user", "GET", "/openai/config", who="user"),
        Step("ollama config", "GET", "/ollama/config"),
        Step("ollama tags", "GET", "/ollama/api/tags"),
        Step("ollama tags idx", "GET", "/ollama/api/tags/0"),
        Step("ollama version", "GET", "/ollama/api/version"),
        Step("ollama ps", "GET", "/ollama/api/ps"),
        Step("ollama show", "POST", "/ollama/api/show", body={"model": OLLAMA_MODEL}),
        Step("ollama v1 models", "GET", "/ollama/v1/models"),
        Step("model records list", "GET", "/api/v1/models/list"),
        Step("model records base", "GET", "/api/v1/models/base"),
        Step(
            "model create",
            "POST",
            "/api/v1/models/create",
            body={
                "id": "helper",
                "base_model_id": OPENAI_MODEL,
                "name": "Helper",
                "meta": {"description": "helps", "profile_image_url": "/static/favicon.png"},
                "params": {"system": "Be brief."},
            },
        ),  # fmt: skip
        Step(
            "model create duplicate",
            "POST",
            "/api/v1/models/create",
            body={
                "id": "helper",
                "base_model_id": OPENAI_MODEL,
                "name": "Helper",
                "meta": {},
                "params": {},
            },
        ),  # fmt: skip
        Step(
            "model create as user",
            "POST",
            "/api/v1/models/create",
            who="user",
            body={
                "id": "mine",
                "base_model_id": OPENAI_MODEL,
                "name": "Mine",
                "meta": {},
                "params": {},
            },
        ),  # fmt: skip
        Step("model get", "GET", "/api/v1/models/model", params={"id": "helper"}),
        Step("model get missing", "GET", "/api/v1/models/model", params={"id": "nope"}),
        Step(
            "model update",
            "POST",
            "/api/v1/models/model/update",
            params={"id": "helper"},
            body={
                "id": "helper",
                "base_model_id": OPENAI_MODEL,
                "name": "Helper 2",
                "meta": {"description": "helps more"},
                "params": {},
            },
        ),  # fmt: skip
        Step("model toggle", "POST", "/api/v1/models/model/toggle", params={"id": "helper"}),
        Step("model toggle back", "POST", "/api/v1/models/model/toggle", params={"id": "helper"}),
        Step("model tags", "GET", "/api/v1/models/tags"),
        Step("model export", "GET", "/api/v1/models/export"),
        Step("models with custom", "GET", "/api/models"),
    ]


def completions() -> list[Step]:
    return [
        Step("complete openai", "POST", "/api/chat/completions", body=_hi(OPENAI_MODEL, False)),
        Step(
            "complete openai sse", "POST", "/api/chat/completions", body=_hi(OPENAI_MODEL, True)
        ),  # fmt: skip
        Step("complete ollama", "POST", "/api/chat/completions", body=_hi(OLLAMA_MODEL, False)),
        Step(
            "complete ollama sse", "POST", "/api/chat/completions", body=_hi(OLLAMA_MODEL, True)
        ),  # fmt: skip
        Step(
            "complete by key",
            "POST",
            "/api/chat/completions",
            who="admin_key",
            body=_hi(OPENAI_MODEL, False),
        ),  # fmt: skip
        Step(
            "complete as user",
            "POST",
            "/api/chat/completions",
            who="user",
            body=_hi(OPENAI_MODEL, False),
        ),  # fmt: skip
        Step(
            "complete custom model", "POST", "/api/chat/completions", body=_hi("helper", False)
        ),  # fmt: skip
        Step(
            "complete unknown model",
            "POST",
            "/api/chat/completions",
            body=_hi("no-such-model", False),
        ),  # fmt: skip
        Step(
            "complete anon",
            "POST",
            "/api/chat/completions",
            who="anon",
            body=_hi(OPENAI_MODEL, False),
        ),  # fmt: skip
        Step(
            "complete no messages", "POST", "/api/chat/completions", body={"model": OPENAI_MODEL}
        ),  # fmt: skip
        Step(
            "completed",
            "POST",
            "/api/chat/completed",
            body={
                "model": OPENAI_MODEL,
                "messages": [
                    {"role": "user", "content": "Hi"},
                    {"role": "assistant", "content": "Hello"},
                ],
                "chat_id": "local",
                "session_id": "s",
                "id": "m2",
            },
        ),  # fmt: skip
        Step("openai proxy", "POST", "/openai/chat/completions", body=_hi(OPENAI_MODEL, False)),
        Step(
            "openai proxy sse", "POST", "/openai/chat/completions", body=_hi(OPENAI_MODEL, True)
        ),  # fmt: skip
        Step("ollama chat", "POST", "/ollama/api/chat", body=_hi(OLLAMA_MODEL, False)),
        Step("ollama chat ndjson", "POST", "/ollama/api/chat", body=_hi(OLLAMA_MODEL, True)),
        Step(
            "ollama generate",
            "POST",
            "/ollama/api/generate",
            body={"model": OLLAMA_MODEL, "prompt": "Hi", "stream": False},
        ),  # fmt: skip
        Step(
            "ollama generate ndjson",
            "POST",
            "/ollama/api/generate",
            body={"model": OLLAMA_MODEL, "prompt": "Hi"},
        ),  # fmt: skip
        Step(
            "ollama embed",
            "POST",
            "/ollama/api/embed",
            body={"model": OLLAMA_MODEL, "input": ["owl"]},
        ),  # fmt: skip
        Step(
            "ollama embeddings",
            "POST",
            "/ollama/api/embeddings",
            body={"model": OLLAMA_MODEL, "prompt": "owl"},
        ),  # fmt: skip
        Step(
            "ollama chat as user",
            "POST",
            "/ollama/api/chat",
            who="user",
            body=_hi(OLLAMA_MODEL, False),
        ),  # fmt: skip
        Step(
            "embeddings", "POST", "/api/embeddings", body={"model": OPENAI_MODEL, "input": ["owl"]}
        ),  # fmt: skip
        Step("task config", "GET", "/api/v1/tasks/config"),
        Step(
            "title task",
            "POST",
            "/api/v1/tasks/title/completions",
            body={
                "model": OPENAI_MODEL,
                "messages": [{"role": "user", "content": "Hi"}],
                "chat_id": "local",
            },
        ),  # fmt: skip
        Step(
            "tags task",
            "POST",
            "/api/v1/tasks/tags/completions",
            body={
                "model": OPENAI_MODEL,
                "messages": [{"role": "user", "content": "Hi"}],
                "chat_id": "local",
            },
        ),  # fmt: skip
        Step("tasks list", "GET", "/api/tasks"),
    ]


def chats() -> list[Step]:
    return [
        Step("chat new", "POST", "/api/v1/chats/new", body=_chat("Owls"), save={"chat_id": "id"}),
        Step(
            "chat new 2",
            "POST",
            "/api/v1/chats/new",
            body=_chat("Lighthouses"),
            save={"chat2_id": "id"},
        ),  # fmt: skip
        Step("chat new bad", "POST", "/api/v1/chats/new", body={"chat": "nope"}),
        Step("chats list", "GET", "/api/v1/chats/"),
        Step("chats list page", "GET", "/api/v1/chats/list", params={"page": 1}),
        Step("chat get", "GET", "/api/v1/chats/{chat_id}"),
        Step("chat get as user", "GET", "/api/v1/chats/{chat_id}", who="user"),
        Step("chat get missing", "GET", "/api/v1/chats/00000000-0000-0000-0000-000000000000"),
        Step("chat update", "POST", "/api/v1/chats/{chat_id}", body=_chat("Owls and more")),
        Step(
            "chat message update",
            "POST",
            "/api/v1/chats/{chat_id}/messages/m2",
            body={"content": "Hello there"},
        ),  # fmt: skip
        Step("chat pin", "POST", "/api/v1/chats/{chat_id}/pin"),
        Step("chat pinned", "GET", "/api/v1/chats/{chat_id}/pinned"),
        Step("chats pinned", "GET", "/api/v1/chats/pinned"),
        Step("chat tag add", "POST", "/api/v1/chats/{chat_id}/tags", body={"name": "birds"}),
        Step("chat tags", "GET", "/api/v1/chats/{chat_id}/tags"),
        Step("chats all tags", "GET", "/api/v1/chats/all/tags"),
        Step("chats by tag", "POST", "/api/v1/chats/tags", body={"name": "birds"}),
        Step("chat tag delete", "DELETE", "/api/v1/chats/{chat_id}/tags", body={"name": "birds"}),
        Step("chats search", "GET", "/api/v1/chats/search", params={"text": "owls"}),
        Step("chats all", "GET", "/api/v1/chats/all"),
        Step("chats all db", "GET", "/api/v1/chats/all/db"),
        Step("chats all db as user", "GET", "/api/v1/chats/all/db", who="user"),
        Step("chats of user", "GET", "/api/v1/chats/list/user/{admin_id}"),
        Step(
            "chat clone",
            "POST",
            "/api/v1/chats/{chat_id}/clone",
            body={"title": "Copy"},
            save={"clone_id": "id"},
        ),  # fmt: skip
        Step("chat share", "POST", "/api/v1/chats/{chat_id}/share", save={"share_id": "id"}),
        Step("chat shared get", "GET", "/api/v1/chats/share/{share_id}", who="user"),
        Step("chat unshare", "DELETE", "/api/v1/chats/{chat_id}/share"),
        Step("chat archive", "POST", "/api/v1/chats/{chat2_id}/archive"),
        Step("chats archived", "GET", "/api/v1/chats/archived"),
        Step("chats all archived", "GET", "/api/v1/chats/all/archived"),
        Step("chats unarchive all", "POST", "/api/v1/chats/unarchive/all"),
        Step(
            "chats import",
            "POST",
            "/api/v1/chats/import",
            body={
                "chats": [
                    {
                        **_chat("Imported"),
                        "meta": {},
                        "pinned": False,
                        "folder_id": None,
                        "created_at": None,
                        "updated_at": None,
                    }
                ]
            },
        ),  # fmt: skip
        Step("chat delete", "DELETE", "/api/v1/chats/{clone_id}"),
        Step("chat delete as user", "DELETE", "/api/v1/chats/{chat_id}", who="user"),
        Step(
            "chat completion recorded",
            "POST",
            "/api/chat/completions",
            body={**_hi(OPENAI_MODEL, True), "chat_id": "{chat_id}", "id": "m3"},
        ),  # fmt: skip
        Step("chat after completion", "GET", "/api/v1/chats/{chat_id}"),
    ]


def folders() -> list[Step]:
    return [
        Step(
            "folder create",
            "POST",
            "/api/v1/folders/",
            body={"name": "Birds"},
            save={"folder_id": "id"},
        ),  # fmt: skip
        Step("folder create duplicate", "POST", "/api/v1/folders/", body={"name": "Birds"}),
        Step("folders list", "GET", "/api/v1/folders/"),
        Step("folder get", "GET", "/api/v1/folders/{folder_id}"),
        Step(
            "folder update", "POST", "/api/v1/folders/{folder_id}/update", body={"name": "Owls"}
        ),  # fmt: skip
        Step(
            "folder expanded",
            "POST",
            "/api/v1/folders/{folder_id}/update/expanded",
            body={"is_expanded": True},
        ),  # fmt: skip
        Step(
            "chat to folder",
            "POST",
            "/api/v1/chats/{chat_id}/folder",
            body={"folder_id": "{folder_id}"},
        ),  # fmt: skip
        Step("chats in folder", "GET", "/api/v1/chats/folder/{folder_id}"),
        Step("chats in folder list", "GET", "/api/v1/chats/folder/{folder_id}/list"),
        Step("folder get missing", "GET", "/api/v1/folders/00000000-0000-0000-0000-000000000000"),
        Step("folder delete", "DELETE", "/api/v1/folders/{folder_id}"),
    ]


def files() -> list[Step]:
    return [
        Step(
            "file upload",
            "POST",
            "/api/v1/files/",
            upload=("notes.txt", DOC, "text/plain"),
            save={"file_id": "id"},
        ),  # fmt: skip
        Step(
            "file status",
            "GET",
            "/api/v1/files/{file_id}/process/status",
            until=("status", "completed"),
        ),  # fmt: skip
        Step("files list", "GET", "/api/v1/files/"),
        Step("file get", "GET", "/api/v1/files/{file_id}"),
        Step("file get as user", "GET", "/api/v1/files/{file_id}", who="user"),
        Step("file get missing", "GET", "/api/v1/files/00000000-0000-0000-0000-000000000000"),
        Step("file content", "GET", "/api/v1/files/{file_id}/content"),
        Step("file data content", "GET", "/api/v1/files/{file_id}/data/content"),
        Step(
            "file data update",
            "POST",
            "/api/v1/files/{file_id}/data/content/update",
            body={"content": DOC.decode()},
        ),  # fmt: skip
        Step("files search", "GET", "/api/v1/files/search", params={"filename": "notes*"}),
        Step(
            "file upload 2",
            "POST",
            "/api/v1/files/",
            upload=("more.md", b"# More\nowls", "text/markdown"),
            save={"file2_id": "id"},
        ),  # fmt: skip
        Step(
            "file 2 status",
            "GET",
            "/api/v1/files/{file2_id}/process/status",
            until=("status", "completed"),
        ),  # fmt: skip
        Step("file upload no file", "POST", "/api/v1/files/", body={"x": 1}),
    ]


def knowledge() -> list[Step]:
    return [
        Step(
            "knowledge create",
            "POST",
            "/api/v1/knowledge/create",
            body={"name": "Lore", "description": "facts"},
            save={"kb_id": "id"},
        ),  # fmt: skip
        Step("knowledge list", "GET", "/api/v1/knowledge/"),
        Step("knowledge get", "GET", "/api/v1/knowledge/{kb_id}"),
        Step(
            "knowledge add file",
            "POST",
            "/api/v1/knowledge/{kb_id}/file/add",
            body={"file_id": "{file_id}"},
        ),  # fmt: skip
        Step(
            "knowledge add file again",
            "POST",
            "/api/v1/knowledge/{kb_id}/file/add",
            body={"file_id": "{file_id}"},
        ),  # fmt: skip
        Step("knowledge files", "GET", "/api/v1/knowledge/{kb_id}/files"),
        Step("knowledge search", "GET", "/api/v1/knowledge/search", params={"query": "Lore"}),
        Step(
            "knowledge update",
            "POST",
            "/api/v1/knowledge/{kb_id}/update",
            body={"name": "Lore", "description": "more facts"},
        ),  # fmt: skip
        Step("knowledge get as user", "GET", "/api/v1/knowledge/{kb_id}", who="user"),
        Step(
            "knowledge get missing", "GET", "/api/v1/knowledge/00000000-0000-0000-0000-000000000000"
        ),  # fmt: skip
        Step(
            "rag file",
            "POST",
            "/api/chat/completions",
            body={
                **_hi(OPENAI_MODEL, False, files=[{"type": "file", "id": "{file_id}"}]),
                "messages": [{"role": "user", "content": "Who keeps the lighthouse?"}],
            },
        ),
        Step(
            "rag knowledge sse",
            "POST",
            "/api/chat/completions",
            body={
                **_hi(OPENAI_MODEL, True, files=[{"type": "collection", "id": "{kb_id}"}]),
                "messages": [{"role": "user", "content": "Who keeps the lighthouse?"}],
            },
        ),
        Step("retrieval config", "GET", "/api/v1/retrieval/config"),
        Step("retrieval embedding", "GET", "/api/v1/retrieval/embedding"),
        Step(
            "retrieval query doc",
            "POST",
            "/api/v1/retrieval/query/doc",
            body={"collection_name": "file-{file_id}", "query": "lighthouse", "k": 2},
        ),
        Step(
            "retrieval query collection",
            "POST",
            "/api/v1/retrieval/query/collection",
            body={"collection_names": ["{kb_id}"], "query": "lighthouse", "k": 2},
        ),
        Step(
            "retrieval process text",
            "POST",
            "/api/v1/retrieval/process/text",
            body={"name": "t", "content": "Owls hoot at night.", "collection_name": "owl-notes"},
        ),
        Step(
            "knowledge remove file",
            "POST",
            "/api/v1/knowledge/{kb_id}/file/remove",
            body={"file_id": "{file_id}"},
        ),  # fmt: skip
        Step("knowledge reset", "POST", "/api/v1/knowledge/{kb_id}/reset"),
        Step("knowledge delete", "DELETE", "/api/v1/knowledge/{kb_id}/delete"),
        Step("file delete", "DELETE", "/api/v1/files/{file2_id}"),
    ]


def functions() -> list[Step]:
    return [
        Step(
            "function create",
            "POST",
            "/api/v1/functions/create",
            body={
                "id": "shout",
                "name": "Shout",
                "content": FILTER,
                "meta": {"description": "a filter"},
            },
        ),  # fmt: skip
        Step(
            "function create bad id",
            "POST",
            "/api/v1/functions/create",
            body={"id": "bad id!", "name": "Bad", "content": FILTER, "meta": {}},
        ),  # fmt: skip
        Step("functions", "GET", "/api/v1/functions/"),
        Step("functions list", "GET", "/api/v1/functions/list"),
        Step("function get", "GET", "/api/v1/functions/id/shout"),
        Step("function valves", "GET", "/api/v1/functions/id/shout/valves"),
        Step("function valves spec", "GET", "/api/v1/functions/id/shout/valves/spec"),
        Step(
            "function valves update",
            "POST",
            "/api/v1/functions/id/shout/valves/update",
            body={"priority": 1, "suffix": "?"},
        ),  # fmt: skip
        Step("function user valves", "GET", "/api/v1/functions/id/shout/valves/user"),
        Step("function user valves spec", "GET", "/api/v1/functions/id/shout/valves/user/spec"),
        Step("function toggle", "POST", "/api/v1/functions/id/shout/toggle"),
        Step("function toggle global", "POST", "/api/v1/functions/id/shout/toggle/global"),
        Step(
            "function update",
            "POST",
            "/api/v1/functions/id/shout/update",
            body={
                "id": "shout",
                "name": "Shout 2",
                "content": FILTER,
                "meta": {"description": "still a filter"},
            },
        ),  # fmt: skip
        Step("function export", "GET", "/api/v1/functions/export"),
        Step("function get as user", "GET", "/api/v1/functions/id/shout", who="user"),
        Step("function get missing", "GET", "/api/v1/functions/id/nope"),
        Step("function delete", "DELETE", "/api/v1/functions/id/shout/delete"),
    ]


def admin_settings() -> list[Step]:
    return [
        Step("banners", "GET", "/api/v1/configs/banners"),
        Step(
            "banners save",
            "POST",
            "/api/v1/configs/banners",
            body={
                "banners": [
                    {
                        "id": "b1",
                        "type": "info",
                        "content": "Hi",
                        "dismissible": True,
                        "timestamp": 1700000000,
                    }
                ]
            },
        ),  # fmt: skip
        Step("connections config", "GET", "/api/v1/configs/connections"),
        Step("models config", "GET", "/api/v1/configs/models"),
        Step("code execution config", "GET", "/api/v1/configs/code_execution"),
        Step("config export", "GET", "/api/v1/configs/export"),
        Step("chats config", "GET", "/api/v1/chats/config"),
        Step("evaluations config", "GET", "/api/v1/evaluations/config"),
        Step("feedbacks", "GET", "/api/v1/evaluations/feedbacks/list"),
        Step("leaderboard", "GET", "/api/v1/evaluations/leaderboard"),
        Step("audio config", "GET", "/api/v1/audio/config"),
        Step("audio voices", "GET", "/api/v1/audio/voices"),
        Step("images config", "GET", "/api/v1/images/config"),
        Step("pipelines list", "GET", "/api/v1/pipelines/list"),
        Step("prompts list", "GET", "/api/v1/prompts/list"),
        Step("prompts tags", "GET", "/api/v1/prompts/tags"),
        Step("notes search", "GET", "/api/v1/notes/search"),
        Step("changelog", "GET", "/api/changelog"),
        Step("usage", "GET", "/api/usage"),
        Step(
            "banners as user", "POST", "/api/v1/configs/banners", who="user", body={"banners": []}
        ),  # fmt: skip
        Step("model delete", "POST", "/api/v1/models/model/delete", params={"id": "helper"}),
        Step("chats delete all as user", "DELETE", "/api/v1/chats/", who="user"),
        Step("chat delete last", "DELETE", "/api/v1/chats/{chat_id}"),
        Step("signout admin", "POST", "/api/v1/auths/signout"),
    ]


def sequence() -> list[Step]:
    steps = (
        accounts() + users() + groups() + models() + completions() + chats() + folders()
        + files() + knowledge() + functions() + admin_settings()
    )  # fmt: skip
    names = [s.name for s in steps]
    assert len(names) == len(set(names)), "step names must be unique"
    return steps
