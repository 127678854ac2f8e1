"""Hostile input, generated: whatever a client sends, it gets an `error` frame (or the
documented 4413 close for an oversize frame), nothing raises past the consumer, nothing is
logged as a server error, and a normal member of the same room keeps chatting throughout."""

import json
import logging

import pytest
from asgiref.sync import async_to_sync
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.frames import closed_with, frame_of_type, hello, next_frame, send

pytestmark = pytest.mark.django_db(transaction=True)

ERROR_CODES = {
    "invalid_json", "binary_unsupported", "invalid_frame", "unknown_type", "invalid_field", "empty_body",
    "body_too_long", "invalid_body", "invalid_client_id", "client_id_conflict", "rate_limited", "room_archived",
}  # fmt: skip
FRAME_LIMIT = 64 * 1024

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
typed_frames = st.fixed_dictionaries(
    {"type": st.sampled_from(["send", "typing", "ping", "hello", "ack", "SEND", "", "__init__", "receive"])},
    optional={
        "body": json_values | st.text(max_size=4100) | st.text(alphabet=st.characters(codec="utf-8"), max_size=50),
        "client_id": json_values | st.text(max_size=80) | st.from_regex(r"[A-Za-z0-9_.:-]{1,64}", fullmatch=True),
    },
).map(json.dumps)
frames = st.one_of(
    typed_frames,
    json_values.map(json.dumps),
    st.text(max_size=200),
    st.binary(max_size=200),
    st.integers(1, 2000).map(lambda depth: "[" * depth + "]" * depth),
    st.just('{"type": "send", "body": "' + "x" * (FRAME_LIMIT + 10) + '", "client_id": "huge"}'),
)


def frame_size(frame) -> int:
    return len(frame) if isinstance(frame, bytes) else len(frame.encode("utf-8", "surrogatepass"))


async def answers_to(socket, frame) -> list[dict] | int:
    """The frames the server answered with (up to the pong of a ping sent after), or the
    close code if it closed the socket instead."""
    # send_input, not send_to: the test communicator refuses empty frames, browsers do not.
    key = "bytes" if isinstance(frame, bytes) else "text"
    await socket.send_input({"type": "websocket.receive", key: frame})
    if frame_size(frame) > FRAME_LIMIT:
        return await closed_with(socket)
    await send(socket, {"type": "ping"})
    answers = []
    while (answer := await next_frame(socket))["type"] != "pong":
        answers.append(answer)
    return answers


@pytest.fixture
def fuzz_room(connect, user, other_user, room, caplog):
    return {"connect": connect, "user": user, "other_user": other_user, "caplog": caplog}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=st.lists(frames, min_size=1, max_size=12))
def test_any_frame_sequence_gets_errors_not_crashes(fuzz_room, sequence):
    async def run():
        connect, caplog = fuzz_room["connect"], fuzz_room["caplog"]
        attacker, _, _ = await connect(fuzz_room["user"], "lobby")
        await hello(attacker)
        bystander, _, _ = await connect(fuzz_room["other_user"], "lobby")
        await hello(bystander)
        with caplog.at_level(logging.WARNING):
            for frame in sequence:
                result = await answers_to(attacker, frame)
                if isinstance(result, int):
                    assert result == 4413
                    # What Daphne sends once the close handshake is done; the test communicator
                    # does not, and the closed socket would keep its presence entry (and count
                    # towards the user's connection cap) until it expired.
                    await attacker.disconnect(code=result)
                    attacker, _, _ = await connect(fuzz_room["user"], "lobby")
                    await hello(attacker)
                    continue
                for answer in result:
                    # typing: after a reconnect, the earlier socket's typing reaches the new one
                    # like any other tab of the same user.
                    assert answer["type"] in {"error", "ack", "message.new", "presence", "typing"}, answer
                    if answer["type"] == "error":
                        assert answer["code"] in ERROR_CODES and answer["detail"]
        # Client mistakes are not server errors: nothing at ERROR, no traceback.
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info], caplog.text
        # The other member of the room never noticed.
        await send(bystander, {"type": "send", "body": "still here", "client_id": f"b-{id(sequence)}"})
        assert (await frame_of_type(bystander, "ack"))["message"]["body"] == "still here"
        await attacker.disconnect()
        await bystander.disconnect()

    async_to_sync(run)()
