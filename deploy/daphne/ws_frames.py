"""WebSocket text frames built once for many sockets (used by serve.py's send_text_now).

Kept apart from serve.py so that it can be imported without installing Twisted's reactor.
"""

import struct

# The ASGI scope extension serve.py offers (scope["extensions"]); rooms/consumers.py looks for
# it under the same name, and tests/deploy/test_ws_frames.py checks that the two agree.
SEND_TEXT_NOW_EXTENSION = "rooms.send_text_now"


def text_frame(payload: bytes) -> bytes:
    """One unfragmented, unmasked WebSocket text frame (RFC 6455 section 5.2): FIN and opcode 1,
    then the payload length in 7, 7+16 or 7+64 bits, then the payload."""
    size = len(payload)
    if size < 126:
        header = bytes((0x81, size))
    elif size < 1 << 16:
        header = struct.pack("!BBH", 0x81, 126, size)
    else:
        header = struct.pack("!BBQ", 0x81, 127, size)
    return header + payload


# The last text framed, and its frame. A room's frame goes to all of the room's sockets one
# after the other, so one entry is enough; holding the text keeps its id from being reused.
_last_text: str | None = None
_last_frame: tuple[bytes, int] = (b"", 0)


def shared_text_frame(text: str) -> tuple[bytes, int]:
    """The frame for `text` and its payload size in bytes, built once for consecutive sends of
    the same str object (compared by identity: cheaper than comparing the text)."""
    global _last_text, _last_frame
    if text is not _last_text:
        payload = text.encode("utf-8")
        _last_text, _last_frame = text, (text_frame(payload), len(payload))
    return _last_frame
