"""Every registered route, called by every kind of caller, against a declared access table.

A route missing from ACCESS fails the suite, so no route ships without a declared role.

Roles:
  public   - anyone, no credential needed
  any      - any signed-in account, pending included
  verified - user or admin (pending: 403)
  member   - verified, and for others' objects the caller must belong (other user: 403)
  admin    - admin only
  workspace - verified, plus a workspace permission users lack by default (so: admin)
  off      - signed-in callers are refused (403) while a setting keeps the route off
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from owlet.auth import tokens
from tests.conftest import MakeClient
from tests.fakes.upstream import FakeUpstream
from tests.gateway import gateway_settings
from tests.support import add_user, bearer, registered_routes, signup

ACCESS: dict[tuple[str, str], str] = {
    ("GET", "/health"): "public",
    ("GET", "/health/db"): "public",
    ("GET", "/ready"): "public",
    ("GET", "/api/version"): "public",
    ("GET", "/api/config"): "public",
    ("GET", "/api/v1/auths/"): "any",
    ("GET", "/api/tasks"): "admin",
    ("GET", "/api/usage"): "verified",
    ("GET", "/api/changelog"): "public",
    ("GET", "/manifest.json"): "public",
    ("GET", "/opensearch.xml"): "public",
    ("GET", "/cache/{path:path}"): "verified",
    ("GET", "/api/v1/configs/banners"): "verified",
    ("POST", "/api/v1/configs/banners"): "admin",
    ("GET", "/api/v1/tools/"): "verified",
    ("GET", "/api/v1/tools/list"): "verified",
    ("GET", "/api/v1/skills/"): "verified",
    ("GET", "/api/v1/skills/list"): "verified",
    ("GET", "/api/v1/channels/"): "verified",
    ("GET", "/api/v1/channels/list"): "verified",
    ("GET", "/api/v1/tasks/config"): "verified",
    ("POST", "/api/v1/tasks/config/update"): "admin",
    ("POST", "/api/v1/tasks/title/completions"): "verified",
    ("POST", "/api/v1/tasks/tags/completions"): "verified",
    ("POST", "/api/v1/tasks/follow_up/completions"): "verified",
    ("POST", "/api/v1/tasks/follow_ups/completions"): "verified",
    ("GET", "/api/tasks/chat/{chat_id:path}"): "verified",
    ("POST", "/api/tasks/stop/{task_id}"): "verified",
    ("POST", "/api/tasks/chat/{chat_id}/stop"): "verified",
    ("POST", "/api/v1/auths/signin"): "public",
    ("POST", "/api/v1/auths/signup"): "public",
    ("POST", "/api/v1/auths/signout"): "public",
    ("POST", "/api/v1/auths/update/profile"): "verified",
    ("POST", "/api/v1/auths/update/timezone"): "any",
    ("POST", "/api/v1/auths/update/password"): "any",
    ("POST", "/api/v1/auths/add"): "admin",
    ("GET", "/api/v1/auths/admin/details"): "any",
    ("GET", "/api/v1/auths/mfa/status"): "any",
    ("GET", "/api/v1/auths/admin/config"): "admin",
    ("POST", "/api/v1/auths/admin/config"): "admin",
    ("POST", "/api/v1/auths/ldap"): "public",
    ("GET", "/oauth/{provider}/login"): "public",
    ("GET", "/oauth/{provider}/login/callback"): "public",
    ("GET", "/oauth/{provider}/callback"): "public",
    ("GET", "/api/v1/auths/admin/config/ldap"): "admin",
    ("POST", "/api/v1/auths/admin/config/ldap"): "admin",
    ("GET", "/api/v1/auths/admin/config/ldap/server"): "admin",
    ("POST", "/api/v1/auths/admin/config/ldap/server"): "admin",
    ("GET", "/api/v1/auths/admin/config/oauth"): "admin",
    ("POST", "/api/v1/auths/admin/config/oauth"): "admin",
    ("POST", "/api/v1/auths/api_key"): "verified",
    ("GET", "/api/v1/auths/api_key"): "verified",
    ("DELETE", "/api/v1/auths/api_key"): "verified",
    ("GET", "/api/v1/users/"): "admin",
    ("GET", "/api/v1/users/all"): "admin",
    ("GET", "/api/v1/users/search"): "verified",
    ("GET", "/api/v1/users/groups"): "verified",
    ("GET", "/api/v1/users/permissions"): "verified",
    ("GET", "/api/v1/users/default/permissions"): "admin",
    ("POST", "/api/v1/users/default/permissions"): "admin",
    ("GET", "/api/v1/users/default/permissions/defaults"): "admin",
    ("GET", "/api/v1/users/user/settings"): "verified",
    ("POST", "/api/v1/users/user/settings/update"): "verified",
    ("GET", "/api/v1/users/user/status"): "verified",
    ("POST", "/api/v1/users/user/status/update"): "verified",
    ("GET", "/api/v1/users/user/info"): "verified",
    ("POST", "/api/v1/users/user/info/update"): "verified",
    ("GET", "/api/v1/users/user/variables"): "verified",
    ("POST", "/api/v1/users/user/variables/update"): "verified",
    ("GET", "/api/v1/users/{user_id}"): "admin",
    ("GET", "/api/v1/users/{user_id}/info"): "verified",
    ("GET", "/api/v1/users/{user_id}/profile/image"): "verified",
    ("GET", "/api/v1/users/{user_id}/active"): "verified",
    ("POST", "/api/v1/users/{user_id}/update"): "admin",
    ("DELETE", "/api/v1/users/{user_id}"): "admin",
    ("GET", "/api/v1/users/{user_id}/groups"): "admin",
    ("GET", "/api/v1/groups/"): "verified",
    ("POST", "/api/v1/groups/create"): "admin",
    ("GET", "/api/v1/groups/id/{group_id}"): "admin",
    ("GET", "/api/v1/groups/id/{group_id}/info"): "member",
    ("GET", "/api/v1/groups/id/{group_id}/export"): "admin",
    ("POST", "/api/v1/groups/id/{group_id}/users"): "admin",
    ("POST", "/api/v1/groups/id/{group_id}/update"): "admin",
    ("POST", "/api/v1/groups/id/{group_id}/users/add"): "admin",
    ("POST", "/api/v1/groups/id/{group_id}/users/remove"): "admin",
    ("DELETE", "/api/v1/groups/id/{group_id}/delete"): "admin",
    ("GET", "/api/models"): "verified",
    ("GET", "/api/v1/models"): "verified",
    ("GET", "/api/models/base"): "admin",
    ("POST", "/api/models/unload"): "admin",
    ("POST", "/api/v1/models/sync"): "admin",
    # chats: another user's chat answers 404 (tests/chats/test_ownership.py), so "verified"
    **{
        (method, "/api/v1/chats" + path): "verified"
        for method, path in (
            ("GET", "/"),
            ("GET", "/list"),
            ("POST", "/new"),
            ("POST", "/import"),
            ("GET", "/search"),
            ("GET", "/folder/{folder_id}"),
            ("GET", "/folder/{folder_id}/list"),
            ("GET", "/pinned"),
            ("GET", "/all"),
            ("GET", "/all/archived"),
            ("GET", "/all/tags"),
            ("GET", "/archived"),
            ("GET", "/archived/count"),
            ("POST", "/archive/all"),
            ("POST", "/unarchive/all"),
            ("DELETE", "/share/all"),
            ("GET", "/shared"),
            ("POST", "/tags"),
            ("DELETE", "/"),
            ("POST", "/shared/{chat_id}/access/update"),
            ("GET", "/shared/{chat_id}/access"),
            ("GET", "/{chat_id}"),
            ("POST", "/{chat_id}"),
            ("DELETE", "/{chat_id}"),
            ("GET", "/{chat_id}/pinned"),
            ("POST", "/{chat_id}/pin"),
            ("POST", "/{chat_id}/archive"),
            ("POST", "/{chat_id}/fork"),
            ("POST", "/{chat_id}/clone"),
            ("POST", "/{chat_id}/clone/shared"),
            ("POST", "/{chat_id}/share"),
            ("DELETE", "/{chat_id}/share"),
            ("POST", "/{chat_id}/folder"),
            ("GET", "/{chat_id}/tags"),
            ("POST", "/{chat_id}/tags"),
            ("DELETE", "/{chat_id}/tags"),
            ("POST", "/{chat_id}/messages/{message_id}"),
            ("POST", "/read"),
            ("GET", "/stats/usage"),
            ("GET", "/stats/export"),
            ("GET", "/stats/export/{chat_id}"),
            ("POST", "/{chat_id}/compact"),
            ("POST", "/{chat_id}/unread"),
            ("POST", "/{chat_id}/messages/{message_id}/event"),
            ("DELETE", "/{chat_id}/messages/{message_id}"),
        )
    },
    ("GET", "/api/v1/chats/share/{share_id}"): "public",
    ("POST", "/api/v1/folders/{folder_id}/access/update"): "workspace",  # sharing.folders
    ("GET", "/api/v1/chats/all/db"): "admin",
    ("GET", "/api/v1/chats/config"): "admin",
    ("POST", "/api/v1/chats/config"): "admin",
    ("GET", "/api/v1/chats/list/user/{user_id}"): "admin",
    **{
        (method, "/api/v1/folders" + path): "verified"
        for method, path in (
            ("GET", "/"),
            ("POST", "/"),
            ("GET", "/shared"),
            ("GET", "/{folder_id}"),
            ("POST", "/{folder_id}/update"),
            ("POST", "/{folder_id}/update/parent"),
            ("POST", "/{folder_id}/update/expanded"),
            ("GET", "/{folder_id}/shared/chats"),
            ("POST", "/{folder_id}/read"),
            ("DELETE", "/{folder_id}"),
        )
    },
    **{
        (method, "/api/v1/files" + path): "verified"
        for method, path in (
            ("POST", "/"),
            ("GET", "/"),
            ("GET", "/search"),
            ("GET", "/count"),
            ("GET", "/{file_id}"),
            ("GET", "/{file_id}/process/status"),
            ("GET", "/{file_id}/data/content"),
            ("POST", "/{file_id}/data/content/update"),
            ("GET", "/{file_id}/content"),
            ("GET", "/{file_id}/content/html"),
            ("GET", "/{file_id}/content/{file_name}"),
            ("POST", "/{file_id}/rename"),
            ("DELETE", "/{file_id}"),
        )
    },
    ("DELETE", "/api/v1/files/all"): "admin",
    **{
        (method, "/api/v1/knowledge" + path): "verified"
        for method, path in (
            ("GET", "/"),
            ("GET", "/search"),
            ("GET", "/search/files"),
            ("POST", "/create"),
            ("GET", "/{knowledge_id}"),
            ("POST", "/{knowledge_id}/update"),
            ("POST", "/{knowledge_id}/access/update"),
            ("GET", "/{knowledge_id}/files"),
            ("GET", "/{knowledge_id}/files/pending"),
            ("POST", "/{knowledge_id}/file/add"),
            ("POST", "/{knowledge_id}/files/batch/add"),
            ("POST", "/{knowledge_id}/file/update"),
            ("POST", "/{knowledge_id}/file/remove"),
            ("POST", "/{knowledge_id}/reset"),
            ("DELETE", "/{knowledge_id}/delete"),
        )
    },
    **{
        ("POST", "/api/v1/retrieval" + path): "verified"
        for path in (
            "/query/doc",
            "/query/collection",
            "/process/text",
            "/process/file",
            "/process/web",
            "/process/url",
        )
    },
    ("GET", "/api/v1/retrieval/config"): "admin",
    ("POST", "/api/v1/retrieval/config/update"): "admin",
    ("GET", "/api/v1/retrieval/embedding"): "admin",
    ("POST", "/api/v1/retrieval/embedding/update"): "admin",
    ("GET", "/api/v1/functions/"): "verified",
    **{
        (method, "/api/v1/functions" + path): "admin"
        for method, path in (
            ("GET", "/list"),
            ("GET", "/export"),
            ("POST", "/create"),
            ("POST", "/sync"),
            ("POST", "/load/url"),
            ("GET", "/id/{function_id}"),
            ("POST", "/id/{function_id}/update"),
            ("POST", "/id/{function_id}/toggle"),
            ("POST", "/id/{function_id}/toggle/global"),
            ("DELETE", "/id/{function_id}/delete"),
            ("GET", "/id/{function_id}/valves"),
            ("GET", "/id/{function_id}/valves/spec"),
            ("POST", "/id/{function_id}/valves/update"),
        )
    },
    **{
        (method, "/api/v1/functions/id/{function_id}/valves/user" + path): "verified"
        for method, path in (("GET", ""), ("GET", "/spec"), ("POST", "/update"))
    },
    ("POST", "/openai/responses"): "verified",
    ("POST", "/api/v1/messages/count_tokens"): "verified",
    ("POST", "/api/message/count_tokens"): "verified",
    ("GET", "/api/v1/configs/models"): "admin",
    ("GET", "/api/v1/configs/models/defaults"): "verified",
    ("GET", "/api/v1/audio/voices"): "verified",
    **{
        (method, "/api/v1/configs/" + name): "admin"
        for name in ("connections", "code_execution")
        for method in ("GET", "POST")
    },
    ("GET", "/api/v1/configs/export"): "admin",
    ("POST", "/api/v1/configs/import"): "admin",
    **{
        (method, f"/api/v1/{feature}/config{suffix}"): "admin"
        for feature in ("audio", "images")
        for method, suffix in (("GET", ""), ("POST", "/update"))
    },
    ("GET", "/api/events"): "admin",
    ("GET", "/api/events/webhooks"): "admin",
    ("POST", "/api/events/webhooks"): "admin",
    ("PUT", "/api/events/webhooks/{webhook_id}"): "admin",
    ("DELETE", "/api/events/webhooks/{webhook_id}"): "admin",
    **{
        (method, "/api/v1/evaluations" + path): "admin"
        for method, path in (
            ("GET", "/feedbacks/list"),
            ("GET", "/feedbacks/models"),
            ("GET", "/feedbacks/all/ids"),
            ("GET", "/feedbacks/all/export"),
            ("DELETE", "/feedbacks/all"),
            ("GET", "/leaderboard"),
            ("GET", "/leaderboard/{model_id:path}/history"),
        )
    },
    # feedback: another user's answers 404 (tests/evaluations), so "verified"
    **{
        (method, "/api/v1/evaluations" + path): "verified"
        for method, path in (
            ("POST", "/feedback"),
            ("GET", "/feedback/{feedback_id}"),
            ("POST", "/feedback/{feedback_id}"),
            ("DELETE", "/feedback/{feedback_id}"),
            ("GET", "/feedbacks/user"),
            ("DELETE", "/feedbacks"),
        )
    },
    ("GET", "/api/v1/models/all"): "admin",
    ("GET", "/api/v1/pipelines/list"): "admin",
    ("GET", "/api/v1/prompts/list"): "verified",
    ("GET", "/api/v1/prompts/tags"): "verified",
    ("GET", "/api/v1/notes/search"): "verified",
    ("POST", "/api/v1/configs/models"): "admin",
    ("GET", "/api/v1/evaluations/config"): "admin",
    ("POST", "/api/v1/evaluations/config"): "admin",
    ("GET", "/api/v1/models/list"): "verified",
    ("GET", "/api/v1/models/base/tags"): "admin",
    ("GET", "/api/v1/models/base"): "admin",
    ("GET", "/api/v1/models/tags"): "verified",
    ("POST", "/api/v1/models/create"): "verified",
    ("GET", "/api/v1/models/export"): "workspace",
    ("POST", "/api/v1/models/import"): "verified",
    ("GET", "/api/v1/models/model"): "verified",
    ("GET", "/api/v1/models/model/profile/image"): "verified",
    ("POST", "/api/v1/models/model/toggle"): "verified",
    ("POST", "/api/v1/models/model/update"): "verified",
    ("POST", "/api/v1/models/model/access/update"): "verified",
    ("POST", "/api/v1/models/model/delete"): "verified",
    ("DELETE", "/api/v1/models/delete/all"): "admin",
    ("POST", "/api/chat/completions"): "verified",
    ("POST", "/api/v1/chat/completions"): "verified",
    ("POST", "/api/chat/completed"): "verified",
    ("POST", "/api/chat/actions/{action_id}"): "verified",
    ("POST", "/api/embeddings"): "verified",
    ("POST", "/api/v1/embeddings"): "verified",
    ("GET", "/openai/config"): "admin",
    ("POST", "/openai/config/update"): "admin",
    ("POST", "/openai/verify"): "admin",
    ("GET", "/ollama/config"): "admin",
    ("POST", "/ollama/config/update"): "admin",
    ("POST", "/ollama/verify"): "admin",
    ("GET", "/ollama/"): "public",
    ("GET", "/ollama/api/tags"): "verified",
    ("GET", "/ollama/api/tags/{url_idx}"): "verified",
    ("GET", "/ollama/api/ps"): "admin",
    ("GET", "/ollama/api/version"): "verified",
    ("GET", "/ollama/api/version/{url_idx}"): "verified",
    ("POST", "/ollama/api/generate"): "verified",
    ("POST", "/ollama/api/generate/{url_idx}"): "verified",
    ("POST", "/ollama/api/chat"): "verified",
    ("POST", "/ollama/api/chat/{url_idx}"): "verified",
    ("POST", "/ollama/api/embed"): "verified",
    ("POST", "/ollama/api/embed/{url_idx}"): "verified",
    ("POST", "/ollama/api/embeddings"): "verified",
    ("POST", "/ollama/api/embeddings/{url_idx}"): "verified",
    ("POST", "/ollama/api/show"): "verified",
    ("POST", "/ollama/api/pull"): "admin",
    ("POST", "/ollama/api/pull/{url_idx}"): "admin",
    ("DELETE", "/ollama/api/push"): "admin",
    ("DELETE", "/ollama/api/push/{url_idx}"): "admin",
    ("POST", "/ollama/api/create"): "admin",
    ("POST", "/ollama/api/create/{url_idx}"): "admin",
    ("POST", "/ollama/api/copy"): "admin",
    ("POST", "/ollama/api/copy/{url_idx}"): "admin",
    ("DELETE", "/ollama/api/delete"): "admin",
    ("DELETE", "/ollama/api/delete/{url_idx}"): "admin",
    ("POST", "/ollama/api/unload"): "admin",
    ("GET", "/ollama/v1/models"): "verified",
    ("GET", "/ollama/v1/models/{url_idx}"): "verified",
    ("GET", "/openai/models"): "verified",
    ("GET", "/openai/models/{url_idx}"): "verified",
    ("POST", "/openai/chat/completions"): "verified",
    **{(method, "/openai/{path:path}"): "off" for method in ("GET", "POST", "PUT", "DELETE")},
    ("POST", "/api/v1/messages"): "verified",
    ("POST", "/api/message"): "verified",
    **{
        ("POST", f"/ollama/v1/{name}{suffix}"): "verified"
        for name in ("completions", "chat/completions", "embeddings", "messages", "responses")
        for suffix in ("", "/{url_idx}")
    },
}

CALLERS = ("anonymous", "pending", "user", "other", "restricted_key", "admin")
OK, UNAUTHENTICATED, FORBIDDEN = "ok", 401, 403


def expected(role: str, caller: str) -> str | int:
    if role == "public":
        return OK
    if caller == "anonymous":
        return UNAUTHENTICATED
    if caller == "restricted_key":
        return FORBIDDEN
    allowed = {
        "any": {"pending", "user", "other", "admin"},
        "verified": {"user", "other", "admin"},
        "member": {"user", "admin"},
        "admin": {"admin"},
        "workspace": {"admin"},
        "off": set(),
    }[role]
    return OK if caller in allowed else FORBIDDEN


@dataclass
class World:
    client: httpx.AsyncClient
    admin: dict[str, Any]
    user: dict[str, Any]
    ids: dict[str, str]
    defaults: dict[str, Any]

    def token(self, user_id: str) -> str:
        container = self.client.app.state.container  # type: ignore[attr-defined]
        return tokens.issue(container.secret_key, user_id, 3600).token


async def build_world(client: httpx.AsyncClient) -> tuple[World, dict[str, dict[str, str]]]:
    admin = await signup(client, "Ada")
    headers = bearer(admin["token"])
    pending = await add_user(client, admin["token"], "Pat", role="pending")
    user = await add_user(client, admin["token"], "Uma", role="user")
    other = await add_user(client, admin["token"], "Oto", role="user")
    keyholder = await add_user(client, admin["token"], "Kay", role="admin")
    key = (await client.post("/api/v1/auths/api_key", headers=bearer(keyholder["token"]))).json()
    # Users may hold API keys, so a 403 below comes from the role, not from this permission.
    defaults = (await client.get("/api/v1/users/default/permissions", headers=headers)).json()
    defaults["features"]["api_keys"] = True
    defaults["workspace"]["knowledge"] = True  # so users own knowledge bases in this world
    await client.post("/api/v1/users/default/permissions", headers=headers, json=defaults)
    group = (
        await client.post("/api/v1/groups/create", headers=headers, json={"name": "crew"})
    ).json()
    await client.post(
        f"/api/v1/groups/id/{group['id']}/users/add",
        headers=headers,
        json={"user_ids": [user["id"]]},
    )
    ids = {"user_id": user["id"], "group_id": group["id"]}
    ids.update(await _chat_world(client, user["token"]))
    world = World(client, admin, user, ids, defaults)
    callers = {
        "anonymous": {},
        "restricted_key": bearer(key["api_key"]),
    }
    return world, callers | {  # type: ignore[return-value]
        name: {"user_id": person["id"]}
        for name, person in (
            ("pending", pending),
            ("user", user),
            ("other", other),
            ("admin", admin),
        )  # fmt: skip
    }


async def _chat_world(client: httpx.AsyncClient, token: str) -> dict[str, str]:
    """A shared chat with one message inside a folder, all belonging to `token`'s user."""
    headers = bearer(token)
    name = f"F-{uuid.uuid4().hex[:8]}"
    folder = (await client.post("/api/v1/folders/", headers=headers, json={"name": name})).json()
    message = {"id": "m1", "parentId": None, "role": "user", "content": "hi", "timestamp": 1}
    chat = {"title": "T", "history": {"currentId": "m1", "messages": {"m1": message}}}
    made = await client.post(
        "/api/v1/chats/new", headers=headers, json={"chat": chat, "folder_id": folder["id"]}
    )
    share = await client.post(f"/api/v1/chats/{made.json()['id']}/share", headers=headers)
    return {
        "chat_id": made.json()["id"],
        "folder_id": folder["id"],
        "message_id": "m1",
        "share_id": share.json()["share_id"],
        "file_id": await _file_of(client, headers),
        "knowledge_id": (
            await client.post("/api/v1/knowledge/create", headers=headers, json={"name": "K"})
        ).json()["id"],
        "file_name": "note.txt",
        "function_id": "no_such_function",
        "feedback_id": await _feedback_of(client, headers),
    }


async def _feedback_of(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    body = {"type": "rating", "data": {"rating": 1, "model_id": "m"}, "meta": {"chat_id": "c"}}
    made = await client.post("/api/v1/evaluations/feedback", headers=headers, json=body)
    return str(made.json()["id"])


async def _file_of(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    made = await client.post(
        "/api/v1/files/", headers=headers, files={"file": ("note.txt", b"hi", "text/plain")},
        params={"process": "false"},
    )  # fmt: skip
    return str(made.json()["id"])


async def _sacrificial(world: World, path: str) -> str:
    """Destructive admin routes act on a throw-away object, not the shared fixtures."""
    headers = bearer(world.token(world.admin["id"]))
    if any(
        f"{{{name}}}" in path
        for name in ("chat_id", "folder_id", "file_id", "knowledge_id", "feedback_id")
    ):
        own = await _chat_world(world.client, world.token(world.admin["id"]))
        for name, value in own.items():
            path = path.replace("{" + name + "}", value)
        return path
    if "{user_id}" in path:
        victim = await add_user(world.client, world.admin["token"], f"V{len(path)}x")
        return path.replace("{user_id}", victim["id"])
    group = await world.client.post(
        "/api/v1/groups/create", headers=headers, json={"name": "doomed"}
    )
    return path.replace("{group_id}", group.json()["id"])


async def test_every_route_has_a_declared_role(make_client: MakeClient) -> None:
    async with make_client() as client:
        served = {(r.method, r.path) for r in registered_routes(client.app)}  # type: ignore[attr-defined]
    undeclared = served - set(ACCESS)
    assert not undeclared, f"routes without a declared role: {sorted(undeclared)}"
    stale = set(ACCESS) - served
    assert not stale, f"declared routes that no longer exist: {sorted(stale)}"


async def test_role_matrix(
    make_client: MakeClient, openai_up: FakeUpstream, ollama_up: FakeUpstream
) -> None:
    async with make_client(
        enable_api_keys_endpoint_restrictions=True,
        api_keys_allowed_endpoints="/api/version",
        **gateway_settings(openai_up, ollama_up),
    ) as client:
        world, callers = await build_world(client)
        failures = []
        for (method, template), role in sorted(ACCESS.items(), key=lambda kv: kv[0][0] == "DELETE"):
            for caller in CALLERS:
                spec = callers[caller]
                if "user_id" in spec and set(spec) == {"user_id"}:
                    headers = bearer(world.token(spec["user_id"]))  # fresh: sign-out revokes
                else:
                    headers = dict(spec)
                path = template
                if method == "DELETE" and caller == "admin" and "{" in template:
                    path = await _sacrificial(world, template)
                for name, value in world.ids.items():
                    path = path.replace("{" + name + "}", value).replace(
                        "{" + name + ":path}", value
                    )
                kwargs: dict[str, Any] = {"headers": headers}
                if method == "POST":
                    # Re-save the world's defaults, so an admin's call changes nothing.
                    keep = template == "/api/v1/users/default/permissions"
                    kwargs["json"] = world.defaults if keep else {}
                response = await client.request(method, path, **kwargs)
                want = expected(role, caller)
                got = response.status_code
                passed = got not in (401, 403) if want == OK else got == want
                if not passed:
                    failures.append(f"{method} {template} as {caller}: want {want}, got {got} "
                                    f"{response.text[:120]}")  # fmt: skip
        assert not failures, "\n".join(failures)
