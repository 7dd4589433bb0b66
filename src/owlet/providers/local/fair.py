"""One generation at a time per model, the waiting requests served round-robin by user: a
user with ten queued requests does not hold up another user's one."""

from __future__ import annotations

import asyncio
from collections import OrderedDict, deque


class FairQueue:
    def __init__(self) -> None:
        self._busy = False
        self._waiting: OrderedDict[str, deque[asyncio.Future[None]]] = OrderedDict()

    @property
    def waiting(self) -> int:
        return sum(len(q) for q in self._waiting.values())

    async def acquire(self, user: str) -> None:
        if not self._busy and not self._waiting:
            self._busy = True
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
        """Hand the turn to the next user in line (who then goes to the back of it)."""
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
        self._busy = False

    def _forget(self, user: str, future: asyncio.Future[None]) -> None:
        queue = self._waiting.get(user)
        if queue is not None and future in queue:
            queue.remove(future)
            if not queue:
                del self._waiting[user]
