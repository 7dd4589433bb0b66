"""The Open WebUI 0.12.4 web client served by a real `owlet serve` (SQLite, one worker), in
Debian's Chromium driven by playwright, with the fake upstream in this process:

* cold page load (a new browser profile, nothing cached) to an interactive chat screen
  (`#chat-input` visible), and a warm reload, p50 over the runs;
* number and bytes (as sent on the wire) of the requests the page makes on a cold load;
* send (Enter pressed) to the first token shown on the page, against the upstream's own
  time to first token for the same request sent straight to the fake.

    .venv/bin/python bench/webclient.py [--runs N]   (needs `owlet fetch-frontend` first)
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from gateway import pct, signed_in_server  # noqa: E402

from tests.fakes.upstream import FakeUpstream  # noqa: E402
from tests.web.browser import BUILD, CHROMIUM, FLAGS  # noqa: E402

MODEL = "fake-gpt"
TOKENS = ["Beacon", " one", " two", " three", " four", " five", "."]


async def cold_load(browser: Any, base: str, token: str) -> tuple[float, float, Counter[str]]:
    """(cold seconds, warm seconds, request counts/bytes by kind) for one new profile."""
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    await context.add_init_script(f"localStorage.setItem('token', {token!r})")
    page = await context.new_page()
    sizes: list[Any] = []
    page.on("requestfinished", lambda request: sizes.append(request))
    started = time.perf_counter()
    await page.goto(base + "/")
    await page.locator("#chat-input").wait_for()
    cold = time.perf_counter() - started
    await page.wait_for_load_state("networkidle")
    tally: Counter[str] = Counter()
    for request in sizes:
        measured = await request.sizes()
        kind = "api" if "/api/" in request.url or "/ollama/" in request.url else "static"
        tally[f"{kind} requests"] += 1
        tally[f"{kind} bytes"] += measured["responseBodySize"] + measured["responseHeadersSize"]
    started = time.perf_counter()
    await page.reload()
    await page.locator("#chat-input").wait_for()
    warm = time.perf_counter() - started
    await context.close()
    return cold, warm, tally


async def dismiss_release_notes(page: Any) -> None:
    """The release notes the client shows an account once per version."""
    notes = page.get_by_role("button", name="Okay, Let's Go!")
    try:
        await notes.wait_for(timeout=5000)
    except Exception:  # playwright's TimeoutError: not shown
        return
    await notes.click()


async def send_to_first_token(browser: Any, base: str, token: str, runs: int) -> list[float]:
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    await context.add_init_script(f"localStorage.setItem('token', {token!r})")
    page = await context.new_page()
    times = []
    for n in range(runs):
        await page.goto(base + "/")
        await dismiss_release_notes(page)
        await page.locator("#chat-input").click()
        await page.keyboard.type(f"Question {n}")
        started = time.perf_counter()
        await page.keyboard.press("Enter")
        await page.get_by_text("Beacon", exact=False).first.wait_for()
        times.append(time.perf_counter() - started)
        await page.get_by_text("five.", exact=False).first.wait_for()
    await context.close()
    return times


async def direct_first_token(up: FakeUpstream, runs: int) -> list[float]:
    body = {"model": MODEL, "stream": True, "messages": [{"role": "user", "content": "Hi"}]}
    times = []
    async with httpx.AsyncClient(base_url=up.openai_url) as http:
        for _ in range(runs):
            started = time.perf_counter()
            async with http.stream("POST", "/chat/completions", json=body) as response:
                async for line in response.aiter_lines():
                    if "Beacon" in line:
                        times.append(time.perf_counter() - started)
                        break
    return times


async def main(runs: int) -> None:
    from playwright.async_api import async_playwright

    with FakeUpstream(models=[MODEL], tokens=TOKENS, token_delay=0.02) as up:
        settings = {"ENABLE_OPENAI_API": "true", "OPENAI_API_BASE_URLS": up.openai_url,
                    "OPENAI_API_KEYS": "sk-bench", "ENABLE_FRONTEND": "true",
                    "FRONTEND_BUILD_DIR": str(BUILD), "ENABLE_LOCAL_MODELS": "false",
                    "ENABLE_EVALUATION_ARENA_MODELS": "false"}  # fmt: skip
        with signed_in_server("owlet-bench-web-", settings) as (base, _proc, headers):
            token = headers["Authorization"].split(" ", 1)[1]
            async with async_playwright() as p:
                browser = await p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
                loads = [await cold_load(browser, base, token) for _ in range(runs)]
                sends = await send_to_first_token(browser, base, token, runs)
                await browser.close()
            direct = await direct_first_token(up, runs)
    cold = [c for c, _, _ in loads]
    warm = [w for _, w, _ in loads]
    tally = loads[-1][2]
    print(f"| Measure ({runs} runs) | p50 | max |")
    print("|---|---|---|")
    print(f"| cold load to chat input | {pct(cold, 50) * 1000:.0f} ms | "
          f"{max(cold) * 1000:.0f} ms |")  # fmt: skip
    print(f"| warm reload to chat input | {pct(warm, 50) * 1000:.0f} ms | "
          f"{max(warm) * 1000:.0f} ms |")  # fmt: skip
    print(f"| send to first token shown | {pct(sends, 50) * 1000:.0f} ms | "
          f"{max(sends) * 1000:.0f} ms |")  # fmt: skip
    print(f"| first token, straight from the fake | {pct(direct, 50) * 1000:.1f} ms | "
          f"{max(direct) * 1000:.1f} ms |")  # fmt: skip
    print()
    print("Cold load requests: "
          f"{tally['static requests']} static ({tally['static bytes'] / 1024:.0f} KiB), "
          f"{tally['api requests']} API ({tally['api bytes'] / 1024:.0f} KiB)")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    asyncio.run(main(parser.parse_args().runs))
