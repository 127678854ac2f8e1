"""Two real Daphne processes sharing Redis and one database: messages and presence cross
process boundaries, and a process killed without cleanup drops out of presence by expiry."""

import asyncio
import json
import time

import pytest
import requests
import websockets

from tests.support.live import LiveSite, cookie_header, guest_session
from tests.support.wsclient import frame_of_type, message_where

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

PRESENCE_TTL = 3


@pytest.fixture
def site(tmp_path, redis_url):
    live = LiveSite(tmp_path, processes=2, redis_url=redis_url, env={"PRESENCE_TTL": str(PRESENCE_TTL)})
    live.start()
    yield live
    live.stop()


async def open_room(site, index, session, slug="general"):
    socket = await websockets.connect(
        site.ws_url(index, f"/ws/rooms/{slug}/"),
        additional_headers={"Cookie": cookie_header(session), "Origin": site.url(index)},
    )
    frame = json.loads(await asyncio.wait_for(socket.recv(), 5))
    assert frame["type"] == "hello"
    return socket


async def frames_before_pong(socket, frame_type, timeout=10):
    frames = []
    async with asyncio.timeout(timeout):
        while (frame := json.loads(await socket.recv()))["type"] != "pong":
            if frame["type"] == frame_type:
                frames.append(frame)
    return frames


def online_count(site, index, session, slug="general"):
    rooms = session.get(site.url(index) + "/api/rooms/", timeout=5).json()["rooms"]
    return next(room["online_count"] for room in rooms if room["slug"] == slug)


async def test_messages_and_presence_cross_processes_and_a_killed_process_expires(site):
    mina = guest_session(site.url(0), "Mina")
    jun = guest_session(site.url(0), "Jun")
    on_first = await open_room(site, 0, mina)
    on_second = await open_room(site, 1, jun)

    await on_first.send(json.dumps({"type": "send", "body": "from process 0", "client_id": "p0"}))
    assert (await message_where(on_second, lambda m: m["body"] == "from process 0"))["author"]["display_name"] == "Mina"
    await on_second.send(json.dumps({"type": "send", "body": "from process 1", "client_id": "p1"}))
    assert (await message_where(on_first, lambda m: m["body"] == "from process 1"))["author"]["display_name"] == "Jun"

    assert online_count(site, 0, mina) == online_count(site, 1, jun) == 2

    site.kill(1)  # no disconnect() runs for Jun's socket
    deadline = time.monotonic() + PRESENCE_TTL + 5
    presence = []
    while online_count(site, 0, mina) != 1:
        assert time.monotonic() < deadline, "Jun never dropped out of the online count"
        # Mina's heartbeat keeps her present, and is what notices that Jun's entries expired.
        await on_first.send(json.dumps({"type": "ping"}))
        presence += await frames_before_pong(on_first, "presence")
        await asyncio.sleep(0.5)
    await on_first.send(json.dumps({"type": "ping"}))
    if not presence:
        presence.append(await frame_of_type(on_first, "presence"))
    # The vanished user is announced like any other leave.
    assert [(f["event"], f["user"]["display_name"], f["online_count"]) for f in presence] == [("leave", "Jun", 1)]
    await on_first.close()


async def test_logout_on_one_process_closes_the_sessions_socket_on_the_other(site):
    mina = guest_session(site.url(0), "Mina")
    socket = await open_room(site, 1, mina)
    response = mina.post(site.url(0) + "/api/auth/logout/", timeout=5)
    assert response.status_code == 204
    with pytest.raises(websockets.ConnectionClosed) as closed:
        async with asyncio.timeout(5):
            while True:
                await socket.recv()
    assert closed.value.rcvd.code == 4401
    assert requests.get(site.url(0) + "/api/me/", cookies=mina.cookies, timeout=5).status_code == 401
