"""Local models take one request at a time; the waiting ones are served round-robin by
user, and a waiter that leaves gives its place up."""

from __future__ import annotations

import asyncio

from owlet.providers.local.fair import FairQueue


async def test_users_take_turns() -> None:
    queue = FairQueue()
    order: list[str] = []

    async def request(user: str, label: str) -> None:
        await queue.acquire(user)
        order.append(label)
        await asyncio.sleep(0.01)
        queue.release()

    first = asyncio.create_task(request("ann", "ann-1"))
    await asyncio.sleep(0)  # ann-1 holds the model
    waiting = [asyncio.create_task(request("ann", f"ann-{n}")) for n in (2, 3, 4)]
    await asyncio.sleep(0)
    waiting.append(asyncio.create_task(request("bob", "bob-1")))
    await asyncio.gather(first, *waiting)
    # FIFO would make Bob wait for all of Ann's requests.
    assert order == ["ann-1", "ann-2", "bob-1", "ann-3", "ann-4"]


async def test_a_waiter_that_leaves_gives_up_its_place() -> None:
    queue = FairQueue()
    await queue.acquire("ann")
    leaving = asyncio.create_task(queue.acquire("bob"))
    staying = asyncio.create_task(queue.acquire("cid"))
    await asyncio.sleep(0)
    assert queue.waiting == 2
    leaving.cancel()
    await asyncio.sleep(0)
    assert queue.waiting == 1
    queue.release()
    await asyncio.wait_for(staying, 1)  # cid's turn, not the departed bob's
    queue.release()
    await asyncio.wait_for(queue.acquire("dan"), 1)  # free again


async def test_several_slots_then_turns() -> None:
    queue = FairQueue(slots=2)
    await queue.acquire("ann")
    await queue.acquire("ann")  # two at once: no waiting
    assert queue.busy == 2
    third = asyncio.create_task(queue.acquire("ann"))
    bob = asyncio.create_task(queue.acquire("bob"))
    await asyncio.sleep(0)
    assert queue.waiting == 2 and not third.done()
    queue.release()
    await asyncio.wait_for(third, 1)  # ann asked first
    queue.release()
    await asyncio.wait_for(bob, 1)
    queue.release()
    queue.release()
    assert queue.busy == 0 and queue.waiting == 0
