"""The OIDC callback's own cost: `GET /oauth/oidc/login/callback` minus the provider's time.

Runs oidc-provider-mock in this process (a threaded WSGI server whose app is wrapped to time
every request it answers) and `owlet serve` on SQLite, then signs the same returning person
in N times, one at a time. For each callback it reports the whole request as the browser sees
it and the same minus the time the provider spent answering owlet's calls made during it
(the token endpoint; the discovery document and JWKS are cached after the first sign-in).
Loopback transit of those calls stays in owlet's share. A password sign-in (bcrypt, the
default 12 rounds) is measured the same way for scale.

    .venv/bin/python bench/oidc.py [-n 200]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import httpx
import werkzeug.serving

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gateway import free_port, ms, pct, wait_healthy  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.auth.oidc import CLIENT_ID, CLIENT_SECRET, start  # noqa: E402


class TimedApp:
    """WSGI middleware adding up the seconds the provider spends answering requests."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.spent = 0.0

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        began = time.perf_counter()
        body = list(self.app(environ, start_response))  # the whole answer, not just headers
        with self.lock:
            self.spent += time.perf_counter() - began
        return body

    def take(self) -> float:
        with self.lock:
            spent, self.spent = self.spent, 0.0
        return spent


def run(n: int) -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per provider request
    warnings.filterwarnings("ignore", category=DeprecationWarning)  # the mock's authlib use
    import oidc_provider_mock

    timed = TimedApp(oidc_provider_mock.app(require_nonce=True))
    idp = werkzeug.serving.make_server("localhost", 0, timed, threaded=True)
    threading.Thread(target=idp.serve_forever, daemon=True).start()
    issuer = f"http://localhost:{idp.server_port}"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="owlet-bench-oidc-") as tmp:
        env = {
            **os.environ,
            "DATA_DIR": tmp,
            "PORT": str(port),
            "GLOBAL_LOG_LEVEL": "WARNING",
            "ENABLE_FRONTEND": "false",
            "ENABLE_LOCAL_MODELS": "false",
            "ENABLE_OPENAI_API": "false",
            "ENABLE_OLLAMA_API": "false",
            "ENABLE_EVALUATION_ARENA_MODELS": "false",
            "OPENID_PROVIDER_URL": f"{issuer}/.well-known/openid-configuration",
            "OAUTH_CLIENT_ID": CLIENT_ID,
            "OAUTH_CLIENT_SECRET": CLIENT_SECRET,
            "ENABLE_OAUTH_SIGNUP": "true",
            "SIGNIN_RATE_LIMIT": "100000",
        }
        proc = subprocess.Popen([sys.executable, "-m", "owlet", "serve"], env=env)
        try:
            wait_healthy(base, proc)
            asyncio.run(measure(base, issuer, timed, n))
        finally:
            proc.terminate()
            proc.wait(timeout=10)
            idp.shutdown()


async def measure(base: str, issuer: str, timed: TimedApp, n: int) -> None:
    sub = "bench-person"
    async with httpx.AsyncClient() as client:
        await client.put(f"{issuer}/users/{sub}", json={"email": "b@example.com", "name": "B"})
        signup = await client.post(
            f"{base}/api/v1/auths/signup",
            json={"name": "P", "email": "p@example.com", "password": "correct-horse-battery"},
        )
        signup.raise_for_status()
    whole, own = [], []
    async with httpx.AsyncClient(timeout=30) as browser:
        for i in range(n + 5):  # the first few warm the caches (discovery, JWKS, pools)
            callback, _state = await start(browser, base, sub)
            timed.take()
            began = time.perf_counter()
            answer = await browser.get(callback)
            elapsed = time.perf_counter() - began
            provider = timed.take()
            if answer.status_code != 307 or "error=" in answer.headers["location"]:
                raise SystemExit(f"sign-in failed: {answer.headers.get('location')}")
            if i >= 5:
                whole.append(elapsed)
                own.append(elapsed - provider)
    password = []
    async with httpx.AsyncClient() as client:
        for _ in range(min(n, 50)):
            began = time.perf_counter()
            answer = await client.post(
                f"{base}/api/v1/auths/signin",
                json={"email": "p@example.com", "password": "correct-horse-battery"},
            )
            answer.raise_for_status()
            password.append(time.perf_counter() - began)
    print(f"{'measure (ms)':<44}{'p50':>9}{'p95':>9}{'n':>6}")
    for label, values in (
        ("OIDC callback, as the browser sees it", whole),
        ("OIDC callback, minus the provider's time", own),
        ("password sign-in (bcrypt 12 rounds)", password),
    ):
        print(f"{label:<44}{ms(pct(values, 50)):>9}{ms(pct(values, 95)):>9}{len(values):>6}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=200, help="measured callbacks")
    run(parser.parse_args().n)


if __name__ == "__main__":
    main()
