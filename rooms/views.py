"""Plain Django views: the app shell and the health check."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress

from asgiref.sync import sync_to_async
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie

from rooms import realtime
from rooms.state import get_state

logger = logging.getLogger(__name__)

HEALTH_TIMEOUT = 2.0


@never_cache
@ensure_csrf_cookie
def app_shell(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    """The React app; it routes `/` and `/rooms/<slug>/` itself."""
    return render(request, "index.html")


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_state() -> None:
    get_state().ping()


async def _check_channel_layer() -> None:
    layer = realtime.channel_layer()
    channel = await layer.new_channel()
    await layer.send(channel, {"type": "health.ping"})
    await asyncio.wait_for(layer.receive(channel), HEALTH_TIMEOUT)
    # A cancelled receive is what makes the Redis pub/sub layer unsubscribe the channel again.
    with suppress(asyncio.TimeoutError):
        await asyncio.wait_for(layer.receive(channel), 0.01)


async def check_status(check: Callable[[], Awaitable[None]]) -> str:
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
        "database": await check_status(sync_to_async(check_database)),
        "channel_layer": await check_status(_check_channel_layer),
        "state": await check_status(sync_to_async(check_state)),
    }
    healthy = all(value == "ok" for value in parts.values())
    return JsonResponse({"status": "ok" if healthy else "down", **parts}, status=200 if healthy else 503)
