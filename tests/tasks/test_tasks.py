"""`/api/v1/tasks`: the settings, and titles, tags and follow-ups asked of the task model."""

from __future__ import annotations

from tests.conftest import MakeClient
from tests.fakes.upstream import FakeUpstream
from tests.gateway import gateway_settings
from tests.support import add_user, bearer, signup

ANSWER = '```json\n{"title": "Lighthouse Lore", "tags": ["Sea", "History"], ' \
         '"follow_ups": ["Who kept them?", "Are any left?"]}\n```'  # fmt: skip
EXCHANGE = [{"role": "user", "content": "Tell me about lighthouses."},
            {"role": "assistant", "content": "They guide ships home."}]  # fmt: skip


async def test_titles_tags_and_follow_ups(make_client: MakeClient) -> None:
    with FakeUpstream(tokens=[ANSWER]) as up:
        async with make_client(**gateway_settings(up, up)) as client:
            ada = await signup(client, "Ada")
            headers = bearer(ada["token"])
            asked = {"model": "fake-gpt", "messages": EXCHANGE}
            expected = {"title": "Lighthouse Lore", "tags": ["Sea", "History"],
                        "follow_up": ["Who kept them?", "Are any left?"]}  # fmt: skip
            for kind in ("title", "tags", "follow_up"):
                reply = await client.post(f"/api/v1/tasks/{kind}/completions", headers=headers,
                                          json=asked)  # fmt: skip
                assert reply.status_code == 200, reply.text
                content = reply.json()["choices"][0]["message"]["content"]
                assert content == ANSWER
                sent = up.last_request.json
                prompt = sent["messages"][-1]["content"]
                assert sent["model"] == "fake-gpt" and "They guide ships home." in prompt
            from owlet.tasks.service import answer_of

            for kind, value in expected.items():
                completion = {"choices": [{"message": {"content": ANSWER}}]}
                assert answer_of(kind, completion) == value  # type: ignore[arg-type]


async def test_the_task_model_and_the_settings(make_client: MakeClient) -> None:
    with FakeUpstream(tokens=['{"title": "T"}'], models=["fake-gpt", "fake-small"]) as up:
        async with make_client(**gateway_settings(up, up)) as client:
            ada = await signup(client, "Ada")
            admin = bearer(ada["token"])
            bob = await add_user(client, ada["token"], "Bob")
            seen = await client.get("/api/v1/tasks/config", headers=bearer(bob["token"]))
            assert seen.status_code == 200 and seen.json()["ENABLE_TITLE_GENERATION"] is True
            refused = await client.post("/api/v1/tasks/config/update",
                                        headers=bearer(bob["token"]), json={})  # fmt: skip
            assert refused.status_code == 403
            template = "Name this chat:\n{{MESSAGES:END:1}}"
            updated = await client.post("/api/v1/tasks/config/update", headers=admin, json={
                "TASK_MODEL": "fake-small", "TITLE_GENERATION_PROMPT_TEMPLATE": template,
                "ENABLE_TAGS_GENERATION": False})  # fmt: skip
            assert updated.status_code == 200, updated.text
            # Both fake models come from the Ollama node: TASK_MODEL applies (the external
            # one is for OpenAI-compatible connections' models).
            assert updated.json()["TASK_MODEL"] == "fake-small"
            assert (await client.get("/api/v1/tasks/config", headers=admin)).json()[
                "TITLE_GENERATION_PROMPT_TEMPLATE"] == template  # fmt: skip
            reply = await client.post("/api/v1/tasks/title/completions", headers=admin,
                                      json={"model": "fake-gpt", "messages": EXCHANGE})  # fmt: skip
            assert reply.status_code == 200
            sent = up.last_request.json
            assert sent["model"] == "fake-small"  # the task model, not the chat's
            assert sent["messages"][-1]["content"] == (
                "Name this chat:\nASSISTANT: They guide ships home."
            )
            off = await client.post("/api/v1/tasks/tags/completions", headers=admin,
                                    json={"model": "fake-gpt", "messages": EXCHANGE})  # fmt: skip
            assert off.status_code == 400 and "disabled" in off.json()["detail"]
            nothing = {"model": "no-such-model", "messages": []}
            unknown = await client.post(
                "/api/v1/tasks/title/completions", headers=admin, json=nothing
            )
            assert unknown.status_code == 400
