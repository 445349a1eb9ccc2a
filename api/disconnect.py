"""Stop working for a client that has gone.

A query waits for a free query process and then runs; a client that gave up meanwhile would
still cost that wait and that run. `unless_client_leaves` runs the work as a task and looks at
the connection while it waits: when the client has gone the task is cancelled — it leaves the
queue, or its query process is stopped and replaced — and `ClientDisconnect` ends the request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

from starlette.requests import ClientDisconnect, Request

T = TypeVar("T")
POLL_SECONDS = 0.25


async def unless_client_leaves(request: Request, work: Coroutine[Any, Any, T]) -> T:
    task = asyncio.ensure_future(work)
    try:
        while True:
            done, _ = await asyncio.wait({task}, timeout=POLL_SECONDS)
            if done:
                return task.result()
            if await request.is_disconnected():
                raise ClientDisconnect()
    finally:
        if not task.done():
            task.cancel()
