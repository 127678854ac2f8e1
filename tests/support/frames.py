"""Reading server frames in tests without depending on the order of unrelated frames."""

import json

from channels.testing import WebsocketCommunicator

TIMEOUT = 5


async def next_frame(communicator: WebsocketCommunicator, timeout: float = TIMEOUT) -> dict:
    return json.loads(await communicator.receive_from(timeout=timeout))


async def frame_of_type(communicator: WebsocketCommunicator, frame_type: str, timeout: float = TIMEOUT) -> dict:
    """The next frame of `frame_type`, skipping others (presence, typing…) on the way.

    Skipped frames stay findable by a later frame_of_type: frames from different sources are
    not ordered (a send's `ack` and its `message.new` may come either way round)."""
    skipped = communicator.__dict__.setdefault("skipped_frames", [])
    for index, frame in enumerate(skipped):
        if frame["type"] == frame_type:
            return skipped.pop(index)
    while True:
        frame = await next_frame(communicator, timeout)
        if frame["type"] == frame_type:
            return frame
        skipped.append(frame)


async def hello(communicator: WebsocketCommunicator) -> dict:
    frame = await next_frame(communicator)
    assert frame["type"] == "hello", frame
    return frame


async def send(communicator: WebsocketCommunicator, frame: dict | str) -> None:
    await communicator.send_to(text_data=frame if isinstance(frame, str) else json.dumps(frame))


async def closed_with(communicator: WebsocketCommunicator, timeout: float = TIMEOUT) -> int:
    """The close code the server sent, skipping frames that came before it."""
    while True:
        output = await communicator.receive_output(timeout)
        if output["type"] == "websocket.close":
            return output.get("code", 1000)


async def frames_before_pong(communicator: WebsocketCommunicator) -> list[dict]:
    """Ping, and return every frame that arrived before the pong: a way to assert that
    something was *not* sent without sleeping."""
    await send(communicator, {"type": "ping"})
    frames = []
    while (frame := await next_frame(communicator))["type"] != "pong":
        frames.append(frame)
    return frames


# The headers of a handshake from the site's own page (rooms/origins.py: scheme, host and port).
HOST = (b"host", b"localhost")
SAME_SITE = [HOST, (b"origin", b"https://localhost")]
