"""message_create_batch: the sends a write thread takes at once get what each would have got
alone. On PostgreSQL the allowed sends go in as one statement; on SQLite as one transaction."""

import threading
import time

import pytest
from django.db import connection, connections, transaction

from rooms import realtime, services
from rooms.errors import ChatError
from rooms.models import Message, Room
from rooms.services import SendRequest, message_create_batch

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def nothing_published(monkeypatch):
    """Services return their events and never publish: their callers do (rooms/realtime.py)."""
    published = []
    monkeypatch.setattr(realtime, "_publish_blocking", published.append)
    monkeypatch.setattr(realtime, "publish_from_loop", published.append)
    yield
    assert published == []


def frames(batch) -> list[tuple[int, dict]]:
    return [(event.room_id, event.frame) for event in batch.events]


def test_a_batch_for_several_rooms_gives_each_room_consecutive_seqs_in_batch_order(user, other_user, make_room):
    lobby, garden = make_room("lobby"), make_room("garden")
    sends = [
        SendRequest(room=lobby, author=user, body="l1", client_id="a"),
        SendRequest(room=garden, author=other_user, body="g1", client_id="b"),
        SendRequest(room=lobby, author=other_user, body="l2", client_id="c"),
        SendRequest(room=lobby, author=user, body="l3", client_id="d"),
        SendRequest(room=garden, author=user, body="g2", client_id="e"),
    ]
    batch = message_create_batch(sends)
    results = batch.outcomes

    assert [(r.message.room_id, r.message.seq, r.message.event, r.message.body) for r in results] == [
        (lobby.pk, 1, 1, "l1"),
        (garden.pk, 1, 1, "g1"),
        (lobby.pk, 2, 2, "l2"),
        (lobby.pk, 3, 3, "l3"),
        (garden.pk, 2, 2, "g2"),
    ]
    assert all(r.created for r in results)
    stored = {m.client_id: (m.room_id, m.seq, m.author_id, m.body) for m in Message.objects.all()}
    assert stored == {
        r.message.client_id: (r.message.room_id, r.message.seq, r.message.author_id, r.message.body) for r in results
    }
    assert [r.data for r in results] == [services.message_data(Message.objects.get(pk=r.message.pk)) for r in results]
    lobby_now, garden_now = Room.objects.get(pk=lobby.pk), Room.objects.get(pk=garden.pk)
    assert (lobby_now.last_seq, lobby_now.last_event, garden_now.last_seq, garden_now.last_event) == (3, 3, 2, 2)
    # An event per send, in batch order, each with the message the ack carries.
    assert frames(batch) == [
        (r.message.room_id, {"type": "message.new", "event": r.message.event, "message": r.data}) for r in results
    ]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL's batch is one statement, its own transaction")
def test_on_sqlite_a_batch_commits_once(user, other_user, make_room, monkeypatch):
    lobby, garden = make_room("lobby"), make_room("garden")
    commits = []
    real_commit = connections["default"].commit
    monkeypatch.setattr(connections["default"], "commit", lambda: commits.append(1) or real_commit())
    sends = [
        SendRequest(room=room, author=author, body=f"{n}", client_id=f"c{n}")
        for n, (room, author) in enumerate([(lobby, user), (garden, other_user), (lobby, other_user)] * 3)
    ]
    assert all(outcome.created for outcome in message_create_batch(sends).outcomes)
    assert len(commits) == 1
    assert Message.objects.count() == 9


def test_a_client_id_sent_before_is_replayed_and_the_rest_of_the_batch_stored_without_a_gap(user, room):
    first = services.message_create(room=room, author=user, body="first", client_id="again").message
    batch = message_create_batch(
        [
            SendRequest(room=room, author=user, body="new 1", client_id="n1"),
            SendRequest(room=room, author=user, body="first", client_id="again"),
            SendRequest(room=room, author=user, body="new 2", client_id="n2"),
        ]
    )
    results = batch.outcomes
    assert [(r.created, r.message.seq) for r in results] == [(True, 2), (False, 1), (True, 3)]
    assert results[1].message.pk == first.pk
    assert Message.objects.filter(room=room).count() == 3
    # A replay is no event.
    assert [frame["event"] for _, frame in frames(batch)] == [2, 3]


def test_one_client_id_twice_in_a_batch_is_stored_once(user, room):
    results = message_create_batch(
        [
            SendRequest(room=room, author=user, body="twice", client_id="dup"),
            SendRequest(room=room, author=user, body="twice", client_id="dup"),
        ]
    ).outcomes
    assert [r.created for r in results] == [True, False]
    assert results[0].message.pk == results[1].message.pk
    assert list(Message.objects.values_list("seq", flat=True)) == [1]


def test_sends_to_an_archived_room_are_refused_and_the_other_rooms_sends_stored(user, make_room):
    open_room, archived = make_room("open"), make_room("shut", is_archived=True)
    results = message_create_batch(
        [
            SendRequest(room=archived, author=user, body="no", client_id="x1"),
            SendRequest(room=open_room, author=user, body="yes", client_id="y1"),
            SendRequest(room=archived, author=user, body="no", client_id="x2"),
        ]
    ).outcomes
    assert isinstance(results[0], ChatError) and results[0].code == "room_archived"
    assert isinstance(results[2], ChatError) and results[2].code == "room_archived"
    assert results[1].message.seq == 1
    assert Room.objects.get(pk=archived.pk).last_seq == 0
    assert list(Message.objects.values_list("client_id", flat=True)) == ["y1"]


def test_invalid_and_rate_limited_sends_get_their_own_errors(user, other_user, room, settings, state_backend):
    settings.ROOMS = {**settings.ROOMS, "SEND_RATE_COUNT": 1, "SEND_RATE_PERIOD": 60, "SEND_RATE_BURST": 2}
    results = message_create_batch(
        [
            SendRequest(room=room, author=user, body="1", client_id="u1"),
            SendRequest(room=room, author=user, body="   ", client_id="u-empty"),
            SendRequest(room=room, author=user, body="2", client_id="u2"),
            SendRequest(room=room, author=other_user, body="o1", client_id="bad id!"),
            SendRequest(room=room, author=user, body="3", client_id="u3"),
            SendRequest(room=room, author=other_user, body="o2", client_id="o2"),
        ]
    ).outcomes
    codes = [r.code if isinstance(r, ChatError) else r.message.seq for r in results]
    # The empty body takes no token: user's third valid send is the one past the burst of 2.
    assert codes == [1, "empty_body", 2, "invalid_client_id", "rate_limited", 3]
    assert results[4].retry_after >= 1
    assert Message.objects.count() == 3


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL")
def test_batches_locking_the_same_rooms_in_opposite_orders_do_not_deadlock(user, make_room):
    """Two write threads (or processes) whose batches name the same rooms in opposite orders:
    each batch locks its rooms in id order, so one waits for the other instead of both for each
    other (PostgreSQL would abort one with "deadlock detected" after a second)."""
    first, second = make_room("first"), make_room("second")
    outcomes, errors = {}, []
    holder_has_lock, release = threading.Event(), threading.Event()

    def hold_first_room():
        # Makes the race certain: both batches start while `first` is locked by someone else.
        # Locking in batch order, "backward" would take `second` and wait for `first`, which
        # "forward" (queued first) gets next and then waits for `second`: a cycle.
        try:
            with transaction.atomic():
                Room.objects.select_for_update().get(pk=first.pk)
                holder_has_lock.set()
                release.wait(10)
        finally:
            connections.close_all()

    def send(name, rooms):
        try:
            outcomes[name] = message_create_batch(
                [SendRequest(room=r, author=user, body=name, client_id=f"{name}-{r.slug}") for r in rooms]
            ).outcomes
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold_first_room)
    holder.start()
    assert holder_has_lock.wait(10)
    threads = [
        threading.Thread(target=send, args=("forward", [first, second])),
        threading.Thread(target=send, args=("backward", [second, first])),
    ]
    for thread in threads:
        thread.start()
        time.sleep(0.3)  # each batch is waiting before the next starts
    release.set()
    for thread in [holder, *threads]:
        thread.join(20)

    assert errors == []
    assert sorted(Message.objects.filter(room=first).values_list("seq", flat=True)) == [1, 2]
    assert sorted(Message.objects.filter(room=second).values_list("seq", flat=True)) == [1, 2]
