"""Presence through the room socket (rooms/presence_feed.py), against the in-process store and
against Redis: coalesced frames, the reconnect grace, sockets closed when they stop pinging,
and the per-user cap that holds for as long as sockets stay open."""

import asyncio
import math
import time

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from rest_framework.test import APIClient

from chatsite.asgi import application
from rooms.sessions import SessionStore
from tests.conftest import session_cookie_for
from tests.support.frames import closed_with, frame_of_type, frames_before_pong, hello, next_frame, send

pytestmark = pytest.mark.django_db(transaction=True)

INTERVAL = 0.05


@pytest.fixture(autouse=True)
def quick_presence(settings):
    settings.ROOMS = {**settings.ROOMS, "PRESENCE_INTERVAL": INTERVAL, "PRESENCE_GRACE": 0.4}


async def joined(connect, user, slug="lobby"):
    socket, connected, _ = await connect(user, slug)
    assert connected
    return socket, await hello(socket)


async def presence_frames(socket, settle=INTERVAL * 6) -> list[dict]:
    """Every presence frame that arrives within `settle` seconds of quiet."""
    await asyncio.sleep(settle)
    return [f for f in await frames_before_pong(socket) if f["type"] == "presence"]


def changes(frames) -> list[tuple[str, int]]:
    return [(kind, user["id"]) for f in frames for kind in ("joined", "left") for user in f[kind]]


async def test_joins_within_an_interval_reach_the_room_as_one_frame(connect, make_user, room, state_backend, settings):
    # Long enough an interval for the joins to fall into few of them on a busy machine too.
    interval = 0.5
    settings.ROOMS = {**settings.ROOMS, "PRESENCE_INTERVAL": interval}
    watcher, first_hello = await joined(connect, await database_sync_to_async(make_user)("Watcher"))
    await presence_frames(watcher, settle=interval * 3)  # its own join
    people = [await database_sync_to_async(make_user)(f"P{i}") for i in range(4)]
    started = time.monotonic()
    for person in people:
        await connect(person, "lobby")
    opening = time.monotonic() - started
    frames = await presence_frames(watcher, settle=interval * 3)
    # One frame per interval the joins spanned (at most one more for where they started in it).
    assert len(frames) <= min(len(people) - 1, math.ceil(opening / interval) + 1), (len(frames), opening)
    assert sorted(changes(frames)) == sorted(("joined", p.pk) for p in people)
    assert frames[-1]["online_count"] == 5
    versions = [u["version"] for f in frames for u in f["joined"]]
    assert min(versions) > first_hello["presence_version"]


async def test_a_second_tab_announces_nothing_and_the_last_tab_leaves_after_the_grace(
    connect, user, other_user, room, state_backend
):
    watcher, _ = await joined(connect, other_user)
    await presence_frames(watcher)  # its own join
    tab1, _ = await joined(connect, user)
    (join,) = await presence_frames(watcher)
    assert changes([join]) == [("joined", user.pk)] and join["online_count"] == 2

    tab2, second_hello = await joined(connect, user)
    assert second_hello["online_count"] == 2
    await tab1.disconnect()
    assert await presence_frames(watcher) == []

    await tab2.disconnect()
    assert await presence_frames(watcher, settle=0.2) == []  # within the grace: still here
    leave = await frame_of_type(watcher, "presence", timeout=3)
    assert changes([leave]) == [("left", user.pk)] and leave["online_count"] == 1
    assert (
        leave["left"][0]["version"] > join["joined"][0]["version"] and leave["version"] >= leave["left"][0]["version"]
    )


async def test_a_reconnect_within_the_grace_is_not_announced_at_all(connect, user, other_user, room, state_backend):
    watcher, _ = await joined(connect, other_user)
    socket, _ = await joined(connect, user)
    await presence_frames(watcher)
    await socket.disconnect()
    await asyncio.sleep(0.1)
    _, back = await joined(connect, user)
    assert back["online_count"] == 2
    assert await presence_frames(watcher, settle=0.8) == []  # past the grace too


async def test_the_hello_lists_a_bounded_number_of_users_and_the_exact_count(
    connect, make_user, room, settings, state_backend
):
    settings.ROOMS = {**settings.ROOMS, "ONLINE_LIST_MAX": 2}
    for index in range(4):
        await joined(connect, await database_sync_to_async(make_user)(f"P{index}"))
    _, last = await joined(connect, await database_sync_to_async(make_user)("Last"))
    assert len(last["online"]) == 2 and last["online_count"] == 5


async def test_a_socket_that_stops_pinging_is_closed_and_leaves(
    connect, user, other_user, room, settings, state_backend
):
    settings.ROOMS = {**settings.ROOMS, "PRESENCE_TTL": 1}
    silent, _ = await joined(connect, user)
    watcher, _ = await joined(connect, other_user)
    await presence_frames(watcher, settle=0.1)
    for _ in range(4):  # the watcher pings: it stays, past the TTL
        await asyncio.sleep(0.4)
        await send(watcher, {"type": "ping"})
    assert await closed_with(silent, timeout=1) == 4408
    await silent.disconnect()  # the client's side of the close handshake
    frame = await frame_of_type(watcher, "presence", timeout=3)
    assert changes([frame]) == [("left", user.pk)] and frame["online_count"] == 1


async def test_the_connection_cap_holds_for_as_long_as_sockets_stay_open(connect, user, room, settings, state_backend):
    settings.ROOMS = {**settings.ROOMS, "PRESENCE_TTL": 1, "MAX_CONNECTIONS_PER_USER": 2}
    sockets = [(await joined(connect, user))[0] for _ in range(2)]
    for _ in range(4):  # past the TTL, pinging
        await asyncio.sleep(0.4)
        for socket in sockets:
            await send(socket, {"type": "ping"})
    third, connected, _ = await connect(user, "lobby")
    assert await closed_with(third) == 4429
    await sockets[0].disconnect()
    fourth, _ = await joined(connect, user)
    assert fourth is not None


async def test_silent_sockets_free_their_place_under_the_cap(connect, user, room, settings, state_backend):
    settings.ROOMS = {**settings.ROOMS, "PRESENCE_TTL": 1, "MAX_CONNECTIONS_PER_USER": 2}
    silent = [(await joined(connect, user))[0] for _ in range(2)]
    for socket in silent:
        assert await closed_with(socket, timeout=2) == 4408
        await socket.disconnect()
    await joined(connect, user)  # not refused: the closed ones no longer count


async def test_a_replaced_session_closes_its_sockets(connect, user, room, state_backend):
    socket, _ = await joined(connect, user)
    cookie = dict(socket.scope["headers"])[b"cookie"].decode()
    session_key = cookie.split("=", 1)[1]

    @database_sync_to_async
    def sign_in_again():
        # What django.contrib.auth.login does to the session of a browser that signs in again.
        SessionStore(session_key=session_key).cycle_key()

    await sign_in_again()
    assert await closed_with(socket) == 4401


async def test_typing_from_a_socket_is_kept_for_http_clients(connect, user, other_user, room, state_backend):
    from rooms.presence_feed import typing_now

    socket, _ = await joined(connect, user)
    await send(socket, {"type": "typing"})
    await send(socket, {"type": "ping"})
    while (await next_frame(socket))["type"] != "pong":
        pass
    typists = await database_sync_to_async(typing_now)(room.pk, besides=other_user.pk)
    assert [t["id"] for t in typists] == [user.pk]
    assert await database_sync_to_async(typing_now)(room.pk, besides=user.pk) == []


# --- The HTTP fallback ---------------------------------------------------------------------


def test_a_poll_with_a_connection_is_a_heartbeat_and_answers_presence_and_typing(api, user, other_user, room):
    other = APIClient()
    other.force_authenticate(other_user)
    assert other.post("/api/rooms/lobby/typing/").status_code == 204
    answer = api.get("/api/rooms/lobby/changes/?connection=tab-1").json()
    assert [u["id"] for u in answer["presence"]["online"]] == [user.pk]
    assert answer["presence"]["online_count"] == answer["room"]["online_count"] == 1
    assert [u["id"] for u in answer["typing"]] == [other_user.pk]
    # Without `connection` a poll is a read: it makes nobody present and carries no presence.
    plain = other.get("/api/rooms/lobby/changes/").json()
    assert "presence" not in plain and plain["room"]["online_count"] == 1
    second = other.get("/api/rooms/lobby/changes/?connection=tab-2").json()
    assert second["presence"]["online_count"] == 2 and second["presence"]["version"] > answer["presence"]["version"]
    assert [u["id"] for u in second["typing"]] == []  # never yourself


def test_an_http_connection_ends_and_the_cap_counts_it(api, user, room, settings):
    settings.ROOMS = {**settings.ROOMS, "MAX_CONNECTIONS_PER_USER": 1}
    assert api.get("/api/rooms/lobby/changes/?connection=a").status_code == 200
    refused = api.get("/api/rooms/lobby/changes/?connection=b")
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "too_many_connections"
    assert api.delete("/api/rooms/lobby/changes/?connection=a").status_code == 204
    assert api.get("/api/rooms/lobby/changes/?connection=b").status_code == 200


@pytest.mark.parametrize("connection", ["", "has space", "x" * 65, "semi;colon"])
def test_a_malformed_connection_id_is_a_400(api, room, connection):
    response = api.get("/api/rooms/lobby/changes/", {"connection": connection})
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_field"


async def test_http_typing_reaches_sockets_at_most_once_an_interval(connect, user, other_user, room, state_backend):
    watcher, _ = await joined(connect, other_user)
    typist = APIClient()
    typist.force_authenticate(user)
    for _ in range(5):
        response = await database_sync_to_async(typist.post)("/api/rooms/lobby/typing/")
        assert response.status_code == 204
    await asyncio.sleep(0.1)
    typing = [f for f in await frames_before_pong(watcher) if f["type"] == "typing"]
    assert [f["user"]["id"] for f in typing] == [user.pk]


def test_typing_in_an_unknown_room_is_a_404(api):
    assert api.post("/api/rooms/nowhere/typing/").status_code == 404


# --- The room list's socket ----------------------------------------------------------------


async def open_lobby(user):
    headers = [(b"host", b"localhost"), (b"origin", b"https://localhost")]
    if user is not None:
        headers.append((b"cookie", await session_cookie_for(user)))
    communicator = WebsocketCommunicator(application, "/ws/lobby/", headers=headers)
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    return communicator


async def test_the_lobby_sends_the_rooms_then_pushes_counts(connect, user, other_user, room, settings, state_backend):
    settings.ROOMS = {**settings.ROOMS, "LOBBY_INTERVAL": 0.1}
    lobby = await open_lobby(user)
    first = await next_frame(lobby)
    assert first["type"] == "lobby" and [(r["slug"], r["online_count"]) for r in first["rooms"]] == [("lobby", 0)]
    await joined(connect, other_user)
    update = await frame_of_type(lobby, "rooms.updated")
    while update["rooms"][0]["online_count"] != 1:
        update = await frame_of_type(lobby, "rooms.updated")
    await send(lobby, {"type": "ping"})
    assert await frame_of_type(lobby, "pong") == {"type": "pong"}
    await send(lobby, {"type": "send", "body": "x"})
    assert (await frame_of_type(lobby, "error"))["code"] == "unknown_type"
    await lobby.disconnect()


async def test_the_lobby_needs_a_sign_in(room):
    lobby = await open_lobby(None)
    assert await closed_with(lobby) == 4401
