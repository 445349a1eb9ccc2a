"""Server settings, read from `EMKG_*` environment variables.

Handlers reach them through `SettingsDep`: the settings `create_app(settings)` was given,
so tests and the command line can run apps with settings of their own.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from graph.resources import DEFAULT_OUT, DEFAULT_SOURCE, ONTOLOGY_FILE

BASE_IRI = "https://w3id.org/eu-migration-kg/"


class Settings(BaseSettings):
    """Everything the server can be told from outside, with the defaults the contract implies."""

    model_config = SettingsConfigDict(env_prefix="EMKG_", frozen=True, extra="ignore")

    base_iri: str = BASE_IRI
    graph_dir: Path = Field(
        default=DEFAULT_OUT, description="the built graph: `output/` of the current directory"
    )
    source_file: Path = Field(
        default=DEFAULT_SOURCE,
        description="the letter a reload rebuilds the graph from (the packaged copy)",
    )
    ontology_file: Path | None = Field(
        default=ONTOLOGY_FILE, description="the ontology served at /ontology and beside the data"
    )
    auto_build: bool = Field(
        default=True, description="build the graph at start-up when it is missing or stale"
    )
    store_dir: Path | None = Field(
        default=None,
        description="keep the on-disk query store here, one folder per graph version, so a "
        "restart reuses it; by default a temporary folder that is removed at shut-down",
    )
    query_timeout: float = Field(default=10.0, gt=0, description="seconds per query")
    max_query_bytes: int = Field(default=64 * 1024, gt=0, description="a query's length")
    max_url_bytes: int = Field(
        default=32 * 1024,
        gt=0,
        description="a request's path and query string; longer gets 414 (send long queries by POST)",
    )
    row_cap: int = Field(default=10_000, gt=0, description="SELECT solutions per answer")
    triple_cap: int = Field(default=100_000, gt=0, description="CONSTRUCT/DESCRIBE triples")
    cache_bytes: int = Field(
        default=16 * 1024 * 1024, ge=0, description="answers kept per server process, in bytes"
    )
    pool_size: int | None = Field(
        default=None,
        ge=1,
        le=64,
        description="query processes per server process; by default the cores shared out "
        "among the server processes (WEB_CONCURRENCY, as uvicorn reads it), at least one",
    )
    spare_processes: int | None = Field(
        default=None,
        ge=0,
        le=64,
        description="extra query processes started while every process has been running a "
        "query for `spare_after` seconds, so quick queries need not wait; by default as many "
        "as `pool_size`",
    )
    spare_after: float = Field(default=0.5, gt=0, description="seconds; see spare_processes")
    memory_store_bytes: int = Field(
        default=16 * 1024 * 1024,
        ge=0,
        description="a graph whose N-Triples file is at most this large is held in memory by "
        "each query process; a larger one is read from an on-disk store",
    )
    query_memory_bytes: int = Field(
        default=1024 * 1024 * 1024,
        ge=0,
        description="memory a query may take in its query process above what the process held "
        "with the graph loaded (RLIMIT_DATA); past it the process is stopped and replaced and "
        "the client gets 507; 0: no limit",
    )
    client_queries: int | None = Field(
        default=None,
        ge=0,
        description="queries one client (address) may have running or waiting at once, per "
        "server process; past it 429; by default as many as `pool_size`, so the spare "
        "processes stay for everyone else; 0: no cap",
    )
    client_seconds_per_minute: float = Field(
        default=60.0,
        ge=0,
        description="query-process seconds one client may spend in any minute, per server "
        "process; past it 429 until enough of the minute has passed; 0: no budget",
    )
    trusted_proxies: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(),
        description="addresses or networks of reverse proxies whose X-Forwarded-For and "
        "X-Forwarded-Proto are believed (the client is the rightmost hop not among them)",
    )
    endpoint: str | None = Field(
        default=None,
        description="an external SPARQL 1.1 query endpoint instead of the embedded store",
    )
    graph_iri: str = Field(
        default=BASE_IRI + "dataset",
        description="the named graph an external endpoint holds the data in",
    )
    service_allowlist: Annotated[tuple[str, ...], NoDecode] = ()
    admin_token: SecretStr | None = None

    def workers_per_server(self) -> int:
        """Query processes per server process: `pool_size`, else the cores shared out among
        the server processes, so that all of them together have one query process per core."""
        if self.pool_size:
            return self.pool_size
        try:
            servers = max(1, int(os.environ.get("WEB_CONCURRENCY", "1")))
        except ValueError:
            servers = 1
        return max(1, (os.cpu_count() or 2) // servers)

    def queries_per_client(self) -> int:
        """`client_queries`, by default the query processes of a server process (0: no cap)."""
        return self.workers_per_server() if self.client_queries is None else self.client_queries

    @field_validator("service_allowlist", "trusted_proxies", mode="before")
    @classmethod
    def _split_allowlist(cls, value: object) -> object:
        """Accept a JSON list or a comma- or space-separated string (of IRIs, of addresses)."""
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                import json

                return tuple(json.loads(text))
            return tuple(part for part in text.replace(",", " ").split() if part)
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        import ipaddress

        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError as exc:
                raise ValueError(f"not an address or network: {entry!r}") from exc
        return value

    @field_validator("endpoint", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process, from the environment (cached)."""
    return Settings()


async def app_settings(request: Request) -> Settings:
    """The settings the running app was made with (async: no thread hop per request)."""
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(app_settings)]
