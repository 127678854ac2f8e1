"""Search across history, on whichever database the run uses (the suite runs on SQLite, then on
PostgreSQL): the query language, Korean and English words, phrases, filters, order and pages,
deleted and edited messages, the REST endpoint, and that PostgreSQL answers from its index."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from rooms import search, search_index, services
from rooms.errors import ChatError
from rooms.models import Message


def post(room, author, body, client_id=None):
    client_id = client_id or f"c{Message.objects.count() + 1}-{author.pk}"
    return services.message_create(room=room, author=author, body=body, client_id=client_id).message


def found(user, text, **kwargs):
    return [m["body"] for m in search.message_search(user=user, text=text, **kwargs).results]


# --- The query language ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "phrases", "authors", "rooms"),
    [
        ("release notes", (("release",), ("notes",)), (), ()),
        ('"release notes" soon', (("release", "notes"), ("soon",)), (), ()),
        ("real-time", (("real", "time"),), (), ()),
        ("foo_bar", (("foo", "bar"),), (), ()),
        ("회의를 내일", (("회의를",), ("내일",)), (), ()),
        ("from:Mina in:general hello", (("hello",),), ("Mina",), ("general",)),
        ('FROM:"Mina Kim" In:"Big Room" x', (("x",),), ("Mina Kim",), ("Big Room",)),
        ('"unclosed phrase here', (("unclosed", "phrase", "here"),), (), ()),
        ("from:Jun", (), ("Jun",), ()),
        ("AND OR NEAR * ( ) ' \\ :*", (("AND",), ("OR",), ("NEAR",)), (), ()),
    ],
)
def test_a_query_parses_into_phrases_and_filters(settings, text, phrases, authors, rooms):
    parsed = search.search_parse(text)
    assert (parsed.phrases, parsed.authors, parsed.rooms) == (phrases, authors, rooms)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "Type a word"),
        ("   ", "Type a word"),
        (None, "Type a word"),
        (["hello"], "Type a word"),
        ("in:general", "Type a word"),
        ("* ( ) !!", "Type a word"),
        ("x" * 201, "at most 200 characters"),
        ("a b c d e f g h i", "at most 8 words"),
    ],
)
def test_a_query_without_words_or_past_the_limits_is_refused_with_a_reason(text, says):
    with pytest.raises(ChatError) as refused:
        search.search_parse(text)
    assert refused.value.code == "invalid_field" and says in refused.value.detail


def test_terms_are_each_word_once_lower_cased():
    assert search.search_parse('Release "release NOTES" 회의').terms == ["release", "notes", "회의"]


# --- Matching --------------------------------------------------------------------------------


def test_korean_words_are_found_by_their_stem_and_not_from_their_middle(db, room, user):
    post(room, user, "내일 오후 3시에 회의를 합니다")
    post(room, user, "점심 먹었어요")
    assert found(user, "회의") == ["내일 오후 3시에 회의를 합니다"]
    assert found(user, "회의를") == ["내일 오후 3시에 회의를 합니다"]
    assert found(user, "내일 회의") == ["내일 오후 3시에 회의를 합니다"]
    assert found(user, "의를") == []
    assert found(user, "회의 점심") == []


def test_english_words_match_from_their_start_in_any_case(db, room, user):
    post(room, user, "Weekly MEETINGS moved to Thursday")
    post(room, user, "the meat was great")
    assert found(user, "meeting") == ["Weekly MEETINGS moved to Thursday"]
    assert found(user, "THURS weekly") == ["Weekly MEETINGS moved to Thursday"]
    assert found(user, "eetings") == []
    assert found(user, "me") == ["the meat was great", "Weekly MEETINGS moved to Thursday"]


def test_every_word_must_match_and_a_phrase_keeps_its_order(db, room, user):
    post(room, user, "the release notes are out")
    post(room, user, "notes on the release")
    post(room, user, "release day")
    assert found(user, "release notes") == ["notes on the release", "the release notes are out"]
    assert found(user, '"release notes"') == ["the release notes are out"]
    assert found(user, "real-time") == []
    post(room, user, "a real-time chat")
    assert found(user, "real-time") == ["a real-time chat"]
    assert found(user, '"time real"') == []


def test_query_syntax_in_the_text_is_only_words(db, room, user):
    post(room, user, "NEAR the AND gate, OR not")
    assert found(user, "near AND or") == ["NEAR the AND gate, OR not"]
    assert found(user, "') OR 1=1 --") == []  # words `OR`, `1`, `1`: no message has a 1


def test_results_are_newest_first_across_rooms_with_pages(db, make_room, user):
    rooms = [make_room("alpha"), make_room("beta")]
    for n in range(5):
        post(rooms[n % 2], user, f"standup number {n}")
    first = search.message_search(user=user, text="standup", limit=3)
    assert [m["body"] for m in first.results] == ["standup number 4", "standup number 3", "standup number 2"]
    assert [m["room"] for m in first.results] == ["alpha", "beta", "alpha"]
    assert first.has_more
    rest = search.message_search(user=user, text="standup", limit=3, before=first.results[-1]["id"])
    assert [m["body"] for m in rest.results] == ["standup number 1", "standup number 0"]
    assert not rest.has_more


def test_from_and_in_narrow_the_search(db, room, make_room, user, make_user):
    kim = make_user("Mina Kim")
    other = make_room("random", name="Random Talk")
    post(room, user, "lunch plans")
    post(room, kim, "lunch at noon")
    post(other, kim, "lunch is late")
    assert found(user, 'lunch from:"mina kim"') == ["lunch is late", "lunch at noon"]
    assert found(user, f"lunch from:{user.username}") == ["lunch plans"]
    assert found(user, "lunch in:random") == ["lunch is late"]
    assert found(user, 'lunch in:"random talk" from:"Mina Kim"') == ["lunch is late"]
    assert found(user, "lunch", room=room) == ["lunch at noon", "lunch plans"]
    assert found(user, "lunch in:random", room=room) == []
    assert found(user, "from:Mina") == ["lunch plans"]  # no words: all of their messages


@pytest.mark.parametrize(("text", "says"), [("lunch from:Nobody", "No one here"), ("lunch in:nowhere", "No room")])
def test_an_unknown_name_in_a_filter_is_refused_with_a_reason(db, room, user, text, says):
    with pytest.raises(ChatError) as refused:
        search.message_search(user=user, text=text)
    assert refused.value.code == "invalid_field" and says in refused.value.detail


def test_a_deleted_message_never_matches(db, room, user):
    message = post(room, user, "secret launch codes")
    assert found(user, "launch") == ["secret launch codes"]
    services.message_delete(message=Message.objects.get(pk=message.pk), actor=user)
    assert found(user, "launch") == []
    assert found(user, "from:Mina") == []


def test_an_edited_message_is_found_by_its_new_words_only(db, room, user):
    message = post(room, user, "old wording here")
    services.message_edit(message=Message.objects.get(pk=message.pk), actor=user, body="새 문구 fresh wording")
    assert found(user, "old") == []
    assert found(user, "fresh") == ["새 문구 fresh wording"]
    assert found(user, "문구") == ["새 문구 fresh wording"]
    assert found(user, "wording") == ["새 문구 fresh wording"]


def test_a_message_removed_from_the_table_leaves_the_index(db, room, user):
    post(room, user, "ephemeral words")
    Message.objects.filter(body="ephemeral words").delete()
    post(room, user, "ephemeral again")
    assert found(user, "ephemeral") == ["ephemeral again"]


def test_results_carry_replies_and_reactions_with_no_query_per_result(db, room, user, other_user):
    original = post(room, other_user, "the plan")
    for n in range(6):
        reply = services.message_create(
            room=room, author=user, body=f"plan {n}", client_id=f"p{n}", reply_to=original.pk
        ).message
        services.message_react(message=Message.objects.get(pk=reply.pk), actor=other_user, emoji="👍", on=True)

    def searched(limit):
        with CaptureQueriesContext(connection) as queries:
            results = search.message_search(user=user, text="plan", limit=limit).results
        return results, len(queries)

    few, few_queries = searched(2)
    many, many_queries = searched(7)
    assert len(few) == 2 and len(many) == 7
    assert few_queries == many_queries
    assert many[0]["reply_to"]["excerpt"] == "the plan"
    assert many[0]["reactions"] == [{"emoji": "👍", "users": [many[0]["reactions"][0]["users"][0]]}]


# --- The endpoint ----------------------------------------------------------------------------


def test_the_endpoint_answers_results_terms_and_pages(db, room, user, api):
    post(room, user, "회의를 합니다")
    answer = api.get("/api/search/", {"q": "회의"})
    assert answer.status_code == 200
    body = answer.json()
    assert body["terms"] == ["회의"] and body["has_more"] is False
    ((result,),) = [body["results"]]
    assert (result["body"], result["room"], result["author"]["display_name"]) == ("회의를 합니다", "lobby", "Mina")


def test_the_endpoint_refuses_bad_input_clearly(db, room, api, anonymous_api):
    cases = [
        ({"q": ""}, 400, "invalid_field"),
        ({"q": "x", "room": "no-such-room"}, 404, "not_found"),
        ({"q": "x", "before": "soon"}, 400, "invalid_field"),
        ({"q": "x", "limit": "-1"}, 400, "invalid_field"),
    ]
    for params, status, code in cases:
        answer = api.get("/api/search/", params)
        assert (answer.status_code, answer.json()["error"]["code"]) == (status, code), params
    assert anonymous_api.get("/api/search/", {"q": "x"}).status_code in (401, 403)


def test_searches_past_the_budget_are_refused_with_retry_after(db, room, api, settings):
    settings.ROOMS = {**settings.ROOMS, "SEARCH_RATE_PER_SECOND": 1}
    codes = [api.get("/api/search/", {"q": "anything"}).status_code for _ in range(6)]
    assert codes == [200] * 5 + [429]
    refused = api.get("/api/search/", {"q": "anything"}).json()["error"]
    assert refused["code"] == "rate_limited" and refused["retry_after"] >= 1


def test_the_limit_is_capped_by_the_page_size(db, room, user, api, settings):
    settings.ROOMS = {**settings.ROOMS, "SEARCH_PAGE_SIZE": 3}
    for n in range(5):
        post(room, user, f"note {n}")
    body = api.get("/api/search/", {"q": "note", "limit": 50}).json()
    assert len(body["results"]) == 3 and body["has_more"] is True


# --- The index -------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_postgresql_answers_a_search_from_its_index(room, user):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's plan (this suite's second pass)")
    post(room, user, "index me")
    config = f"'{search_index.PG_CONFIG}'::regconfig"
    sql = (
        "EXPLAIN SELECT id FROM rooms_message m WHERE NOT m.deleted AND "
        f"to_tsvector({config}, m.body) @@ to_tsquery({config}, %s)"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(sql, [search_index._pg_query([["index"], ["me"]])])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "message_body_search" in plan, plan
