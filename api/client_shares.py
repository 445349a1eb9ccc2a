"""Fair shares of the query processes: each client's queries at once and its time per minute.

A public endpoint is shared by strangers, so one client must not be able to take it from the
others. Like the Wikidata Query Service, each client (by address: `api.client_address`) has

- a cap on queries running or waiting at once (`EMKG_CLIENT_QUERIES`, by default as many as
  the server process has query processes, so the spare processes stay for the others): one more
  gets 429 at once. A request counts once however many queries it runs side by side (a page
  runs several): the cap is on a client's requests that have queries running or waiting;
- a budget of query-process time over any sliding minute (`EMKG_CLIENT_SECONDS_PER_MINUTE`,
  60 s by default): once spent, the client gets 429 until enough of it is a minute old.

Both answers carry `Retry-After` and a JSON error naming the limit and its setting. The time
counted is the time a query held a query process (running, not waiting), charged when it ends
(answered, stopped at a limit, or its process lost). Answers from the answer cache take no
process and count for nothing; neither do queries refused before they run (bad syntax, guard).

The accounting lives in the server's event loop: plain dictionaries, no locks, nothing shared
between server processes (each keeps its own shares, as it keeps its own pool).
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from contextvars import ContextVar

from api.errors import ApiError


class Visit:
    """One request of one client: its queries running or waiting now (a page runs several at
    once; asyncio.gather's tasks share this object through the context)."""

    __slots__ = ("client", "running")

    def __init__(self, client: str) -> None:
        self.client = client
        self.running = 0


#: the request being answered (set by `api.client_address.ClientAddress`); None outside a
#: request (the warm-up, the command line): such queries are not counted
current_client: ContextVar[Visit | None] = ContextVar("emkg_client", default=None)

WINDOW_SECONDS = 60.0
CONCURRENCY_RETRY_AFTER = 1
SWEEP_CLIENTS = 1024  # past this many clients with spent time, old ones are forgotten


class ClientShares:
    """Per-client counts: queries in flight, and query-process seconds spent in the window."""

    def __init__(
        self,
        max_queries: int,
        seconds_per_minute: float,
        *,
        window: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_queries = max_queries  # 0: no cap
        self.budget = seconds_per_minute  # 0: no budget
        self.window = window
        self._now = clock
        self._active: dict[str, int] = {}
        self._spent: dict[str, deque[tuple[float, float]]] = {}  # (when, seconds), oldest first
        self._totals: dict[str, float] = {}
        self._swept = float("-inf")  # when the clients whose minute had passed were last forgotten

    def enter(self, visit: Visit | None) -> None:
        """Count a query of this request in, or raise the 429 of the limit it would pass (a
        request's further queries side by side with its first are not checked again)."""
        if visit is None:
            return
        if visit.running:
            visit.running += 1
            return
        client = visit.client
        active = self._active.get(client, 0)
        if self.max_queries and active >= self.max_queries:
            raise ApiError(
                429,
                f"too many queries at once: {self.max_queries} running or waiting from your "
                "address is the limit",
                {
                    "limit": "concurrent queries per client",
                    "setting": "EMKG_CLIENT_QUERIES",
                    "max": self.max_queries,
                    "hint": "wait for an answer before sending the next query",
                },
                headers={"Retry-After": str(CONCURRENCY_RETRY_AFTER)},
            )
        if self.budget and client in self._totals:
            spent = self.spent(client)
            if spent >= self.budget:
                wait = self.retry_after(client)
                raise ApiError(
                    429,
                    f"query time used up: your address spent {spent:.1f} s of query time in the "
                    f"last {self.window:g} s, the budget is {self.budget:g} s",
                    {
                        "limit": "query seconds per client per minute",
                        "setting": "EMKG_CLIENT_SECONDS_PER_MINUTE",
                        "budget_s": self.budget,
                        "spent_s": round(spent, 3),
                        "retry_after_s": wait,
                        "hint": "add LIMIT, narrow the patterns, or download the dump (GET /void)",
                    },
                    headers={"Retry-After": str(wait)},
                )
        self._active[client] = active + 1
        visit.running = 1

    def leave(self, visit: Visit | None) -> None:
        if visit is None:
            return
        visit.running -= 1
        if visit.running > 0:
            return
        client = visit.client
        active = self._active.get(client, 0) - 1
        if active > 0:
            self._active[client] = active
        else:
            self._active.pop(client, None)

    def charge(self, client: object, seconds: float) -> None:
        """`seconds` of query-process time spent by `client` (the pool calls this)."""
        if not self.budget or not isinstance(client, str):
            return
        spent = self._spent.get(client)
        if spent is None:
            spent = self._spent[client] = deque()
            self._totals[client] = 0.0
        now = self._now()
        spent.append((now, seconds))
        self._totals[client] += seconds
        # now and then (at most once a second, not on every charge once many clients are
        # known): forget the clients whose minute has passed
        if len(self._spent) > SWEEP_CLIENTS and now >= self._swept + 1.0:
            self._swept = now
            for other in list(self._spent):
                self.spent(other)

    def spent(self, client: str) -> float:
        """Seconds `client` spent in the last window (old entries are dropped on the way)."""
        spent = self._spent.get(client)
        if spent is None:
            return 0.0
        horizon = self._now() - self.window
        total = self._totals[client]
        while spent and spent[0][0] <= horizon:
            total -= spent.popleft()[1]
        if not spent:
            del self._spent[client], self._totals[client]
            return 0.0
        self._totals[client] = total
        return total

    def retry_after(self, client: str) -> int:
        """Whole seconds until `client` has spent less than the budget in the window."""
        spent = self._spent.get(client)
        if not spent:
            return 0
        total = self._totals[client]
        now = self._now()
        for when, seconds in spent:
            total -= seconds
            if total < self.budget:
                return max(1, math.ceil(when + self.window - now))
        return max(1, math.ceil(self.window))

    def known_clients(self) -> int:
        """How many clients have query time on record (bounded by the sweep in `charge`)."""
        return len(self._spent)

    def in_flight(self, client: str) -> int:
        return self._active.get(client, 0)
