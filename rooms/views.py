"""Plain Django views: the app shell, the health check and the metrics."""

import asyncio
import ipaddress
import logging
import time
from collections.abc import Awaitable, Callable
from contextlib import suppress
from functools import lru_cache

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie
from prometheus_client import CONTENT_TYPE_LATEST

from rooms import metrics, realtime
from rooms.state import get_state

logger = logging.getLogger(__name__)

HEALTH_TIMEOUT = 2.0


@never_cache
@ensure_csrf_cookie
def app_shell(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    """The React app; it routes `/` and `/rooms/<slug>/` itself."""
    return render(request, "index.html")


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_state() -> None:
    get_state().ping()


async def _check_channel_layer() -> None:
    layer = realtime.channel_layer()
    channel = await layer.new_channel()
    await layer.send(channel, {"type": "health.ping"})
    await asyncio.wait_for(layer.receive(channel), HEALTH_TIMEOUT)
    # A cancelled receive is what makes the Redis pub/sub layer unsubscribe the channel again.
    with suppress(asyncio.TimeoutError):
        await asyncio.wait_for(layer.receive(channel), 0.01)


async def _status(check: Callable[[], Awaitable[None]]) -> str:
    try:
        await asyncio.wait_for(check(), HEALTH_TIMEOUT + 1)
    except Exception as error:
        logger.warning("health check %s failed: %r", check.__name__, error)
        return "down"
    return "ok"


@never_cache
async def health(request: HttpRequest) -> JsonResponse:
    """A real round trip through each part: 200 when all answer, 503 naming the ones that don't."""
    parts = {
        "database": await _status(sync_to_async(_check_database)),
        "channel_layer": await _status(_check_channel_layer),
        "state": await _status(sync_to_async(_check_state)),
    }
    healthy = all(value == "ok" for value in parts.values())
    return JsonResponse({"status": "ok" if healthy else "down", **parts}, status=200 if healthy else 503)


@lru_cache(maxsize=4)
def _scrape_networks(allowed: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(network, strict=False) for network in allowed)


def _may_scrape(address: str | None) -> bool:
    try:
        client = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(client in network for network in _scrape_networks(tuple(settings.METRICS_ALLOWED_NETWORKS)))


async def _round_trip(check: Callable[[], Awaitable[None]]) -> float | None:
    started = time.monotonic()
    return None if await _status(check) != "ok" else time.monotonic() - started


@never_cache
async def metrics_page(request: HttpRequest) -> HttpResponse:
    """This process's Prometheus metrics, for the addresses in METRICS_ALLOWED_NETWORKS only;
    anyone else is told there is no such page. Behind nginx the address is the client's own
    (X-Forwarded-For), so the public never qualifies; Prometheus scrapes each process directly."""
    if not _may_scrape(request.META.get("REMOTE_ADDR")):
        raise Http404
    metrics.record_dependency("database", await _round_trip(sync_to_async(_check_database)))
    if settings.REDIS_URL:
        metrics.record_dependency("redis", await _round_trip(sync_to_async(_check_state)))
    return HttpResponse(metrics.render(), content_type=CONTENT_TYPE_LATEST)
