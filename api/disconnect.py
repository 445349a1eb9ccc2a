"""Stop working for a client that has gone.

A query waits for a free query process and then runs; a client that gave up meanwhile would
still cost that wait and that run. `unless_client_leaves` awaits the work in the request's own
task; if the work is still going after `POLL_SECONDS`, a watcher starts listening on the
connection (the request's body has been read, so the next message is the disconnect). When the
client has gone the request's task is cancelled — its query leaves the queue, or its query
process is stopped and replaced — and `ClientDisconnect` ends the request. A quick query costs
one timer, no task.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

from starlette.requests import ClientDisconnect, Request

T = TypeVar("T")
POLL_SECONDS = 0.25


async def unless_client_leaves(request: Request, work: Coroutine[Any, Any, T]) -> T:
    task = asyncio.current_task()
    if task is None:  # not in a task: nothing to cancel, just do the work
        return await work
    loop = asyncio.get_running_loop()
    gone = False
    watcher: asyncio.Task[None] | None = None

    async def watch() -> None:
        nonlocal gone
        while True:
            message = await request.receive()
            if message["type"] == "http.disconnect":
                gone = True
                task.cancel()
                return

    def start_watching() -> None:
        nonlocal watcher
        watcher = loop.create_task(watch())

    timer = loop.call_later(POLL_SECONDS, start_watching)
    try:
        return await work
    except asyncio.CancelledError:
        if not gone:
            raise
        task.uncancel()
        raise ClientDisconnect() from None
    finally:
        timer.cancel()
        if watcher is not None:
            watcher.cancel()
