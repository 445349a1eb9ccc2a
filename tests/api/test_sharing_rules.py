"""The rules behind the shares (issue 13), without a server: who the client is behind proxies,
the per-client accounting over a sliding minute, the queue's turns, the memory limit."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from api.client_address import client_key, forwarded_client, parse_networks
from api.client_shares import ClientShares, Visit
from api.errors import ApiError
from api.fair_queue import FairQueue
from api.memory_limit import died_of_memory

PROXIES = parse_networks(["10.0.0.0/8", "192.168.1.5"])


@pytest.mark.parametrize(
    ("peer", "header", "client"),
    [
        ("203.0.113.7", "198.51.100.1", "203.0.113.7"),  # untrusted peer: header ignored
        ("203.0.113.7", None, "203.0.113.7"),
        ("10.1.2.3", None, "10.1.2.3"),  # a trusted proxy that forwards nothing
        ("10.1.2.3", "198.51.100.1", "198.51.100.1"),
        # the client wrote the leftmost hop itself: only the proxy's own hop counts
        ("10.1.2.3", "6.6.6.6, 198.51.100.1", "198.51.100.1"),
        # two trusted proxies in a row: the first untrusted hop from the right
        ("10.1.2.3", "6.6.6.6, 198.51.100.1, 192.168.1.5", "198.51.100.1"),
        ("10.1.2.3", "10.0.0.1, 10.0.0.2", "10.0.0.1"),  # all trusted: the leftmost
        ("10.1.2.3", " , ", "10.1.2.3"),
    ],
)
def test_the_client_behind_trusted_proxies(peer: str, header: str | None, client: str) -> None:
    assert forwarded_client(peer, header, PROXIES) == client


def test_without_trusted_proxies_the_peer_is_the_client() -> None:
    assert forwarded_client("10.1.2.3", "198.51.100.1", ()) == "10.1.2.3"


def test_a_bad_trusted_proxy_entry_is_named() -> None:
    with pytest.raises(ValueError, match=r"proxy\.example"):
        parse_networks(["10.0.0.1", "proxy.example"])


def test_an_ipv6_client_is_counted_by_its_64() -> None:
    assert client_key("2001:db8:1:2:aaaa::1") == client_key("2001:db8:1:2:bbbb::9")
    assert client_key("2001:db8:1:2::1") != client_key("2001:db8:1:3::1")
    assert client_key("192.0.2.1") == "192.0.2.1"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_queries_at_once_are_capped_per_client() -> None:
    shares = ClientShares(2, 0)
    first, second, third = Visit("a"), Visit("a"), Visit("a")
    shares.enter(first)
    shares.enter(second)
    with pytest.raises(ApiError) as refused:
        shares.enter(third)
    assert refused.value.status == 429
    assert refused.value.headers["Retry-After"] == "1"
    assert refused.value.detail["setting"] == "EMKG_CLIENT_QUERIES"  # type: ignore[index]
    shares.enter(Visit("b"))  # another client keeps its share
    shares.leave(first)
    shares.enter(third)
    shares.enter(None)  # outside a request: not counted
    assert shares.in_flight("a") == 2


def test_a_request_running_queries_side_by_side_counts_once() -> None:
    shares = ClientShares(1, 0)
    page = Visit("a")
    for _ in range(4):  # a page's queries, all at once
        shares.enter(page)
    assert shares.in_flight("a") == 1
    with pytest.raises(ApiError):
        shares.enter(Visit("a"))  # another request of the same client
    for _ in range(4):
        shares.leave(page)
    assert shares.in_flight("a") == 0
    shares.enter(Visit("a"))


def test_query_time_is_budgeted_over_a_sliding_minute() -> None:
    clock = Clock()
    shares = ClientShares(0, 10, clock=clock)
    shares.charge("a", 4.0)
    clock.now += 20
    shares.charge("a", 7.0)  # 11 s in the last minute
    shares.charge("b", 1.0)
    clock.now += 5
    with pytest.raises(ApiError) as refused:
        shares.enter(Visit("a"))
    assert refused.value.status == 429
    assert refused.value.detail["setting"] == "EMKG_CLIENT_SECONDS_PER_MINUTE"  # type: ignore[index]
    # the 4 s charged 25 s ago leave the minute in 35 s: then 7 s < 10 s
    assert refused.value.headers["Retry-After"] == "35"
    shares.enter(Visit("b"))
    clock.now += 35
    shares.enter(Visit("a"))
    assert shares.spent("a") == pytest.approx(7.0)
    clock.now += 60
    assert shares.spent("a") == 0.0


def test_clients_whose_minute_has_passed_are_forgotten() -> None:
    """Many clients do not grow the table for ever: once it passes SWEEP_CLIENTS, those whose
    minute has passed are dropped (at most once a second)."""
    from api.client_shares import SWEEP_CLIENTS

    clock = Clock()
    shares = ClientShares(0, 10, clock=clock)
    for number in range(SWEEP_CLIENTS + 10):
        shares.charge(f"client {number}", 0.1)
    clock.now += 61
    shares.charge("newcomer", 0.1)
    assert shares.known_clients() == 1
    assert shares.spent("newcomer") == pytest.approx(0.1)


def test_no_budget_charges_nothing() -> None:
    shares = ClientShares(0, 0)
    shares.charge("a", 1e6)
    shares.enter(Visit("a"))
    assert shares.spent("a") == 0.0


@dataclass(order=True)
class Job:
    turn: float
    name: str = field(compare=False)
    quick: bool = field(default=True, compare=False)
    done: bool = field(default=False, compare=False)

    def gone(self) -> bool:
        return self.done


def test_the_queue_serves_clients_in_turn_each_in_its_own_order() -> None:
    queue: FairQueue[Job] = FairQueue()
    for number in range(4):
        queue.push("greedy", Job(number, f"g{number}"))
    queue.push("light", Job(10, "l0"))
    queue.push("light", Job(2.5, "l1"))  # quicker: before l0 in its own line
    queue.push("greedy", Job(0.5, "g-quick"))
    order = []
    while (job := queue.pop()) is not None:
        order.append(job.name)
    assert order == ["g0", "l1", "g-quick", "l0", "g1", "g2", "g3"]
    assert not queue


def test_spares_take_quick_jobs_in_turn_and_skip_gone_ones() -> None:
    queue: FairQueue[Job] = FairQueue()
    queue.push("greedy", Job(0, "slow", quick=False))
    queue.push("greedy", Job(1, "gone", done=True))
    queue.push("light", Job(2, "light"))
    assert queue.has_quick()
    first = queue.pop_quick()
    assert first is not None and first.name == "light"
    assert queue.pop_quick() is None
    assert not queue.has_quick()
    last = queue.pop()
    assert last is not None and last.name == "slow"


def test_a_process_over_its_memory_limit_is_refused_memory() -> None:
    """The limit the query processes set on themselves, in a process of its own."""
    code = (
        "from api.memory_limit import limit_memory\n"
        "assert limit_memory(64 * 2**20) > 0\n"
        "small = bytearray(16 * 2**20)\n"
        "try:\n"
        "    big = bytearray(128 * 2**20)\n"
        "except MemoryError:\n"
        "    print('refused')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.stdout.strip() == "refused"


def test_an_abort_with_the_allocators_refusal_is_the_memory_limits_death() -> None:
    refused = b"memory allocation of 1073741824 bytes failed\n"
    assert died_of_memory(-6, b"some warning\n" + refused)
    assert not died_of_memory(-6, b"")  # an abort without it is a crash: run once more
    assert not died_of_memory(-6, b"Fatal Python error: Aborted\n")
    assert not died_of_memory(-9, refused)
    assert not died_of_memory(0, b"")


def test_the_setting_refuses_a_proxy_that_is_not_an_address() -> None:
    from pydantic import ValidationError

    from api.settings import Settings

    assert Settings(trusted_proxies="10.0.0.0/8, ::1").trusted_proxies == ("10.0.0.0/8", "::1")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"proxy\.example"):
        Settings(trusted_proxies="proxy.example")  # type: ignore[arg-type]
