"""Who is asking: the client's address, the one rule every limit per client goes by.

The client is the peer of the connection, unless that peer is a trusted reverse proxy
(`EMKG_TRUSTED_PROXIES`, addresses or networks; none by default). Then the client is read from
`X-Forwarded-For`, right to left: each proxy appends the address it saw, so the rightmost hop
that is not itself a trusted proxy is the client, and anything left of it (which the client
could have written) is ignored. A trusted proxy's `X-Forwarded-Proto` sets the scheme. From any
other peer both headers are ignored.

`ClientAddress` applies the rule once per request, outside everything else: it rewrites the
scope's `client` (and `scheme`), so every part of the app sees the same client, and names it in
`api.client_shares.current_client` for the per-client limits. `emkg serve` turns uvicorn's own
proxy-header handling off so that this is the only rule (uvicorn by default believes
X-Forwarded-For from 127.0.0.1).

An IPv6 client is counted by its /64, the block one subscriber usually holds.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from functools import lru_cache

from starlette.types import ASGIApp, Receive, Scope, Send

from api.client_shares import Visit, current_client

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
SCHEMES = frozenset({"http", "https", "ws", "wss"})
MAX_HOP_CHARS = 64


def parse_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """Addresses or networks (`10.0.0.0/8`, `::1`); raises ValueError naming a bad entry."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError as exc:
            raise ValueError(f"not an address or network: {entry!r}") from exc
    return tuple(networks)


def is_trusted(host: str, networks: Sequence[Network]) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(address in network for network in networks)


def forwarded_client(peer: str, forwarded_for: str | None, networks: Sequence[Network]) -> str:
    """The client behind `peer`: `peer` itself unless it is a trusted proxy; then the rightmost
    hop of `forwarded_for` that is not a trusted proxy (the leftmost when all are)."""
    if not networks or not forwarded_for or not is_trusted(peer, networks):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not is_trusted(hop, networks):
            return hop[:MAX_HOP_CHARS]
    return hops[0][:MAX_HOP_CHARS] if hops else peer


@lru_cache(maxsize=4096)
def client_key(address: str) -> str:
    """What the limits count by: the address, an IPv6 one as its /64."""
    if ":" not in address:
        return address
    try:
        network = ipaddress.IPv6Network(f"{address}/64", strict=False)
    except ValueError:
        return address
    return str(network)


class ClientAddress:
    """Pure ASGI middleware: the client's address by the rule above, in the scope and in
    `current_client` for the time of the request."""

    def __init__(self, app: ASGIApp, trusted: Iterable[str] = ()) -> None:
        self.app = app
        self.networks = parse_networks(trusted)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        peer = scope.get("client")
        host = peer[0] if peer else ""
        if self.networks and host and is_trusted(host, self.networks):
            host = self._behind_proxy(scope, host)
        token = current_client.set(Visit(client_key(host)) if host else None)
        try:
            await self.app(scope, receive, send)
        finally:
            current_client.reset(token)

    def _behind_proxy(self, scope: Scope, host: str) -> str:
        forwarded: list[str] = []
        proto: str | None = None
        for name, value in scope.get("headers", ()):
            if name == b"x-forwarded-for":
                forwarded.append(value.decode("latin-1"))
            elif name == b"x-forwarded-proto":
                proto = value.decode("latin-1").split(",")[-1].strip().lower()
        if proto in SCHEMES:
            scope["scheme"] = proto
        client = forwarded_client(host, ", ".join(forwarded) or None, self.networks)
        if client != host:
            scope["client"] = (client, 0)
        return client
