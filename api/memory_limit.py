"""A memory budget per query, kept by the operating system: RLIMIT_DATA in the query process.

A query process sets the limit on itself once the graph is loaded: what it then holds (VmData:
its heap and other private writable memory, not the on-disk store's mapped files) plus the
budget (`EMKG_QUERY_MEMORY_BYTES`, 1 GiB by default). The kernel then refuses any allocation
past it. Measured on the built graph (`SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?a ?f`,
which grows a process by about 350 MB a second): pyoxigraph's Rust allocator, refused, prints
"memory allocation of N bytes failed" and aborts the process (SIGABRT); an allocation Python
makes raises MemoryError instead, which the process answers as a memory failure. Either way the
parent (`api.workers`), which reads each query process's stderr (passing it on to its own)
and keeps its last words, tells the client that the memory limit stopped the query when the
process aborted with the allocator's refusal, and runs the query once more after any other
death; the pool replaces a process that died. RLIMIT_AS was measured to work the same way but counts reserved
address space too (thread stacks, mapped store files), so it would bite before the budget.

This module is imported by the query process: standard library only, nothing heavy.
"""

from __future__ import annotations

import resource
import signal

#: how a query process that went over its memory limit ends (Rust's allocator aborts)
MEMORY_DEATH = -signal.SIGABRT


def private_memory_bytes() -> int:
    """This process's VmData (private writable memory), in bytes; 0 if unknown."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as stream:
            for line in stream:
                if line.startswith("VmData:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def limit_memory(budget: int) -> int:
    """Cap this process's private memory at what it holds now plus `budget` bytes; the limit
    set (0: none, when the budget is 0 or the platform cannot tell what the process holds)."""
    held = private_memory_bytes()
    if budget <= 0 or held <= 0:
        return 0
    limit = held + budget
    _, hard = resource.getrlimit(resource.RLIMIT_DATA)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_DATA, (limit, hard))
    return limit


#: what Rust's allocator writes to stderr when the kernel refuses it memory, before aborting
REFUSED = b"memory allocation of "


def died_of_memory(returncode: int | None, last_words: bytes) -> bool:
    """Whether a query process died at its memory limit: an abort whose last words on stderr
    are the allocator's refusal (any other abort, a crash, may be run again)."""
    return returncode == MEMORY_DEATH and REFUSED in last_words
