"""The embedded default's channel layer (rooms/local_layer.py): what reaches a room's fan-out
in one process, however long the room stays occupied and however fast its frames come."""

import asyncio
import logging
import time

import pytest
from channels.layers import DEFAULT_CHANNEL_LAYER, channel_layers

from rooms.local_layer import ProcessLocalChannelLayer

DAY = 24 * 3600


@pytest.fixture
def layer():
    """A fresh layer of the kind settings give the embedded default (no REDIS_URL)."""
    return channel_layers.make_backend(DEFAULT_CHANNEL_LAYER)


async def subscribed(layer, group: str = "room.1") -> str:
    channel = await layer.new_channel(prefix="fanout.room.1.")
    await layer.group_add(group, channel)
    return channel


async def receive(layer, channel: str) -> dict:
    return await asyncio.wait_for(layer.receive(channel), 2)


def later(monkeypatch, seconds: float) -> None:
    """The wall clock moves on `seconds` (a layer that expires things reads time.time)."""
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + seconds)


def test_the_embedded_default_uses_the_process_local_layer(layer):
    assert isinstance(layer, ProcessLocalChannelLayer)


async def test_a_room_occupied_for_two_days_still_hears_its_frames(layer, monkeypatch):
    channel = await subscribed(layer)
    later(monkeypatch, 2 * DAY)
    await layer.group_send("room.1", {"type": "room.frame", "text": "after two days"})
    assert (await receive(layer, channel))["text"] == "after two days"


async def test_a_frame_that_waited_two_minutes_is_delivered_and_the_membership_kept(layer, monkeypatch):
    channel = await subscribed(layer)
    await layer.group_send("room.1", {"type": "room.frame", "text": "early"})
    later(monkeypatch, 120)  # the reader fell behind (a long pause of the event loop)
    await layer.group_send("room.1", {"type": "room.frame", "text": "late"})
    assert [(await receive(layer, channel))["text"] for _ in range(2)] == ["early", "late"]


async def test_a_burst_of_frames_arrives_whole_and_in_order(layer):
    channel = await subscribed(layer)
    for n in range(1000):  # sent before the reader gets a turn
        await layer.group_send("room.1", {"type": "room.frame", "n": n})
    assert [(await receive(layer, channel))["n"] for _ in range(1000)] == list(range(1000))


async def test_a_group_send_reaches_every_member_and_no_other_group(layer):
    first, second = await subscribed(layer), await subscribed(layer)
    elsewhere = await subscribed(layer, "room.2")
    await layer.group_send("room.1", {"type": "room.frame", "text": "hi"})
    assert (await receive(layer, first))["text"] == (await receive(layer, second))["text"] == "hi"
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(layer.receive(elsewhere), 0.05)


async def test_an_abandoned_subscription_leaves_nothing_behind(layer):
    channel = await subscribed(layer)
    reader = asyncio.ensure_future(layer.receive(channel))
    await asyncio.sleep(0)
    reader.cancel()
    with pytest.raises(asyncio.CancelledError):
        await reader
    await layer.group_discard("room.1", channel)
    assert (layer.channels, layer.groups) == ({}, {})


async def test_past_its_capacity_a_channel_drops_with_a_warning_and_the_others_still_hear(caplog):
    layer = ProcessLocalChannelLayer(capacity=3)
    stalled, reading = await subscribed(layer), await subscribed(layer)
    with caplog.at_level(logging.WARNING, logger="rooms.local_layer"):
        for n in range(5):
            await layer.group_send("room.1", {"type": "room.frame", "n": n})
            if n < 4:
                assert (await receive(layer, reading))["n"] == n
    assert [(await receive(layer, stalled))["n"] for _ in range(3)] == [0, 1, 2]
    assert sum("events behind" in r.getMessage() for r in caplog.records) == 2
