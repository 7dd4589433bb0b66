"""LDAP sign-in vs password sign-in: p50/p95 of POST /api/v1/auths/ldap and /signin.

Usage: .venv/bin/python bench/ldap.py [--rounds 60] [--bcrypt-rounds 12]

Starts a real slapd (tests/auth/ldap_server.py: mdb, loopback) and `owlet serve` (one
worker, fresh SQLite DATA_DIR), creates one password account and one directory account
(signed in once, so the timed calls are returning users), then times sequential sign-ins
from this process. Password sign-in costs one bcrypt verify; LDAP sign-in costs a TCP
connection, the app bind, a search and the user's bind (slapd hashes nothing: the test
directory stores plain userPassword values, as slapd's own `{SSHA}` costs microseconds).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.auth.ldap_server import APP_DN, APP_PASSWORD, PEOPLE, ldap_server  # noqa: E402
from tests.gateway import free_port, wait_until_up  # noqa: E402


def timed(client: httpx.Client, path: str, body: dict[str, str], rounds: int) -> list[float]:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        response = client.post(path, json=body)
        samples.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    return samples


def row(name: str, samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    return f"| {name:<26} | {statistics.median(ordered):8.1f} | {p95:8.1f} | {len(ordered):6d} |"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--bcrypt-rounds", type=int, default=12)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="owlet-bench-ldap-") as tmp,
        ldap_server(Path(tmp) / "slapd") as slapd,
    ):
        slapd.add_user("bench", "bench-pass", mail="bench@example.org", cn="Bench")
        port = free_port()
        env = {
            **os.environ,
            "DATA_DIR": str(Path(tmp) / "data"),
            "PORT": str(port),
            "BCRYPT_ROUNDS": str(args.bcrypt_rounds),
            "SIGNIN_RATE_LIMIT": "1000000",
            "GLOBAL_LOG_LEVEL": "WARNING",
            "ENABLE_OPENAI_API": "false",
            "ENABLE_OLLAMA_API": "false",
            "ENABLE_LOCAL_MODELS": "false",
            "ENABLE_FRONTEND": "false",
            "ENABLE_LDAP": "true",
            "LDAP_SERVER_HOST": slapd.host,
            "LDAP_SERVER_PORT": str(slapd.port),
            "LDAP_USE_TLS": "false",
            "LDAP_APP_DN": APP_DN,
            "LDAP_APP_PASSWORD": APP_PASSWORD,
            "LDAP_SEARCH_BASE": PEOPLE,
        }
        env.pop("DATABASE_URL", None)
        proc = subprocess.Popen([sys.executable, "-m", "owlet", "serve"], env=env)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(proc, f"{base}/health", "owlet")
            with httpx.Client(base_url=base, timeout=30) as client:
                client.post(
                    "/api/v1/auths/signup",
                    json={"name": "Pw", "email": "pw@example.com", "password": "pw-pass-123"},
                ).raise_for_status()
                ldap_body = {"user": "bench", "password": "bench-pass"}
                password_body = {"email": "pw@example.com", "password": "pw-pass-123"}
                timed(client, "/api/v1/auths/ldap", ldap_body, 5)  # creates the account; warm
                timed(client, "/api/v1/auths/signin", password_body, 5)
                ldap = timed(client, "/api/v1/auths/ldap", ldap_body, args.rounds)
                password = timed(client, "/api/v1/auths/signin", password_body, args.rounds)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    print(f"sequential sign-ins, one client, owlet 1 worker, bcrypt rounds {args.bcrypt_rounds}")
    print("| sign-in                    |  p50 ms  |  p95 ms  |  calls |")
    print("|----------------------------|----------|----------|--------|")
    print(row("LDAP (local slapd)", ldap))
    print(row("password (bcrypt)", password))


if __name__ == "__main__":
    main()
