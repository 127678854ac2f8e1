"""ASGI entry point: HTTP through Django, WebSockets through Channels."""

import gc
import os

from django.core.asgi import get_asgi_application

# Production settings unless told otherwise (`make run` says chatsite.settings_dev): started
# bare, Daphne refuses to serve without DJANGO_SECRET_KEY rather than serve in debug.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatsite.settings")
# Set up Django (apps, models) before anything imports a model: the consumers below do.
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.sessions import CookieMiddleware, SessionMiddleware  # noqa: E402

from rooms.metrics_endpoint import MetricsRoute  # noqa: E402
from rooms.origins import SiteOriginValidator  # noqa: E402
from rooms.routing import websocket_urlpatterns  # noqa: E402
from rooms.socket_auth import SessionUserMiddleware, SocketAuthMiddleware  # noqa: E402

application = ProtocolTypeRouter(
    {
        # /metrics/ for Prometheus before Django, which would refuse a scrape's Host and scheme.
        "http": MetricsRoute(django_asgi_app),
        # Origin first: a foreign page is refused before any cookie or ticket is looked at.
        # Cookie + Session + SessionUser is Channels' AuthMiddlewareStack (rooms/socket_auth.py).
        "websocket": SiteOriginValidator(
            CookieMiddleware(
                SessionMiddleware(SessionUserMiddleware(SocketAuthMiddleware(URLRouter(websocket_urlpatterns))))
            )
        ),
    }
)

# What is loaded by now (Django, the apps, Channels, every module the server runs) lives as
# long as the process. Frozen, Python's full collections stop scanning it, and every socket of
# the process waits half as long for each (84 against 164 ms under S3's load with 500 sockets;
# docs/benchmarks.md, "The tail: garbage collection").
gc.collect()
gc.freeze()
