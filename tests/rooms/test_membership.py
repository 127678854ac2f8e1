"""Memberships over REST and in the services: unread counting without reading messages, the
monotonic read position, notification levels, and the alerts a new message produces."""

import random
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import close_old_connections, connection
from rest_framework.test import APIClient

from rooms import membership, services
from rooms.events import UserEvent
from rooms.models import Membership, Room


def send(room, author, body, client_id):
    return services.message_create(room=room, author=author, body=body, client_id=client_id)


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def enter(user, room):
    return membership.membership_enter(user=user, room_id=room.pk)


def test_entering_starts_the_read_position_at_the_last_message(db, room, user, other_user):
    for i in range(3):
        send(room, other_user, f"before {i}", f"b{i}")
    mine = enter(user, room)
    assert (mine["read_seq"], mine["unread_count"], mine["mention_count"]) == (3, 0, 0)


def test_unread_and_mentions_count_what_came_after_the_read_position(db, room, user, other_user, api):
    enter(user, room)
    enter(other_user, room)
    send(room, other_user, "one", "c1")
    send(room, other_user, f"two <@{user.pk}>", "c2")
    send(room, other_user, "three", "c3")
    answer = api.get("/api/rooms/").json()
    (mine,) = answer["memberships"]
    assert mine == {
        "room": room.slug,
        "read_seq": 0,
        "notify": "mentions",
        "unread_count": 3,
        "mention_count": 1,
        "mention_seqs": [2],
    }
    moved = api.patch(f"/api/rooms/{room.slug}/membership/", {"read_seq": 2}, format="json").json()
    assert (moved["read_seq"], moved["unread_count"], moved["mention_count"]) == (2, 1, 0)


def test_rooms_never_entered_have_no_membership_and_no_count(db, room, make_room, user, other_user, api):
    quiet = make_room("quiet")
    send(quiet, other_user, "hello", "q1")
    enter(user, room)
    assert [m["room"] for m in api.get("/api/rooms/").json()["memberships"]] == [room.slug]
    shown = api.get("/api/rooms/quiet/membership/").json()
    assert (shown["read_seq"], shown["unread_count"]) == (1, 0)
    assert not Membership.objects.filter(room=quiet).exists()  # a GET stores nothing


def test_the_read_position_never_moves_back_and_stops_at_the_last_message(db, room, user, other_user, api):
    enter(user, room)
    for i in range(5):
        send(room, other_user, f"m{i}", f"c{i}")
    url = f"/api/rooms/{room.slug}/membership/"
    assert api.patch(url, {"read_seq": 4}, format="json").json()["read_seq"] == 4
    assert api.patch(url, {"read_seq": 2}, format="json").json()["read_seq"] == 4
    assert api.patch(url, {"read_seq": 900}, format="json").json()["read_seq"] == 5


def test_an_update_that_changes_nothing_tells_nobody(db, room, user, other_user):
    enter(user, room)
    send(room, other_user, "m", "c1")
    assert membership.membership_update(user=user, room=room, read_seq=1).events
    assert membership.membership_update(user=user, room=room, read_seq=1).events == []
    assert membership.membership_update(user=user, room=room, read_seq=0).events == []


@pytest.mark.parametrize(
    "body",
    [{"read_seq": -1}, {"read_seq": "3"}, {"read_seq": True}, {"notify": "loud"}, {}, [1]],
    ids=["negative", "text", "bool", "unknown-level", "empty", "not-an-object"],
)
def test_bad_membership_updates_are_refused_with_a_clear_error(db, room, api, body):
    response = api.patch(f"/api/rooms/{room.slug}/membership/", body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_field"


def test_an_unknown_room_has_no_membership(db, api):
    assert api.patch("/api/rooms/nowhere/membership/", {"read_seq": 1}, format="json").status_code == 404
    assert api.get("/api/rooms/nowhere/membership/").status_code == 404


def test_cookie_authenticated_read_updates_need_the_csrf_token(db, room, user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.patch(f"/api/rooms/{room.slug}/membership/", {"read_seq": 1}, format="json")
    assert response.status_code == 403 and response.json()["error"]["code"] == "csrf_failed"


def test_read_updates_past_the_rate_are_refused(db, room, user, api, settings):
    settings.ROOMS = {**settings.ROOMS, "READ_RATE_PER_SECOND": 1}
    url = f"/api/rooms/{room.slug}/membership/"
    codes = [api.patch(url, {"read_seq": i}, format="json").status_code for i in range(4)]
    assert codes[:2] == [200, 200] and codes[-1] == 429


def test_muting_keeps_the_counts_and_is_shared_by_every_device(db, room, user, other_user, api):
    enter(user, room)
    enter(other_user, room)
    muted = api.patch(f"/api/rooms/{room.slug}/membership/", {"notify": "muted"}, format="json").json()
    assert muted["notify"] == "muted"
    result = send(room, other_user, f"<@{user.pk}> still counted", "c1")
    assert membership.membership_get(user=user, room=room)["mention_count"] == 1
    # The alert still goes out: the client keeps the count and stays quiet.
    alerts = [e for e in result.events if isinstance(e, UserEvent)]
    assert [(e.user_ids, e.frame["reason"]) for e in alerts] == [((user.pk,), "mention")]
    assert client_for(user).get(f"/api/rooms/{room.slug}/membership/").json()["notify"] == "muted"


def test_alerts_go_to_the_mentioned_to_everyone_for_room_and_to_watchers(db, room, make_user):
    mina, jun, ana, kim = (make_user(name) for name in ("Mina", "Jun", "Ana", "Kim"))
    for person in (mina, jun, ana, kim):
        enter(person, room)
    Membership.objects.filter(user=kim).update(notify="all")
    plain = send(room, mina, "just text", "c1")
    assert [(e.user_ids, e.frame["reason"]) for e in plain.events if isinstance(e, UserEvent)] == [((kim.pk,), "watch")]

    named = send(room, mina, f"<@{jun.pk}> and <@{kim.pk}>", "c2")
    reasons = sorted((e.user_ids, e.frame["reason"]) for e in named.events if isinstance(e, UserEvent))
    assert reasons == [(tuple(sorted([jun.pk, kim.pk])), "mention")]  # once each, for the strongest reason

    Room.objects.filter(pk=room.pk).update(allow_room_mention=True)  # a save() would put back stale counters
    everyone = send(room, mina, "@room hello", "c3")
    (alert,) = [e for e in everyone.events if isinstance(e, UserEvent)]
    assert alert.frame["reason"] == "room_mention" and set(alert.user_ids) == {jun.pk, ana.pk, kim.pk}
    assert alert.frame["room"] == {"slug": room.slug, "name": room.name}
    assert alert.frame["message"]["body"] == "@room hello"


def test_a_room_mention_counts_for_everyone_but_its_author_until_read_or_deleted(db, room, make_user):
    Room.objects.filter(pk=room.pk).update(allow_room_mention=True)  # a save() would put back stale counters
    mina, jun = make_user("Mina"), make_user("Jun")
    enter(mina, room)
    enter(jun, room)
    message = send(room, mina, "@room standup", "c1").message
    assert membership.membership_get(user=jun, room=room)["mention_seqs"] == [message.seq]
    assert membership.membership_get(user=mina, room=room)["mention_count"] == 0
    change = services.message_delete(message=message, actor=mina)
    assert membership.membership_get(user=jun, room=room)["mention_count"] == 0
    assert [e.user_ids for e in change.events if isinstance(e, UserEvent)] == [(jun.pk,)]


def test_the_room_list_counts_with_two_queries_however_many_rooms(
    db, make_room, user, other_user, django_assert_num_queries
):
    for index in range(12):
        room = make_room(f"room-{index}")
        enter(user, room)
        enter(other_user, room)
        send(room, other_user, f"<@{user.pk}> hi", f"r{index}")
    with django_assert_num_queries(2):
        summary = membership.membership_list(user=user)
    assert len(summary) == 12 and all(m["mention_count"] == 1 and m["unread_count"] == 1 for m in summary)


def test_members_are_suggested_by_name_online_first(db, room, make_user, api):
    people = {name: make_user(name) for name in ("Jun", "Junho", "June", "Ana")}
    for person in people.values():
        enter(person, room)
    found = membership.members_suggest(room=room, text="jun", online_ids=[people["June"].pk])
    assert [(user.display_name, online) for user, online in found] == [
        ("June", True),
        ("Jun", False),
        ("Junho", False),
    ]
    answer = api.get(f"/api/rooms/{room.slug}/members/?q=ana").json()
    assert [(m["display_name"], m["online"]) for m in answer["members"]] == [("Ana", False)]


@pytest.mark.django_db(transaction=True)
def test_two_tabs_racing_end_at_the_furthest_position(room, user, other_user, settings):
    if connection.vendor != "postgresql":
        pytest.skip("threads racing need a database with concurrent connections (the PostgreSQL run)")
    settings.ROOMS = {**settings.ROOMS, "READ_RATE_PER_SECOND": 1000}
    enter(user, room)
    for i in range(40):
        send(room, other_user, f"m{i}", f"c{i}")
    positions = list(range(1, 41))
    random.Random(7).shuffle(positions)  # the furthest comes early: every later, older one must change nothing

    def read(seq):
        try:
            membership.membership_update(user=user, room=room, read_seq=seq)
        finally:
            close_old_connections()

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(read, positions * 2))
    assert Membership.objects.get(user=user, room=room).read_seq == 40


def test_a_socket_entry_and_the_room_list_count_the_same(db, room, make_user):
    """membership_enter (fixed statements, on every socket open) and membership_get (the ORM,
    for the room list) are two readings of one rule."""
    Room.objects.filter(pk=room.pk).update(allow_room_mention=True)
    mina, jun = make_user("Mina"), make_user("Jun")
    enter(mina, room)
    enter(jun, room)
    send(room, jun, f"<@{mina.pk}> one", "c1")
    send(room, mina, "@room mine", "c2")  # her own @room does not count for her
    send(room, jun, "@room two", "c3")
    deleted = send(room, jun, f"<@{mina.pk}> gone", "c4").message
    services.message_delete(message=deleted, actor=jun)
    send(room, jun, "plain", "c5")
    room.refresh_from_db()
    entered = membership.membership_enter(user=mina, room_id=room.pk, room_slug=room.slug, last_seq=room.last_seq)
    assert entered == membership.membership_get(user=mina, room=room)
    assert (entered["unread_count"], entered["mention_seqs"]) == (5, [1, 3])
