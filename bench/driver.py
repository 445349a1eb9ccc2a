"""Load generators: wrk (Debian's `wrk`, scripted in Lua) and, without it, asyncio + httpx.

Both keep a fixed number of connections busy for a fixed time (a closed loop), cycle through
the mix's requests, fill each template's placeholders from a number no other request of the
run gets, and report requests, req/s, latency percentiles, errors and the answers' statuses.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.mixes import DAYS, PLACEHOLDER, WORDS, Request, render


@dataclass
class Result:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    errors: int  # socket errors, timeouts and answers other than 2xx/3xx
    statuses: dict[int, int] = field(default_factory=dict)
    socket_errors: dict[str, int] = field(default_factory=dict)
    tool: str = "wrk"

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def ok(self) -> int:
        """Answers with a 2xx or 3xx status."""
        return sum(count for code, count in self.statuses.items() if code < 400)

    @property
    def ok_rps(self) -> float:
        """Successful answers per second: what the comparisons use, so that a system's quick
        failures do not count as throughput."""
        return self.ok / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "requests": self.requests,
            "seconds": round(self.seconds, 3),
            "rps": round(self.rps, 1),
            "ok_rps": round(self.ok_rps, 1),
            "p50_ms": round(self.p50_ms, 2),
            "p99_ms": round(self.p99_ms, 2),
            "mean_ms": round(self.mean_ms, 2),
            "max_ms": round(self.max_ms, 2),
            "errors": self.errors,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "socket_errors": self.socket_errors,
            "tool": self.tool,
        }


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def run(
    base_url: str,
    requests: list[Request],
    *,
    duration: float,
    connections: int = 16,
    threads: int = 2,
    timeout: float = 30.0,
    first_number: int = 0,
    use_wrk: bool | None = None,
) -> Result:
    """Drive `base_url` with the mix for `duration` seconds."""
    if not requests:
        raise ValueError("an empty mix")
    if use_wrk is None:
        use_wrk = have_wrk()
    if use_wrk:
        return run_wrk(
            base_url,
            requests,
            duration=duration,
            connections=connections,
            threads=threads,
            timeout=timeout,
            first_number=first_number,
        )
    return asyncio.run(
        run_httpx(
            base_url,
            requests,
            duration=duration,
            connections=connections,
            timeout=timeout,
            first_number=first_number,
        )
    )


# ---------------------------------------------------------------- wrk


def _lua_string(text: str) -> str:
    level = 0
    while f"]{'=' * level}]" in text:
        level += 1
    return f"[{'=' * level}[{text}]{'=' * level}]"


def _segments(template: str) -> str:
    """A template as a Lua list: literal text at odd positions, placeholder names at even."""
    return "{" + ", ".join(_lua_string(part) for part in PLACEHOLDER.split(template)) + "}"


LUA = r"""
-- written by bench/driver.py
local items = {
%(items)s
}
local days = {%(days)s}
local words = {%(words)s}
local first_number = %(first_number)d
local nthreads = %(threads)d
local threads = {}
local started = 0

function setup(thread)
  thread:set("tid", started)
  started = started + 1
  table.insert(threads, thread)
end

local function value(name, n)
  if name == "n" then return tostring(n)
  elseif name == "lim" then return tostring(100000 + n)
  elseif name == "c" then return tostring(n %% 15 + 1)
  elseif name == "amt" then return tostring((n %% 1000) * 1000000 + math.floor(n / 1000))
  elseif name == "w" then return words[n %% #words + 1]
  elseif name == "d1" then return days[n %% #days + 1]
  elseif name == "d2" then
    local first = n %% #days
    return days[first + (math.floor(n / #days) %% (#days - first)) + 1]
  end
  error("unknown placeholder " .. name)
end

local function render(segments, n)
  if #segments == 1 then return segments[1] end
  local parts = {}
  for i, s in ipairs(segments) do
    if i %% 2 == 1 then parts[#parts + 1] = s else parts[#parts + 1] = value(s, n) end
  end
  return table.concat(parts)
end

function init(args)
  counter = 0
  statuses = {}
  prebuilt = {}
  for i, item in ipairs(items) do
    if item.static then
      prebuilt[i] = wrk.format(item.method, item.path[1], item.headers, item.body and item.body[1] or nil)
    end
  end
end

function request()
  local n = first_number + counter * nthreads + tid
  -- every thread cycles through all the items, each from its own starting point
  local index = (counter + tid * 7) %% #items + 1
  counter = counter + 1
  local item = items[index]
  if item.static then return prebuilt[index] end
  local body = nil
  if item.body then body = render(item.body, n) end
  return wrk.format(item.method, render(item.path, n), item.headers, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    local seen = thread:get("statuses")
    if seen then
      for code, count in pairs(seen) do counts[code] = (counts[code] or 0) + count end
    end
  end
  local parts = {}
  for code, count in pairs(counts) do parts[#parts + 1] = string.format('"%%d": %%d', code, count) end
  local e = summary.errors
  io.write(string.format(
    'BENCH-RESULT {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p99_us": %%d, ' ..
    '"mean_us": %%f, "max_us": %%d, "connect": %%d, "read": %%d, "write": %%d, "status": %%d, ' ..
    '"timeout": %%d, "statuses": {%%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.mean, latency.max, e.connect, e.read, e.write, e.status, e.timeout,
    table.concat(parts, ", ")))
end
"""


def lua_script(requests: list[Request], first_number: int, threads: int) -> str:
    items = []
    for request in requests:
        headers = ", ".join(
            f"[ {_lua_string(k)} ] = {_lua_string(v)}" for k, v in request.headers().items()
        )
        body = _segments(request.body) if request.body is not None else "nil"
        items.append(
            f"  {{ method = {_lua_string(request.method)}, path = {_segments(request.path)}, "
            f"body = {body}, headers = {{ {headers} }}, static = {str(request.static).lower()} }},"
        )
    return LUA % {
        "items": "\n".join(items),
        "days": ", ".join(f'"{day}"' for day in DAYS),
        "words": ", ".join(f'"{word}"' for word in WORDS),
        "first_number": first_number,
        "threads": threads,
    }


def run_wrk(
    base_url: str,
    requests: list[Request],
    *,
    duration: float,
    connections: int,
    threads: int,
    timeout: float,
    first_number: int,
) -> Result:
    threads = max(1, min(threads, connections))
    with tempfile.TemporaryDirectory(prefix="emkg-wrk-") as directory:
        script = Path(directory) / "mix.lua"
        script.write_text(lua_script(requests, first_number, threads), encoding="utf-8")
        command = [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{max(1, round(duration))}s",
            f"--timeout={max(1, round(timeout))}s",
            "-s",
            str(script),
            base_url,
        ]
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=duration + timeout + 60
        )
    line = next(
        (line for line in done.stdout.splitlines() if line.startswith("BENCH-RESULT ")), None
    )
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    data = json.loads(line.removeprefix("BENCH-RESULT "))
    socket_errors = {k: int(data[k]) for k in ("connect", "read", "write", "timeout") if data[k]}
    return Result(
        requests=int(data["requests"]),
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        mean_ms=float(data["mean_us"]) / 1000,
        max_ms=data["max_us"] / 1000,
        errors=int(data["status"]) + sum(socket_errors.values()),
        statuses={int(k): int(v) for k, v in data["statuses"].items()},
        socket_errors=socket_errors,
        tool="wrk",
    )


# ---------------------------------------------------------------- asyncio + httpx


def _percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(fraction * (len(sorted_values) - 1))))
    return sorted_values[index]


class _Tally:
    """What the Python load generators count: latencies, statuses and socket errors."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.statuses: Counter[int] = Counter()
        self.socket_errors: Counter[str] = Counter()

    async def send(self, client: httpx.AsyncClient, request: Request, n: int) -> None:
        body = render(request.body, n).encode() if request.body is not None else None
        began = time.perf_counter()
        try:
            response = await client.request(
                request.method, render(request.path, n), content=body, headers=request.headers()
            )
            await response.aread()
        except httpx.TimeoutException:
            self.socket_errors["timeout"] += 1
            return
        except httpx.TransportError:
            self.socket_errors["read"] += 1
            return
        self.latencies.append(time.perf_counter() - began)
        self.statuses[response.status_code] += 1

    def result(self, seconds: float, tool: str) -> Result:
        latencies = sorted(self.latencies)
        bad = sum(count for code, count in self.statuses.items() if code >= 400)
        return Result(
            requests=len(latencies),
            seconds=seconds,
            p50_ms=_percentile(latencies, 0.50) * 1000,
            p99_ms=_percentile(latencies, 0.99) * 1000,
            mean_ms=(sum(latencies) / len(latencies) * 1000) if latencies else 0.0,
            max_ms=(latencies[-1] * 1000) if latencies else 0.0,
            errors=bad + sum(self.socket_errors.values()),
            statuses=dict(self.statuses),
            socket_errors=dict(self.socket_errors),
            tool=tool,
        )


async def run_httpx(
    base_url: str,
    requests: list[Request],
    *,
    duration: float,
    connections: int,
    timeout: float,
    first_number: int,
) -> Result:
    """The same closed loop in Python: slower than wrk, so a ceiling on what it can measure."""
    tally = _Tally()
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    deadline = time.perf_counter() + duration

    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=timeout) as client:

        async def connection(tid: int) -> None:
            counter = 0
            while time.perf_counter() < deadline:
                sequence = counter * connections + tid
                n = first_number + sequence
                counter += 1
                request = requests[(counter + tid * 7) % len(requests)]
                await tally.send(client, request, n)

        began = time.perf_counter()
        await asyncio.gather(*(connection(tid) for tid in range(connections)))
        seconds = time.perf_counter() - began
    return tally.result(seconds, "httpx")


# ---------------------------------------------------------------- a fixed amount of work


async def _run_fixed(
    base_url: str,
    requests: list[Request],
    *,
    total: int,
    connections: int,
    timeout: float,
    first_number: int,
) -> Result:
    """`total` requests (whole passes over the mix) over `connections` connections, all waited
    for. A run of fixed length leaves its slowest requests in flight when time is up, which
    flatters a server that runs slow queries alongside fast ones when queries take long; a fixed
    amount of work counts every query of the mix equally."""
    tally = _Tally()
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    issued = 0

    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=timeout) as client:

        async def connection() -> None:
            nonlocal issued
            while issued < total:
                sequence = issued
                issued += 1
                n = first_number + sequence
                request = requests[sequence % len(requests)]
                await tally.send(client, request, n)

        began = time.perf_counter()
        await asyncio.gather(*(connection() for _ in range(connections)))
        seconds = time.perf_counter() - began
    return tally.result(seconds, "httpx, fixed work")


def run_fixed(
    base_url: str,
    requests: list[Request],
    *,
    total: int,
    connections: int = 16,
    timeout: float = 60.0,
    first_number: int = 0,
) -> Result:
    """Send `total` requests of the mix in turn over `connections` connections."""
    if not requests:
        raise ValueError("an empty mix")
    return asyncio.run(
        _run_fixed(
            base_url,
            requests,
            total=total,
            connections=connections,
            timeout=timeout,
            first_number=first_number,
        )
    )
