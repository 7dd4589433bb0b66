"""Two real `owlet serve` processes sharing the database and Redis: a socket on one hears a
generation running on the other, and a stop sent to either stops it where it runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.fakes.upstream import FakeUpstream
from tests.gateway import as_env, gateway_settings, owlet_process
from tests.realtime.support import TOKENS, Site, cancelled, eventually, rebuilt, until_done
from tests.support import Backend


async def test_two_workers_share_sockets_and_tasks(
    backend: Backend,
    clean_db: object,
    tmp_path: Path,
    site_up: FakeUpstream,
    redis_prefix: tuple[str, str],
) -> None:
    url, prefix = redis_prefix
    env = {**as_env(gateway_settings(site_up, site_up)), "REDIS_URL": url,
           "REDIS_KEY_PREFIX": prefix}  # fmt: skip
    data = tmp_path / "data"  # shared: both workers sign with the same generated key
    with owlet_process(backend, data, env) as base_a:
        a = Site(base_a, site_up)
        ada = await a.account("Ada")
        with owlet_process(backend, data, env) as base_b:
            b = Site(base_b, site_up)
            try:
                socket, events = await a.socket(ada["token"])
                sid = socket.get_sid()
                chat_id = await b.new_chat(ada, "fake-gpt")
                reply, answer_id = await b.ask(ada, sid, chat_id, "fake-gpt")
                assert reply.status_code == 200, reply.text  # B knows A's socket
                await until_done(events)
                assert rebuilt(events) == "".join(TOKENS)

                # A long answer on B, stopped through A.
                events.clear()
                site_up.token_delay = 0.2
                site_up.tokens = [f" w{n}" for n in range(60)]
                second = await b.new_chat(ada, "fake-gpt")
                reply, answer_id = await b.ask(ada, sid, second, "fake-gpt")
                task_id = reply.json()["task_id"]
                listed = await a.http.get("/api/tasks", headers=a.auth(ada))
                assert task_id in listed.json()["tasks"]
                await eventually(lambda: rebuilt(events))
                stop = await a.http.post(f"/api/tasks/stop/{task_id}", headers=a.auth(ada))
                assert stop.status_code == 200 and stop.json()["status"] is True
                await eventually(lambda: cancelled(events))  # it may come just after the reply
                chat = (await a.http.get(f"/api/v1/chats/{second}", headers=a.auth(ada))).json()
                message = chat["chat"]["history"]["messages"][answer_id]
                assert message["done"] is True
                assert 0 < len(message["content"]) < len("".join(site_up.tokens))
                left = await b.http.get(f"/api/tasks/chat/{second}", headers=b.auth(ada))
                assert left.json() == {"task_ids": []}
                await socket.disconnect()
            finally:
                await b.http.aclose()
        await a.http.aclose()


def test_several_workers_without_redis_are_refused(tmp_path: Path) -> None:
    env = {**os.environ, "DATA_DIR": str(tmp_path), "UVICORN_WORKERS": "2"}
    env.pop("REDIS_URL", None)
    done = subprocess.run([sys.executable, "-m", "owlet", "serve"], env=env, timeout=60,
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode != 0
    assert "2 workers need Redis (set REDIS_URL)" in done.stderr
