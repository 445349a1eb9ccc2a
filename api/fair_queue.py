"""The line of jobs waiting for a query process, served client by client in turn.

Each client (`api.client_shares.current_client`; None for queries outside a request) has its own
line, ordered as the pool orders jobs (`api.workers`: arrival plus a multiple of the learned cost
of a slow shape, so quick jobs go first). A free process takes the first job of the next client
in turn, and that client goes to the back of the rotation: a burst from one client waits behind
its own jobs, never in front of everyone else's. With one client this is exactly the one ordered
line.
"""

from __future__ import annotations

import heapq
from collections.abc import Hashable, Iterator
from typing import Any, Generic, Protocol, TypeVar


class Waiting(Protocol):
    """A waiting job as the pool keeps it: ordered (by turn), quick or not, maybe gone."""

    quick: bool

    def __lt__(self, other: Any, /) -> bool: ...

    def gone(self) -> bool: ...


W = TypeVar("W", bound=Waiting)


class FairQueue(Generic[W]):
    """Per-client heaps of `W`, and the rotation of the clients that have jobs waiting."""

    def __init__(self) -> None:
        self._lines: dict[Hashable, list[W]] = {}  # insertion order is the rotation

    def __bool__(self) -> bool:
        return bool(self._lines)

    def __iter__(self) -> Iterator[W]:
        for line in self._lines.values():
            yield from line

    def push(self, client: Hashable, waiting: W) -> None:
        line = self._lines.get(client)
        if line is None:
            self._lines[client] = [waiting]
        else:
            heapq.heappush(line, waiting)

    def pop(self) -> W | None:
        """The first job, still wanted, of the next client in turn."""
        lines = self._lines
        while lines:
            client = next(iter(lines))
            line = lines.pop(client)
            while line:
                waiting = heapq.heappop(line)
                if not waiting.gone():
                    if line:
                        lines[client] = line  # to the back of the rotation
                    return waiting
        return None

    def pop_quick(self) -> W | None:
        """As `pop`, among the jobs that are not of a shape known to be slow."""
        for client in list(self._lines):
            line = [w for w in self._lines[client] if not w.gone()]
            quick = [w for w in line if w.quick]
            if not quick:
                if line:
                    heapq.heapify(line)
                    self._lines[client] = line
                else:
                    del self._lines[client]
                continue
            first = min(quick)
            line.remove(first)
            del self._lines[client]
            if line:
                heapq.heapify(line)
                self._lines[client] = line
            return first
        return None

    def has_quick(self) -> bool:
        return any(w.quick and not w.gone() for w in self)
