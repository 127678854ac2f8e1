"""Rooms by slug for socket handshakes, remembered for a few seconds in each process.

A thousand clients (re)connecting at once look up the same few rooms. Reading each one again
cost a read-pool hop and an ORM query per handshake: a fifth of the server's CPU while 500
people filled one room (a py-spy profile of S2's fill; no result file kept). A slug names the same room for its life
but for a rename in the admin; what a room's row says beyond its id (archived, name, event head)
is read again where it matters (a send's claim, the hello), and a socket keeps the room it read
at connect for its whole life anyway. So an entry may be TTL seconds old: a renamed slug still
opens its room that long, a deleted room is caught by the hello's own read (rooms/consumers.py).
Unknown slugs are never remembered.
"""

from __future__ import annotations

import time

from rooms import selectors
from rooms.models import Room
from rooms.workers import db_read

TTL = 10.0

_remembered: dict[str, tuple[float, Room]] = {}


async def room_by_slug(slug: str) -> Room | None:
    now = time.monotonic()
    hit = _remembered.get(slug)
    if hit is not None and hit[0] > now:
        return hit[1]
    room = await db_read(selectors.room_get)(slug=slug)
    if room is None:
        _remembered.pop(slug, None)
    else:
        _remembered[slug] = (now + TTL, room)
    return room


def forget(slug: str) -> None:
    _remembered.pop(slug, None)


def forget_all() -> None:
    """Tests: each case has a database of its own."""
    _remembered.clear()
