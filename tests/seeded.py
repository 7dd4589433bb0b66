"""Real objects on a running owlet for schemathesis to address: a chat with a message, a share
link, a folder, a processed file, a knowledge base and so on, made through the HTTP API, and
the values (`path.<name>`, and `body.<field>` for the file and the model a body names) that
name them, per caller.

Without them every `{chat_id}`-style route only ever sees made-up ids and answers 404, so
the fuzzer never gets past the lookup into the route's own code.
"""

from __future__ import annotations

import time
from typing import Any

import httpx

ACTION = """
from pydantic import BaseModel


class Action:
    class Valves(BaseModel):
        priority: int = 0

    class UserValves(BaseModel):
        enabled: bool = True

    def __init__(self):
        self.valves = self.Valves()

    async def action(self, body: dict, __user__=None):
        return body
"""


def _ok(response: httpx.Response) -> Any:
    if response.status_code >= 400:
        raise AssertionError(f"{response.request.method} {response.request.url}: "
                             f"{response.status_code} {response.text}")  # fmt: skip
    return response.json()


def _objects_of(http: httpx.Client, name: str) -> dict[str, str]:
    """What any signed-in caller owns: a chat (with one message, shared and tagged), a
    folder, a processed text file, a knowledge base holding it and a rating of the chat."""
    message = {"id": "m1", "parentId": None, "childrenIds": [], "role": "user",
               "content": f"hello from {name}", "timestamp": int(time.time())}  # fmt: skip
    chat = _ok(http.post("/api/v1/chats/new", json={"chat": {
        "title": f"{name}'s chat", "models": ["fake-gpt"], "messages": [message],
        "history": {"currentId": "m1", "messages": {"m1": message}}}}))  # fmt: skip
    _ok(http.post(f"/api/v1/chats/{chat['id']}/tags", json={"name": "seeded"}))
    shared = _ok(http.post(f"/api/v1/chats/{chat['id']}/share"))
    folder = _ok(http.post("/api/v1/folders/", json={"name": f"{name}'s folder"}))
    upload = http.post(
        "/api/v1/files/", params={"process": "true"},
        files={"file": ("notes.txt", f"notes of {name}\n".encode(), "text/plain")},
    )  # fmt: skip
    file = _ok(upload)
    for _ in range(300):  # processing runs in the background
        status = _ok(http.get(f"/api/v1/files/{file['id']}/process/status"))
        if status.get("status") in ("completed", "failed"):
            break
        time.sleep(0.1)
    made = {"name": f"{name}'s notes", "description": "seeded"}
    knowledge = _ok(http.post("/api/v1/knowledge/create", json=made))
    _ok(http.post(f"/api/v1/knowledge/{knowledge['id']}/file/add", json={"file_id": file["id"]}))
    rated = {"rating": 1, "model_id": "fake-gpt", "tags": ["seeded"]}
    feedback = _ok(http.post("/api/v1/evaluations/feedback", json={
        "type": "rating", "data": rated, "meta": {"chat_id": chat["id"], "message_id": "m1"},
        "snapshot": {"chat": chat}}))  # fmt: skip
    return {
        "path.feedback_id": feedback["id"],
        "path.chat_id": chat["id"], "path.message_id": "m1", "path.share_id": shared["share_id"],
        "path.folder_id": folder["id"], "path.file_id": file["id"],
        "path.file_name": file["filename"], "path.knowledge_id": knowledge["id"],
    }  # fmt: skip


def _admin_objects(http: httpx.Client) -> dict[str, str]:
    """What only an administrator makes: a function (an action with valves), a group and an
    event webhook. The user's run addresses them too (and must be refused)."""
    function = _ok(http.post("/api/v1/functions/create", json={
        "id": "seeded_action", "name": "Seeded action", "content": ACTION,
        "meta": {"description": "seeded"}}))  # fmt: skip
    group = _ok(http.post("/api/v1/groups/create",
                          json={"name": "Seeded", "description": "seeded"}))  # fmt: skip
    hook = _ok(http.post("/api/events/webhooks",
                         json={"name": "Seeded", "url": "http://127.0.0.1:9/hook"}))  # fmt: skip
    return {"path.function_id": function["id"], "path.action_id": function["id"],
            "path.group_id": group["id"], "path.webhook_id": hook["id"]}  # fmt: skip


def seed(base: str, admin_token: str, user_token: str) -> dict[str, dict[str, str]]:
    """Path parameter values for the admin's run and for the user's run. Ids a caller does
    not own come from the other caller (the admin's run sees the user's id, and the user's
    run the admin's function, group and webhook)."""
    found: dict[str, dict[str, str]] = {}
    ids: dict[str, str] = {}
    for role, token in (("admin", admin_token), ("user", user_token)):
        with httpx.Client(base_url=base, timeout=60,
                          headers={"Authorization": f"Bearer {token}"}) as http:  # fmt: skip
            ids[role] = _ok(http.get("/api/v1/auths/"))["id"]
            objects = _objects_of(http, role)
            found[role] = {**objects, "path.url_idx": "0", "body.model": "fake-gpt",
                           "body.file_id": objects["path.file_id"]}  # fmt: skip
            if role == "admin":
                shared = _admin_objects(http)
    found["admin"] |= shared | {"path.user_id": ids["user"]}
    found["user"] |= shared | {"path.user_id": ids["user"]}
    return found
