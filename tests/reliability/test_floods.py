"""Floods against a real server on Redis: hundreds of sockets dropping at once, one user
opening too many, one user sending too fast. Each leaves no stale state, raises nothing, and
the rest of the room does not notice."""

import asyncio
import contextlib
import json
import time

import pytest
import redis
import websockets

from rooms import realtime
from tests.support.live import LiveSite, cookie_header, guest_session
from tests.support.room_client import RoomClient

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

SOCKETS = 500
SOCKETS_PER_USER = 20


# A small budget, so that the rooms below are "big rooms" for it: the stretched interval is what
# keeps a storm's presence frames linear in the room's size.
STORM_FRAME_RATE = 50


@pytest.fixture
def site(tmp_path, redis_url):
    env = {
        "MAX_CONNECTIONS_PER_USER": str(SOCKETS_PER_USER),
        "PRESENCE_GRACE": "1",
        "PRESENCE_FRAME_RATE": str(STORM_FRAME_RATE),
    }
    live = LiveSite(tmp_path, redis_url=redis_url, env=env).start()
    yield live
    live.stop()


def online_count(site, session, slug="general") -> int:
    rooms = session.get(site.url() + "/api/rooms/", timeout=10).json()["rooms"]
    return next(room["online_count"] for room in rooms if room["slug"] == slug)


def server_errors(site) -> list[str]:
    log = site.logs[0].read_text(errors="replace")
    return [line for line in log.splitlines() if "Traceback" in line or " ERROR " in line or "MaxConnections" in line]


async def open_socket(site, session, slug="general"):
    socket = await websockets.connect(
        site.ws_url(0, f"/ws/rooms/{slug}/"),
        additional_headers={"Cookie": cookie_header(session), "Origin": site.url()},
        open_timeout=30,
    )
    assert json.loads(await asyncio.wait_for(socket.recv(), 30))["type"] == "hello"
    return socket


async def test_500_sockets_dropping_at_once_leave_no_stale_presence_or_groups(site):
    sessions = [guest_session(site.url(), f"Crowd {i}") for i in range(SOCKETS // SOCKETS_PER_USER)]
    sockets = []
    for batch in range(0, SOCKETS, 50):  # batches keep the handshake queue short on 2 cores
        sockets += await asyncio.gather(
            *(open_socket(site, sessions[i // SOCKETS_PER_USER]) for i in range(batch, batch + 50))
        )
    assert online_count(site, sessions[0]) == len(sessions)
    client = redis.Redis.from_url(site.redis_url)
    # The room's group, and the one close events come through (rooms/fanout.py): one
    # subscription each for the process, however many sockets it serves.
    group_channels = [f"{site.env['REDIS_PREFIX']}asgi__group__{g}" for g in ("room.1", realtime.SOCKETS_GROUP)]
    assert [count for _, count in client.pubsub_numsub(*group_channels)] == [1, 1]

    # A proxy restart: every TCP connection dies at once, without a close handshake.
    for socket in sockets:
        socket.transport.abort()

    deadline = time.monotonic() + 30
    while online_count(site, sessions[0]) != 0:
        assert time.monotonic() < deadline, "presence kept users of closed sockets"
        await asyncio.sleep(0.5)
    while any(count for _, count in client.pubsub_numsub(*group_channels)):
        assert time.monotonic() < deadline, "a group kept subscribers"
        await asyncio.sleep(0.5)
    assert server_errors(site) == []


async def join_storm(site, slug: str, people: int) -> tuple[int, list[int]]:
    """`people` distinct users open a socket each into `slug`, 50 at a time; every socket counts
    the presence frames it hears until the room has been quiet for a while. Returns the
    total, and the online count each socket ends with (by the newest frame it heard)."""
    sessions = [guest_session(site.url(), f"{slug} {i}") for i in range(people)]
    heard = [0] * people
    counts = [(-1, 0)] * people  # (version, count)

    async def listen(index, socket):
        with contextlib.suppress(websockets.ConnectionClosed):
            async for text in socket:
                frame = json.loads(text)
                if frame["type"] == "presence":
                    heard[index] += 1
                    counts[index] = max(counts[index], (frame["version"], frame["online_count"]))

    sockets, readers = [], []
    for batch in range(0, people, 50):
        opened = await asyncio.gather(
            *(open_socket(site, sessions[i], slug) for i in range(batch, min(people, batch + 50)))
        )
        for socket in opened:
            readers.append(asyncio.ensure_future(listen(len(sockets), socket)))
            sockets.append(socket)
    # Quiet for longer than the room's stretched interval: no flush is still to come.
    quiet_for = people / STORM_FRAME_RATE + 2
    quiet_since, last_total = time.monotonic(), -1
    while time.monotonic() - quiet_since < quiet_for:
        await asyncio.sleep(0.25)
        if sum(heard) != last_total:
            quiet_since, last_total = time.monotonic(), sum(heard)
    for socket in sockets:
        await socket.close()
    for reader in readers:
        reader.cancel()
    return sum(heard), [count for _, count in counts]


async def test_a_join_storm_costs_presence_frames_linear_in_the_rooms_size(site):
    # One frame per join to everyone present would be n(n+1)/2: 820 and 12,880 frames here.
    for slug, people in (("tech", 40), ("hobbies", 160)):
        frames, final_counts = await join_storm(site, slug, people)
        assert frames <= 5 * people, f"{people} joins cost {frames} presence frames"
        assert set(final_counts) == {people}, "a socket ended with a wrong online count"
    assert server_errors(site) == []


async def test_one_user_opening_too_many_sockets_is_capped_and_others_are_unaffected(site):
    flooder = guest_session(site.url(), "Flooder")
    other = guest_session(site.url(), "Other")
    sockets = [await open_socket(site, flooder) for _ in range(SOCKETS_PER_USER)]
    refused = await websockets.connect(
        site.ws_url(0, "/ws/rooms/general/"),
        additional_headers={"Cookie": cookie_header(flooder), "Origin": site.url()},
    )
    with pytest.raises(websockets.ConnectionClosed) as closed:
        while True:
            await asyncio.wait_for(refused.recv(), 10)
    assert closed.value.rcvd.code == 4429

    bystander = RoomClient(site.url(), other)
    await bystander.connect()
    assert (await bystander.send_acked("still fine"))["body"] == "still fine"
    for socket in sockets:
        await socket.close()
    await bystander.close()


async def test_a_message_flood_is_limited_across_tabs_and_http_and_the_room_keeps_up(site):
    flooder_session = guest_session(site.url(), "Flooder")
    tabs = [RoomClient(site.url(), flooder_session) for _ in range(2)]
    for tab in tabs:
        await tab.connect()
    bystander = RoomClient(site.url(), guest_session(site.url(), "Bystander"))
    await bystander.connect()

    started = time.monotonic()
    http_statuses = []
    for i in range(15):
        for tab in tabs:
            await tab.send(f"flood {i}")
        response = await asyncio.to_thread(
            flooder_session.post,
            site.url() + "/api/rooms/general/messages/",
            json={"body": f"http flood {i}", "client_id": f"http-{i}"},
            timeout=10,
        )
        http_statuses.append(response.status_code)
        if response.status_code == 429:
            assert response.json()["error"]["retry_after"] >= 1
    # The bystander's own messages go through, promptly, in the middle of it.
    latencies = []
    for i in range(3):
        sent_at = time.monotonic()
        await bystander.send_acked(f"calm {i}")
        latencies.append(time.monotonic() - sent_at)
    await asyncio.gather(*(tab.pump(1) for tab in tabs))
    elapsed = time.monotonic() - started

    accepted = sum(len(tab.acks) for tab in tabs) + http_statuses.count(201)
    # Default limit: 10 per 10 s with a burst of 5, shared by both tabs and HTTP.
    assert accepted <= 5 + elapsed * 1.0 + 1, (accepted, elapsed)
    refusals = [e for tab in tabs for e in tab.errors if e["code"] == "rate_limited"]
    assert refusals and all(e["retry_after"] >= 1 for e in refusals)
    assert 429 in http_statuses
    assert max(latencies) < 2.0, latencies
    for tab in tabs + [bystander]:
        await tab.close()
