"""Rooms full of long messages, and clients far behind, against Daphne as deploy/daphne/run.sh
starts it (the 64 KiB inbound frame limit included): every room opens at once and every client
catches up, never a 1011. The consumer tests run without Daphne's limit, which is how a hello
over 64 KiB once made a room unjoinable without any test noticing."""

import asyncio
import json

import pytest
import requests
import websockets

from tests.support.live import LiveSite, cookie_header, guest_session
from tests.support.room_client import RoomClient

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

WIDE = "😀" * 4000  # the longest message there is, in four-byte characters: 16 KB of UTF-8


@pytest.fixture
def site(tmp_path, redis_url):
    live = LiveSite(tmp_path, processes=1, redis_url=redis_url, run_script=True)
    live.start()
    yield live
    live.stop()


def seed(site, *, count: int, body: str, edits: int = 0, prefix: str = "seed") -> None:
    """`count` messages in general (`body`, its end replaced by " <n>" within the 4,000
    characters), then the first `edits` of them edited (" edited" instead of their end)."""
    site.shell(
        "from rooms.models import Room\n"
        "from rooms.services import guest_user_create, message_create, message_edit\n"
        "room = Room.objects.get(slug='general')\n"
        f"user = guest_user_create(display_name={prefix!r})\n"
        "def ending(text, end):\n"
        "    return text[: 4000 - len(end)] + end\n"
        f"sent = [message_create(room=room, author=user, body=ending({body!r}, f' {{i}}'), client_id=f'{prefix}-{{i}}')"
        f".message for i in range({count})]\n"
        f"for message in sent[:{edits}]:\n"
        "    message_edit(message=message, actor=user, body=ending(message.body, ' edited'))\n"
    )


def stored_room(site, session) -> dict[int, dict]:
    """Every message of general as the server holds it, by id (paged through REST)."""
    messages, before = {}, None
    while True:
        query = {"limit": 200, **({"before": before} if before else {})}
        page = session.get(site.url() + "/api/rooms/general/messages/", params=query, timeout=10).json()
        messages.update({m["id"]: m for m in page["messages"]})
        if not page["has_more"]:
            return messages
        before = min(m["id"] for m in page["messages"])


async def test_a_room_of_fifty_messages_of_4000_four_byte_characters_opens_for_a_new_client(site):
    seed(site, count=50, body=WIDE)
    session = guest_session(site.url(), "Newcomer")
    socket = await websockets.connect(
        site.ws_url(0, "/ws/rooms/general/"),
        additional_headers={"Cookie": cookie_header(session), "Origin": site.url()},
        max_size=None,
    )
    raw = await asyncio.wait_for(socket.recv(), 10)  # 1011 here, before the fix
    hello = json.loads(raw)
    assert hello["type"] == "hello" and hello["event"] == 50
    assert 64 * 1024 < len(raw.encode()) < 300 * 1024  # over Daphne's inbound limit, under SYNC_MAX_BYTES
    assert hello["has_more"] is True and hello["messages"][-1]["body"].endswith("😀 49")

    # The socket stays open and works: a send of the longest message comes back live.
    await socket.send(json.dumps({"type": "send", "body": WIDE, "client_id": "wide-1"}))
    async with asyncio.timeout(10):
        while (frame := json.loads(await socket.recv()))["type"] != "message.new":
            pass
    assert frame["message"]["body"] == WIDE and frame["event"] == 51
    await socket.close()


@pytest.mark.parametrize(("missed", "edits", "resync"), [(300, 100, False), (500, 200, True)])
async def test_a_client_hundreds_of_changes_behind_catches_up_to_what_is_stored(site, missed, edits, resync):
    """`missed` new messages and `edits` edits of messages the client held, while it was away."""
    seed(site, count=edits, body="held", prefix="held")
    session = guest_session(site.url(), "Away")
    client = RoomClient(site.url(), session)
    await client.connect()
    await client.send_acked("before leaving")
    await client.close()

    seed(site, count=missed, body="missed")
    site.shell(
        "from rooms.models import Message\n"
        "from rooms.services import message_edit\n"
        "for message in Message.objects.select_related('room', 'author').filter(client_id__startswith='held-'):\n"
        "    message_edit(message=message, actor=message.author, body=message.body + ' edited')\n"
    )
    hello = await client.connect()  # ?since=<its head>
    # Within CATCHUP_LIMIT (500) changed messages, one hello holds them all; past it, a resync.
    assert hello["resync"] is resync
    await client.ping()
    await client.pump(1)
    assert client.socket.close_code is None, f"closed with {client.socket.close_code}"
    assert client.messages == stored_room(site, session)
    assert client.head == hello["event"] == edits + 1 + missed + edits
    assert sum(m["body"].endswith(" edited") for m in client.messages.values()) == edits
    await client.close()


def test_the_catch_up_endpoint_answers_a_room_of_long_messages_within_the_bound(site):
    seed(site, count=40, body=WIDE)
    session = guest_session(site.url(), "Poller")
    answer = session.get(site.url() + "/api/rooms/general/changes/", params={"since": 0}, timeout=10)
    body = answer.json()
    # 40 × 16 KB is past SYNC_MAX_BYTES (256 KiB): a resync to the window that fits.
    assert body["resync"] is True and body["event"] == 40
    assert len(answer.content) < 300 * 1024 and 10 <= len(body["messages"]) < 40
    assert requests.get(site.url() + "/health/", timeout=5).status_code == 200
