"""deploy/daphne/ws_frames.py: the frames serve.py writes for room frames, byte for byte what a
WebSocket client accepts. Parsed here by an independent implementation (websockets'), across
each boundary of the length encoding; the live tests (tests/reliability/test_slow_client.py,
tests/deploy/) carry them through a real server."""

import importlib.util
from pathlib import Path

import pytest
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from rooms import consumers

WS_FRAMES = Path(__file__).resolve().parents[2] / "deploy" / "daphne" / "ws_frames.py"


@pytest.fixture(scope="module")
def ws_frames():
    spec = importlib.util.spec_from_file_location("ws_frames", WS_FRAMES)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def parse_one(data: bytes) -> Frame:
    """Parse `data` as exactly one server-to-client frame, refusing anything left over."""
    reader = StreamReader()
    reader.feed_data(data)
    reader.feed_eof()
    parser = Frame.parse(reader.read_exact, mask=False)
    try:
        next(parser)
    except StopIteration as done:
        assert reader.at_eof(), "bytes left after the frame"
        return done.value
    raise AssertionError("the frame is incomplete")


def test_the_consumer_looks_for_the_extension_under_the_name_serve_py_offers_it(ws_frames):
    # A mismatch would not break anything visible: room frames would quietly take the slow path.
    assert consumers.SEND_TEXT_NOW_EXTENSION == ws_frames.SEND_TEXT_NOW_EXTENSION


# 7-bit lengths end at 125; 16-bit at 65,535; then 64-bit.
@pytest.mark.parametrize("size", [0, 1, 125, 126, 127, 65535, 65536, 70000])
def test_text_frames_parse_back_to_their_payload_at_every_length_boundary(ws_frames, size):
    payload = b"x" * size
    frame = parse_one(ws_frames.text_frame(payload))
    assert (frame.opcode, frame.fin, frame.rsv1, frame.data) == (Opcode.TEXT, True, False, payload)


def test_a_shared_frame_is_the_utf8_text_framed_once_per_text_object(ws_frames):
    text = '{"body":"héllo 👋"}' * 10
    frame, payload_size = ws_frames.shared_text_frame(text)
    assert payload_size == len(text.encode("utf-8")) > len(text)
    assert parse_one(frame).data.decode("utf-8") == text
    assert ws_frames.shared_text_frame(text)[0] is frame  # the next socket reuses the bytes

    # An equal text in another object, or another text, is framed for itself, never confused
    # with the one before.
    other = "".join(["x"] * 5)
    assert parse_one(ws_frames.shared_text_frame(other)[0]).data == b"xxxxx"
    assert parse_one(ws_frames.shared_text_frame(text)[0]).data.decode("utf-8") == text
