"""A client that stops reading must not cost the server unbounded memory, nor slow the room.
The production server (deploy/daphne/serve.py) closes it with 4408 once DAPHNE_SEND_BUFFER_BYTES
are waiting for it, frees what it held, and runs its disconnect."""

import asyncio
import base64
import json
import os
import socket
import time

import pytest
import websockets
from channels_redis.pubsub import RedisPubSubChannelLayer

from rooms import realtime
from tests.reliability.test_soak import rss_kib
from tests.support.live import LiveSite, cookie_header, guest_session

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

SEND_BUFFER_LIMIT = 256 * 1024
BODY = "slow " * 800  # about 4 KB a frame
FRAMES = 2500
BATCH = 25  # about 100 KB


def open_non_reading_socket(site, session) -> socket.socket:
    """A real WebSocket handshake on a socket with a tiny receive window, then never read again."""
    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.connect(("127.0.0.1", site.ports[0]))
    key = base64.b64encode(os.urandom(16)).decode()
    raw.sendall(
        (
            "GET /ws/rooms/general/ HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{site.ports[0]}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Origin: {site.url()}\r\nCookie: {cookie_header(session)}\r\n\r\n"
        ).encode()
    )
    assert raw.recv(12) == b"HTTP/1.1 101"
    return raw


def online_count(site, session) -> int:
    rooms = session.get(site.url() + "/api/rooms/", timeout=10).json()["rooms"]
    return next(room["online_count"] for room in rooms if room["slug"] == "general")


async def test_a_client_that_stops_reading_is_closed_and_costs_bounded_memory(tmp_path, redis_url):
    site = LiveSite(
        tmp_path,
        redis_url=redis_url,
        run_script=True,
        env={"DAPHNE_SEND_BUFFER_BYTES": str(SEND_BUFFER_LIMIT), "PRESENCE_GRACE": "1"},
    ).start()
    sleeper_session = guest_session(site.url(), "Sleeper")
    sleeper = open_non_reading_socket(site, sleeper_session)
    reader_session = guest_session(site.url(), "Reader")
    reader = await websockets.connect(
        site.ws_url(0, "/ws/rooms/general/"),
        additional_headers={"Cookie": cookie_header(reader_session), "Origin": site.url()},
        max_size=None,
    )
    # Straight into the room's group, as the server's own publishing does: the flood is then
    # limited by fan-out, not by how fast the database stores messages.
    layer = RedisPubSubChannelLayer(hosts=[redis_url], prefix=f"{site.env['REDIS_PREFIX']}asgi")
    try:
        assert online_count(site, sleeper_session) == 2
        memory_before = rss_kib(site.procs[0].pid)
        frame = realtime.frame_event({"type": "typing", "user": {"id": 0, "display_name": "x"}, "pad": BODY})
        # About 10 MB for each of them, in batches well under the limit that the reader takes in
        # before the next: the reader is never behind by more than a batch, the sleeper falls
        # further behind with each one.
        received = 0
        async with asyncio.timeout(90):
            for _batch in range(FRAMES // BATCH):
                for _frame in range(BATCH):
                    await layer.group_send(realtime.room_group(1), frame)
                target = received + BATCH
                while received < target:
                    if json.loads(await reader.recv()).get("pad"):
                        received += 1

        deadline = time.monotonic() + 20
        while online_count(site, sleeper_session) != 1:  # the sleeper's disconnect ran
            assert time.monotonic() < deadline, "the slow client was never disconnected"
            await asyncio.sleep(0.5)
        assert "closing a slow client" in site.logs[0].read_text(errors="replace")
        growth_kib = rss_kib(site.procs[0].pid) - memory_before
        assert growth_kib < 48 * 1024, f"server grew {growth_kib} KiB for a client that does not read"
    finally:
        sleeper.close()
        await reader.close()
        await layer.flush()
        site.stop()


async def test_a_reader_that_falls_behind_and_catches_up_gets_every_frame_intact_and_in_order(tmp_path, redis_url):
    """serve.py writes straight to the socket while nothing is buffered and hands the rest to
    Twisted: with a reader that pauses, frames go out partly written, partly buffered, and must
    still arrive whole and in the order they were sent."""
    # The send-buffer limit out of the way: this test is about what gets buffered, not the cap.
    site = LiveSite(
        tmp_path, redis_url=redis_url, run_script=True, env={"DAPHNE_SEND_BUFFER_BYTES": str(64 * 2**20)}
    ).start()
    session = guest_session(site.url(), "Pauser")
    # A small receive window, so that a pause fills the kernel's buffers within a few frames.
    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.connect(("127.0.0.1", site.ports[0]))
    reader = await websockets.connect(
        site.ws_url(0, "/ws/rooms/general/"),
        sock=raw,
        additional_headers={"Cookie": cookie_header(session), "Origin": site.url()},
        max_size=None,
        max_queue=4,
    )
    layer = RedisPubSubChannelLayer(hosts=[redis_url], prefix=f"{site.env['REDIS_PREFIX']}asgi")
    sent = 3000  # about 12 MB: past the kernel's send buffer (4 MiB at most), so Twisted buffers
    try:
        assert json.loads(await reader.recv())["type"] == "hello"
        async with asyncio.timeout(60):
            for half in range(2):
                # Not reading while half of them are published: the kernel buffers fill up.
                for n in range(half * sent // 2, (half + 1) * sent // 2):
                    frame = {"type": "typing", "user": {"id": 0, "display_name": "x"}, "n": n, "pad": BODY}
                    await layer.group_send(realtime.room_group(1), realtime.frame_event(frame))
                await asyncio.sleep(1)
            numbers = []
            while len(numbers) < sent:
                frame = json.loads(await reader.recv())
                if "n" in frame:
                    assert frame["pad"] == BODY
                    numbers.append(frame["n"])
        assert numbers == list(range(sent))
    finally:
        await reader.close()
        await layer.flush()
        site.stop()
