"""A model's generation slots, the requests waiting for one served round-robin by user: a
user with ten queued requests does not hold up another user's one."""

from __future__ import annotations

import asyncio
from collections import OrderedDict, deque


class FairQueue:
    def __init__(self, slots: int = 1) -> None:
        self.slots = slots
        self.busy = 0  # slots in use
        self._waiting: OrderedDict[str, deque[asyncio.Future[None]]] = OrderedDict()

    @property
    def waiting(self) -> int:
        return sum(len(q) for q in self._waiting.values())

    async def acquire(self, user: str) -> None:
        if self.busy < self.slots and not self._waiting:
            self.busy += 1
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(user, deque()).append(future)
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self.release()  # the turn came as the caller left: pass it on
            else:
                self._forget(user, future)
            raise

    def release(self) -> None:
        """Hand the slot to the next user in line (who then goes to the back of it)."""
        while self._waiting:
            user, queue = next(iter(self._waiting.items()))
            future = queue.popleft()
            if queue:
                self._waiting.move_to_end(user)
            else:
                del self._waiting[user]
            if not future.done():
                future.set_result(None)
                return
        self.busy -= 1

    def _forget(self, user: str, future: asyncio.Future[None]) -> None:
        queue = self._waiting.get(user)
        if queue is not None and future in queue:
            queue.remove(future)
            if not queue:
                del self._waiting[user]
