"""Every screen shows the same room. A model-based test of docs/protocol.md's "Room events":
several clients over real sockets to two Daphne processes (deploy/daphne/run.sh) — three on
WebSocket, one in the HTTP fallback's polling mode — and a random interleaving of sends, edits,
deletes, archive and reopen (through the Django admin), disconnects and reconnects, some of them
while other changes are under way. The database is the model: at the end every client's view of
the room (ids in order, bodies, deleted flags, archived state) equals what it stores.

Each example is a seeded generator of steps, so a failure names the seed that reproduces it.
`make test` runs CONVERGENCE_SEEDS (4) examples of CONVERGENCE_STEPS (40) steps; a soak runs
more, e.g. CONVERGENCE_SEEDS=50 CONVERGENCE_STEPS=400.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import re
import time

import pytest
import requests

from tests.conftest import reachable_redis_url
from tests.support.live import LiveSite, guest_session
from tests.support.room_client import RoomClient

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

SEEDS = int(os.environ.get("CONVERGENCE_SEEDS", "4"))
STEPS = int(os.environ.get("CONVERGENCE_STEPS", "40"))
# One starting room per example, so the examples share one site and never each other's room.
ROOMS = ["general", "tech", "hobbies", "music-movies"]
SETTLE_SECONDS = 20


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    live = LiveSite(
        tmp_path_factory.mktemp("convergence"),
        processes=2,
        redis_url=reachable_redis_url(),
        run_script=True,
        # Edits and sends come fast here; the rate limit has its own tests.
        env={"SEND_RATE_BURST": "100000", "SEND_RATE_COUNT": "100000"},
    )
    live.start()
    live.shell(
        "from rooms.models import User\n"
        "User.objects.create_superuser(username='moderator', password='convergence-pw', display_name='Mod')\n"
    )
    yield live
    live.stop()


def admin_session(base_url: str) -> requests.Session:
    """A moderator signed in to the Django admin, the way a browser is: its login form's CSRF
    token, then the POST. The same session may edit and delete anyone's message over REST."""
    session = requests.Session()
    form = session.get(f"{base_url}/admin/login/", timeout=5).text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    response = session.post(
        f"{base_url}/admin/login/?next=/admin/",
        data={"username": "moderator", "password": "convergence-pw", "csrfmiddlewaretoken": token},
        headers={"Referer": f"{base_url}/admin/login/"},
        timeout=5,
    )
    assert response.url.endswith("/admin/"), "the moderator could not sign in to the admin"
    session.headers["X-CSRFToken"] = session.cookies["csrftoken"]
    session.headers["Referer"] = f"{base_url}/"
    return session


def set_archived(site, admin: requests.Session, room_id: int, archived: bool) -> None:
    """The admin's changelist action, as a moderator clicks it."""
    url = f"{site.url()}/admin/rooms/room/"
    page = admin.get(url, timeout=5).text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    action = {"action": "archive" if archived else "unarchive", "_selected_action": [room_id]}
    response = admin.post(url, data={**action, "csrfmiddlewaretoken": token}, headers={"Referer": url}, timeout=5)
    assert response.status_code == 200 and "errornote" not in response.text


def stored_room(site, slug: str) -> dict:
    """The model: what the database holds for the room, read straight from it."""
    ((room_id, archived),) = site.database.rows("SELECT id, is_archived FROM rooms_room WHERE slug = %s", (slug,))
    rows = site.database.rows("SELECT id, body, deleted FROM rooms_message WHERE room_id = %s ORDER BY id", (room_id,))
    return {
        "archived": bool(archived),
        "messages": [(pk, "" if deleted else body, bool(deleted)) for pk, body, deleted in rows],
    }


def view_of(client: RoomClient) -> dict:
    """What the client shows: its room's archived state, its messages in display order."""
    return {
        "archived": bool(client.room and client.room["is_archived"]),
        "messages": [(m["id"], m["body"], m["deleted"]) for m in (client.messages[k] for k in sorted(client.messages))],
    }


class Participant:
    """A person in the room: a RoomClient, on a WebSocket read by a task of its own, or in
    HTTP mode; what they send is theirs to edit and delete."""

    def __init__(self, site, slug: str, name: str, *, http: bool, process: int):
        self.name = name
        self.session = guest_session(site.url(process), name)
        self.client = RoomClient(site.url(process), self.session, slug)
        self.http = http
        self.reader: asyncio.Task | None = None

    @property
    def online(self) -> bool:
        return self.http or self.reader is not None

    async def join(self) -> None:
        if self.http:
            await self.client.open_http()
            return
        await self.client.connect()
        self.reader = asyncio.create_task(self.client.pump(3600))

    async def leave(self) -> None:
        if self.reader is not None:
            await self.client.close()
            with contextlib.suppress(asyncio.CancelledError):
                await self.reader
            self.reader = None

    async def send(self, body: str) -> None:
        if self.http:
            await self.client.post(body)
        else:
            await self.client.send(body)

    def own_message_ids(self) -> list[int]:
        return sorted(m["id"] for m in self.client.acks.values())


def change_message(site, session: requests.Session, slug: str, message_id: int, body: str | None) -> int:
    url = f"{site.url()}/api/rooms/{slug}/messages/{message_id}/"
    if body is None:
        response = session.delete(url, timeout=5)
    else:
        response = session.patch(url, json={"body": body}, timeout=5)
    # Refusals are part of the model too: a deleted message (409), an archived room (403).
    assert response.status_code in (200, 204, 403, 409), response.text
    return response.status_code


async def settle(site, slug: str, people: list[Participant]) -> dict:
    """Everyone back online, then ping (sockets) and poll (HTTP) until every view equals the
    model, or SETTLE_SECONDS pass; returns the model."""
    for person in people:
        if not person.online:
            await person.join()
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        model = stored_room(site, slug)
        if all(view_of(person.client) == model for person in people) or time.monotonic() > deadline:
            return model
        for person in people:
            if person.http:
                await person.client.poll()
            else:
                await person.client.ping()
        await asyncio.sleep(0.3)


@pytest.mark.parametrize("seed", range(SEEDS))
async def test_every_client_converges_on_what_the_database_holds(site, seed):
    rng = random.Random(seed)
    slug = ROOMS[seed % len(ROOMS)]
    ((room_id,),) = site.database.rows("SELECT id FROM rooms_room WHERE slug = %s", (slug,))
    admin = await asyncio.to_thread(admin_session, site.url())
    people = [
        Participant(site, slug, "Ann", http=False, process=0),
        Participant(site, slug, "Ben", http=False, process=1),
        Participant(site, slug, "Cy", http=False, process=1),
        Participant(site, slug, "Dee (HTTP)", http=True, process=0),
    ]
    for person in people:
        await person.join()
    archived = False
    trace: list[str] = []

    async def step(n: int) -> None:
        nonlocal archived
        person = rng.choice(people)
        kind = rng.choices(
            ["send", "edit", "delete", "moderate", "archive", "drop", "rejoin", "poll"],
            weights=[30, 14, 8, 5, 4, 8, 8, 6],
        )[0]
        own = person.own_message_ids()
        if kind == "send" and person.online:
            await person.send(f"{person.name} says {n} 😀")
        elif kind == "edit" and own:
            await asyncio.to_thread(change_message, site, person.session, slug, rng.choice(own), f"edit {n} ✏️")
        elif kind == "delete" and own:
            await asyncio.to_thread(change_message, site, person.session, slug, rng.choice(own), None)
        elif kind == "moderate":
            ids = [pk for pk, _, _ in stored_room(site, slug)["messages"]]
            if ids:
                body = None if rng.random() < 0.5 else f"moderated {n}"
                await asyncio.to_thread(change_message, site, admin, slug, rng.choice(ids), body)
        elif kind == "archive":
            archived = not archived
            await asyncio.to_thread(set_archived, site, admin, room_id, archived)
        elif kind == "drop" and person.reader is not None:
            await person.leave()
        elif kind == "rejoin" and not person.online:
            # Reconnect while someone else changes the room: the hello and live frames cross.
            other = rng.choice([p for p in people if p is not person and p.own_message_ids()] or [person])
            changes = [person.join()]
            if other is not person:
                changes.append(
                    asyncio.to_thread(
                        change_message, site, other.session, slug, rng.choice(other.own_message_ids()), f"during {n}"
                    )
                )
            await asyncio.gather(*changes)
        elif kind == "poll" and person.http:
            await person.client.poll()
        else:
            return
        trace.append(f"{n}:{kind}:{person.name}")

    try:
        for n in range(STEPS):
            await step(n)
            await asyncio.sleep(rng.choice([0, 0, 0.01, 0.05]))
        model = await settle(site, slug, people)
        for person in people:
            assert view_of(person.client) == model, f"seed {seed}: a view differs from the database; steps {trace}"
        assert len(model["messages"]) > 0
    finally:
        for person in people:
            await person.leave()
        if archived:
            await asyncio.to_thread(set_archived, site, admin, room_id, False)
