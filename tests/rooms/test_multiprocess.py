"""Two real Daphne processes sharing Redis and one database: messages and presence cross
process boundaries. Presence means connected, whatever the transport: HTTP-fallback clients
are online, silent sockets are closed, a reconnect within the grace is not announced, a killed
process's users drop out by expiry, and a replaced session's sockets close on every process."""

import asyncio
import contextlib
import json
import time
import uuid

import pytest
import requests
import websockets

from rooms.presence_feed import EXPIRY_MARGIN
from tests.support.live import LiveSite, cookie_header, guest_session
from tests.support.wsclient import frame_of_type, message_where

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

PRESENCE_TTL = 3
GRACE = 2
HTTP_TTL = 3


@pytest.fixture
def site(tmp_path, redis_url):
    env = {
        "PRESENCE_TTL": str(PRESENCE_TTL),
        "PRESENCE_GRACE": str(GRACE),
        "HTTP_PRESENCE_TTL": str(HTTP_TTL),
        "MAX_CONNECTIONS_PER_USER": "3",
    }
    live = LiveSite(tmp_path, processes=2, redis_url=redis_url, env=env)
    live.start()
    yield live
    live.stop()


async def open_room(site, index, session, slug="general"):
    socket = await websockets.connect(
        site.ws_url(index, f"/ws/rooms/{slug}/"),
        additional_headers={"Cookie": cookie_header(session), "Origin": site.url(index)},
    )
    frame = json.loads(await asyncio.wait_for(socket.recv(), 5))
    assert frame["type"] == "hello", frame
    return socket


class Watcher:
    """A socket that keeps pinging (so it stays) and records what it hears."""

    def __init__(self, socket):
        self.socket = socket
        self.frames: list[dict] = []
        self.closed_code = None
        self.tasks = [asyncio.ensure_future(self._read()), asyncio.ensure_future(self._ping())]

    async def _read(self):
        try:
            async for text in self.socket:
                self.frames.append(json.loads(text))
        except websockets.ConnectionClosed:
            pass
        self.closed_code = self.socket.close_code

    async def _ping(self):
        with contextlib.suppress(websockets.ConnectionClosed):
            while True:
                await self.socket.send(json.dumps({"type": "ping"}))
                await asyncio.sleep(0.5)

    def presence(self) -> list[tuple[str, str]]:
        """(joined|left, display name) in the order heard."""
        return [
            (kind, user["display_name"])
            for frame in self.frames
            if frame["type"] == "presence"
            for kind in ("joined", "left")
            for user in frame[kind]
        ]

    def typists(self) -> list[str]:
        return [f["user"]["display_name"] for f in self.frames if f["type"] == "typing"]

    async def wait_for(self, condition, timeout: float, what: str):
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, f"{what}; heard {self.presence()}"
            await asyncio.sleep(0.1)

    async def stop(self):
        for task in self.tasks:
            task.cancel()
        await self.socket.close()


async def closed_code(socket, timeout=10) -> int:
    with pytest.raises(websockets.ConnectionClosed) as closed:
        async with asyncio.timeout(timeout):
            while True:
                await socket.recv()
    return closed.value.rcvd.code


def online_count(site, index, session, slug="general"):
    rooms = session.get(site.url(index) + "/api/rooms/", timeout=5).json()["rooms"]
    return next(room["online_count"] for room in rooms if room["slug"] == slug)


def poll(site, index, session, connection, slug="general"):
    response = session.get(site.url(index) + f"/api/rooms/{slug}/changes/?connection={connection}", timeout=5)
    assert response.status_code == 200, response.text
    return response.json()


async def test_messages_and_presence_cross_processes_and_a_killed_process_expires(site):
    mina = guest_session(site.url(0), "Mina")
    jun = guest_session(site.url(0), "Jun")
    watcher = Watcher(await open_room(site, 0, mina))
    on_second = await open_room(site, 1, jun)
    await watcher.wait_for(lambda: ("joined", "Jun") in watcher.presence(), 5, "Jun's join never came")

    await watcher.socket.send(json.dumps({"type": "send", "body": "from process 0", "client_id": "p0"}))
    assert (await message_where(on_second, lambda m: m["body"] == "from process 0"))["author"]["display_name"] == "Mina"
    await on_second.send(json.dumps({"type": "send", "body": "from process 1", "client_id": "p1"}))
    await watcher.wait_for(
        lambda: any(f["type"] == "message.new" and f["message"]["body"] == "from process 1" for f in watcher.frames),
        5,
        "Jun's message never crossed",
    )
    assert online_count(site, 0, mina) == online_count(site, 1, jun) == 2

    site.kill(1)  # no disconnect() runs for Jun's socket: his entry expires
    await watcher.wait_for(
        lambda: ("left", "Jun") in watcher.presence(), PRESENCE_TTL + EXPIRY_MARGIN + 6, "Jun never left"
    )
    assert watcher.presence().count(("left", "Jun")) == 1
    assert online_count(site, 0, mina) == 1
    await watcher.stop()


async def test_an_http_mode_user_is_online_hears_and_is_heard_typing_and_leaves_when_polls_stop(site):
    mina = guest_session(site.url(0), "Mina")
    jun = guest_session(site.url(1), "Jun")  # WebSocket blocked: polls process 1
    watcher = Watcher(await open_room(site, 0, mina))
    connection = uuid.uuid4().hex

    answer = poll(site, 1, jun, connection)
    assert {u["display_name"] for u in answer["presence"]["online"]} == {"Mina", "Jun"}
    assert answer["presence"]["online_count"] == 2
    await watcher.wait_for(lambda: ("joined", "Jun") in watcher.presence(), 5, "the HTTP user's join never came")
    assert online_count(site, 0, mina) == 2

    # Typing both ways.
    assert jun.post(site.url(1) + "/api/rooms/general/typing/", timeout=5).status_code == 204
    await watcher.wait_for(lambda: "Jun" in watcher.typists(), 5, "the HTTP user's typing never came")
    await watcher.socket.send(json.dumps({"type": "typing"}))
    await asyncio.sleep(0.3)
    assert [u["display_name"] for u in poll(site, 1, jun, connection)["typing"]] == ["Mina"]

    # Polls keep him present past the HTTP TTL; when they stop he leaves, once.
    for _ in range(4):
        await asyncio.sleep(1)
        poll(site, 1, jun, connection)
    assert ("left", "Jun") not in watcher.presence()
    await watcher.wait_for(lambda: ("left", "Jun") in watcher.presence(), HTTP_TTL + 5, "the HTTP user never left")
    heard = watcher.presence()
    # Mina's own join (coalesced) and Jun's (at once, from a poll) may come either way round.
    assert sorted(heard[:2]) == [("joined", "Jun"), ("joined", "Mina")] and heard[2:] == [("left", "Jun")]
    await watcher.stop()


async def test_a_socket_that_stops_pinging_is_closed_and_the_cap_counts_open_sockets(site):
    mina = guest_session(site.url(0), "Mina")
    jun = guest_session(site.url(0), "Jun")
    watcher = Watcher(await open_room(site, 0, mina))

    silent = await open_room(site, 1, jun)  # never sends a ping
    started = time.monotonic()
    assert await closed_code(silent, timeout=PRESENCE_TTL + 3) == 4408
    assert time.monotonic() - started >= PRESENCE_TTL - 0.5
    await watcher.wait_for(lambda: ("left", "Jun") in watcher.presence(), GRACE + 4, "the silent socket never left")

    # Three sockets that keep pinging hold Jun's cap (3) for as long as they are open.
    keepers = [Watcher(await open_room(site, index % 2, jun)) for index in range(3)]
    await asyncio.sleep(PRESENCE_TTL + EXPIRY_MARGIN + 1)
    assert all(k.closed_code is None for k in keepers)
    refused = await open_room_or_code(site, 1, jun)
    assert refused == 4429
    for keeper in keepers:
        await keeper.stop()
    await watcher.stop()


async def open_room_or_code(site, index, session):
    socket = await websockets.connect(
        site.ws_url(index, "/ws/rooms/general/"),
        additional_headers={"Cookie": cookie_header(session), "Origin": site.url(index)},
    )
    return await closed_code(socket)


async def test_a_reconnect_within_the_grace_is_silent_and_after_it_is_a_leave_and_a_join(site):
    mina = guest_session(site.url(0), "Mina")
    jun = guest_session(site.url(0), "Jun")
    watcher = Watcher(await open_room(site, 0, mina))
    first = await open_room(site, 0, jun)
    await watcher.wait_for(lambda: ("joined", "Jun") in watcher.presence(), 5, "Jun's join never came")

    await first.close()
    await asyncio.sleep(GRACE / 4)
    back = await open_room(site, 1, jun)  # on the other process
    await asyncio.sleep(GRACE + 2.5)
    assert watcher.presence() == [("joined", "Mina"), ("joined", "Jun")]

    await back.close()
    await watcher.wait_for(lambda: ("left", "Jun") in watcher.presence(), GRACE + 4, "Jun never left")
    again = await open_room(site, 1, jun)
    await watcher.wait_for(lambda: watcher.presence()[-1] == ("joined", "Jun"), 5, "Jun's return never came")
    assert watcher.presence() == [("joined", "Mina"), ("joined", "Jun"), ("left", "Jun"), ("joined", "Jun")]
    await again.close()
    await watcher.stop()


async def test_a_new_sign_in_in_the_same_browser_closes_the_old_sessions_sockets_everywhere(site):
    browser = guest_session(site.url(0), "Mina")
    old_sockets = [await open_room(site, index, browser) for index in (0, 1)]
    # The same browser signs in again, as another guest: its session is replaced.
    token = browser.get(site.url(0) + "/api/auth/csrf/", timeout=5).json()["csrf_token"]
    response = browser.post(
        site.url(0) + "/api/auth/guest/", json={"display_name": "Someone else"}, headers={"X-CSRFToken": token}
    )
    assert response.status_code == 201
    for socket in old_sockets:
        assert await closed_code(socket) == 4401


async def test_logout_on_one_process_closes_the_sessions_socket_on_the_other(site):
    mina = guest_session(site.url(0), "Mina")
    socket = await open_room(site, 1, mina)
    response = mina.post(site.url(0) + "/api/auth/logout/", timeout=5)
    assert response.status_code == 204
    assert await closed_code(socket, timeout=5) == 4401
    assert requests.get(site.url(0) + "/api/me/", cookies=mina.cookies, timeout=5).status_code == 401


async def test_the_lobby_socket_pushes_counts_from_both_processes(site):
    mina = guest_session(site.url(0), "Mina")
    jun = guest_session(site.url(0), "Jun")
    lobby = await websockets.connect(
        site.ws_url(0, "/ws/lobby/"), additional_headers={"Cookie": cookie_header(mina), "Origin": site.url(0)}
    )
    first = json.loads(await asyncio.wait_for(lobby.recv(), 5))
    assert first["type"] == "lobby" and {r["slug"] for r in first["rooms"]} >= {"general"}
    counts = {r["slug"]: r["online_count"] for r in first["rooms"]}
    assert counts["general"] == 0

    jun_socket = await open_room(site, 1, jun)
    started = time.monotonic()
    update = await frame_of_type(lobby, "rooms.updated", timeout=5)
    while next((r["online_count"] for r in update["rooms"] if r["slug"] == "general"), None) != 1:
        update = await frame_of_type(lobby, "rooms.updated", timeout=5)
    assert time.monotonic() - started < 3  # pushed within about a second, not polled

    await jun_socket.send(json.dumps({"type": "send", "body": "hi", "client_id": "c1"}))
    update = await frame_of_type(lobby, "rooms.updated", timeout=5)
    while not any(r["slug"] == "general" and r["last_seq"] == 1 for r in update["rooms"]):
        update = await frame_of_type(lobby, "rooms.updated", timeout=5)
    row = next(r for r in update["rooms"] if r["slug"] == "general")
    assert row["last_message_at"] and row["online_count"] == 1
    await jun_socket.close()
    await lobby.close()


async def test_a_mention_and_its_reading_reach_the_users_sockets_on_the_other_process(site):
    mina = guest_session(site.url(0), "Mina")
    jun = guest_session(site.url(0), "Jun")
    mina_id = mina.get(site.url(0) + "/api/me/", timeout=5).json()["id"]
    # Mina has been in the room (a mention needs that), then sits in the room list on process 1.
    await (await open_room(site, 0, mina)).close()
    lobby = await websockets.connect(
        site.ws_url(1, "/ws/lobby/"), additional_headers={"Cookie": cookie_header(mina), "Origin": site.url(1)}
    )
    first = json.loads(await asyncio.wait_for(lobby.recv(), 5))
    (entered,) = [m for m in first["memberships"] if m["room"] == "general"]
    assert entered["mention_count"] == 0

    jun_socket = await open_room(site, 0, jun)
    await jun_socket.send(json.dumps({"type": "send", "body": f"<@{mina_id}> lunch?", "client_id": "j1"}))
    alert = await frame_of_type(lobby, "alert", timeout=5)
    assert alert["reason"] == "mention" and alert["message"]["author"]["display_name"] == "Jun"

    # Mina reads in a tab on process 0: the room list on process 1 hears the count clear.
    tab = await open_room(site, 0, mina)
    await tab.send(json.dumps({"type": "read", "seq": alert["message"]["seq"]}))
    update = await frame_of_type(lobby, "membership", timeout=5)
    assert update["membership"]["read_seq"] == alert["message"]["seq"]
    assert update["membership"]["mention_count"] == 0 and update["membership"]["unread_count"] == 0
    for socket in (lobby, jun_socket, tab):
        await socket.close()
