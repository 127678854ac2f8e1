"""Which browser origins may open a socket with the user's cookie.

Cookies ride along on cross-site WebSocket handshakes, so without this check any page on the
web could open a socket as the visitor (cross-site WebSocket hijacking). An origin is scheme,
host and port, and all three must match one of:

- the site itself: the address the handshake was made to (its `Host` header, port included),
  on one of ALLOWED_HOSTS, over HTTPS (plain HTTP too in debug);
- a front end hosted elsewhere, named in full in CORS_ALLOWED_ORIGINS (`https://app.example.com`).

So `http://127.0.0.1:9999` does not pass for a site served at `127.0.0.1:8000`, nor `http://` for
an `https://` one. Settings are read at each handshake, not frozen at import.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import validate_host

if TYPE_CHECKING:
    from asgiref.typing import ASGIReceiveCallable, ASGISendCallable
    from channels.consumer import _ChannelScope

logger = logging.getLogger("rooms.security")


def _header(scope: _ChannelScope, name: bytes) -> str | None:
    for header, value in scope.get("headers", []):
        if header == name:
            return value.decode("latin-1")
    return None


def origin_allowed(origin: str | None, host: str | None) -> bool:
    if not origin:
        return False
    parts = urlsplit(origin.strip().lower())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
        return False
    if f"{parts.scheme}://{parts.netloc}" in {o.strip().lower().rstrip("/") for o in settings.CORS_ALLOWED_ORIGINS}:
        return True
    schemes = ("https", "http") if settings.DEBUG else ("https",)
    return (
        host is not None
        and parts.netloc == host.strip().lower()
        and parts.scheme in schemes
        and validate_host(parts.hostname, settings.ALLOWED_HOSTS)
    )


class SiteOriginValidator:
    def __init__(
        self, application: Callable[[_ChannelScope, ASGIReceiveCallable, ASGISendCallable], Awaitable[object]]
    ) -> None:
        self.application = application

    async def __call__(self, scope: _ChannelScope, receive: ASGIReceiveCallable, send: ASGISendCallable) -> object:
        origin = _header(scope, b"origin")
        if origin_allowed(origin, _header(scope, b"host")):
            return await self.application(scope, receive, send)
        logger.warning("refused WebSocket handshake from origin %s", origin or "(no Origin header)")
        await WebsocketDenier()(scope, receive, send)
        return None
