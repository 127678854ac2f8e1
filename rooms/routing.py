from __future__ import annotations

from typing import TYPE_CHECKING

from django.urls import path

from rooms.consumers import LobbyConsumer, RoomConsumer

if TYPE_CHECKING:
    from channels.routing import URLRouter, _ExtendedURLPattern

# Django's path() routes ASGI applications as well as views, but django-stubs types `view` as a
# Django view only; channels' stubs then want the patterns as their own kind of URLPattern.
websocket_urlpatterns: list[_ExtendedURLPattern | URLRouter] = [
    path("ws/rooms/<slug:slug>/", RoomConsumer.as_asgi()),  # type: ignore[arg-type, list-item]
    path("ws/lobby/", LobbyConsumer.as_asgi()),  # type: ignore[arg-type, list-item]
]
