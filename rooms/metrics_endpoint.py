"""GET /metrics/: this process's Prometheus metrics (rooms/metrics.py), answered before Django.

Prometheus scrapes each Daphne process directly, by the process's own address and over plain
HTTP. Django would refuse that: the Host is not in ALLOWED_HOSTS (which names the public host)
and, with debug off, plain HTTP is redirected to HTTPS. So the route sits in front of Django
(chatsite/asgi.py) and has a check of its own instead: the client's address must be in
METRICS_ALLOWED_NETWORKS. Behind nginx that address is the visitor's (Daphne's
--proxy-headers), so the public never qualifies; nginx refuses the path besides."""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Awaitable, Callable, Mapping
from functools import lru_cache
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings
from prometheus_client import CONTENT_TYPE_LATEST

from rooms import metrics
from rooms.views import check_database, check_state, check_status

PATHS = frozenset({"/metrics", "/metrics/"})
Scope = dict[str, Any]
Receive = Callable[[], Awaitable[Mapping[str, Any]]]
Send = Callable[[Mapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


@lru_cache(maxsize=4)
def _networks(allowed: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(network, strict=False) for network in allowed)


def may_scrape(address: str | None) -> bool:
    try:
        client = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(client in network for network in _networks(tuple(settings.METRICS_ALLOWED_NETWORKS)))


async def _round_trip(check: Callable[[], Awaitable[None]]) -> float | None:
    started = time.monotonic()
    return None if await check_status(check) != "ok" else time.monotonic() - started


async def _respond(send: Send, status: int, body: bytes, kind: str) -> None:
    headers = [(b"content-type", kind.encode()), (b"cache-control", b"no-store")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class MetricsRoute:
    """The ASGI HTTP application: /metrics/ here, everything else to `app` (Django)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in PATHS:
            return await self.app(scope, receive, send)
        client = scope.get("client")
        if scope["method"] != "GET" or not may_scrape(client[0] if client else None):
            return await _respond(send, 404, b"Not found.\n", "text/plain; charset=utf-8")
        # database_sync_to_async: it hands the connection back after, as a request would.
        metrics.record_dependency("database", await _round_trip(database_sync_to_async(check_database)))
        if settings.REDIS_URL:
            metrics.record_dependency("redis", await _round_trip(database_sync_to_async(check_state)))
        await _respond(send, 200, metrics.render(), CONTENT_TYPE_LATEST)
