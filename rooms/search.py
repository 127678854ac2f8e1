"""Search across history: the query language, and the selector that answers it.

A query is words, "quoted phrases", `from:<name>` and `in:<room>` (names with spaces quoted:
`from:"Mina Kim"`). Every word must match; a word matches any word of a message that starts
with it, so `회의` finds `회의를` (Korean attaches particles to the end of a word) and `meet`
finds `meetings`. Words are runs of letters and digits, the same runs both databases' indexes
split text into (rooms/search_index.py), so what the client highlights is what was matched.
Results are newest first; deleted messages never match.
"""

import re
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import Q

from rooms import metrics, search_index, state
from rooms.errors import ChatError
from rooms.models import Room, User
from rooms.serializers import MessageData

# A word: letters and digits of any script. Not `\w`: the indexes split on `_` as on spaces.
WORD = re.compile(r"[^\W_]+")
# `from:`/`in:` with a quoted or bare value, a quoted phrase (its closing quote optional), or
# any other run of non-spaces.
_PART = re.compile(r'(?:(from|in):(?:"([^"]*)"?|(\S+)))|"([^"]*)"?|(\S+)', re.IGNORECASE)


@dataclass(frozen=True)
class ParsedQuery:
    # Each a phrase: its words, which must stand next to each other in this order. A lone word
    # is a phrase of one; `real-time` is the phrase `real time`, as the indexes see it.
    phrases: tuple[tuple[str, ...], ...]
    authors: tuple[str, ...]
    rooms: tuple[str, ...]

    @property
    def terms(self) -> list[str]:
        """Every word searched for, lower-cased and once each: what a client highlights."""
        return list(dict.fromkeys(word.lower() for phrase in self.phrases for word in phrase))


def search_parse(text: object) -> ParsedQuery:
    """The query as typed, checked: a ChatError says what is wrong with it."""
    if not isinstance(text, str) or not text.strip():
        raise ChatError("invalid_field", "Type a word to search for.")
    limit = settings.ROOMS["SEARCH_QUERY_MAX_LENGTH"]
    if len(text) > limit:
        raise ChatError("invalid_field", f"A search is at most {limit} characters.")
    phrases: list[tuple[str, ...]] = []
    authors: list[str] = []
    rooms: list[str] = []
    for match in _PART.finditer(text):
        key, quoted_value, bare_value, quoted, bare = match.groups()
        if key:
            value = (quoted_value if quoted_value is not None else bare_value).strip()
            if value:
                (authors if key.lower() == "from" else rooms).append(value)
            continue
        words = tuple(WORD.findall(quoted if quoted is not None else bare))
        if words:
            phrases.append(words)
    if not phrases and not authors:
        # A whole room newest first is its history, not a search.
        raise ChatError("invalid_field", "Type a word to search for, or from:<name>.")
    terms_max = settings.ROOMS["SEARCH_TERMS_MAX"]
    if sum(len(phrase) for phrase in phrases) > terms_max:
        raise ChatError("invalid_field", f"A search holds at most {terms_max} words.")
    return ParsedQuery(phrases=tuple(phrases), authors=tuple(authors), rooms=tuple(rooms))


@dataclass(frozen=True)
class SearchPage:
    results: list[MessageData]
    terms: list[str]
    has_more: bool


def _search_allow(user: User) -> None:
    rate = settings.ROOMS["SEARCH_RATE_PER_SECOND"]
    (wait,) = state.take_tokens([f"search:{user.pk}"], rate=rate, burst=5 * rate)
    if wait > 0:
        metrics.rate_limit_refusals.labels("searches").inc()
        seconds = max(1, round(wait))
        raise ChatError(
            "rate_limited", f"Too many searches; try again in {seconds} s.", status=429, retry_after=seconds
        )


def _author_ids(names: tuple[str, ...]) -> list[int] | None:
    """The users each name may mean (display name or username, any case): all of them must be
    someone, or the search says whom it does not know."""
    ids: set[int] = set()
    for name in names:
        named = Q(display_name__iexact=name) | Q(username__iexact=name)
        found = User.objects.filter(named).values_list("pk", flat=True)
        if not found:
            raise ChatError("invalid_field", f"No one here is called “{name}”.")
        ids.update(found)
    return sorted(ids) if names else None


def _room_ids(names: tuple[str, ...], room: Room | None) -> list[int] | None:
    """The rooms to search: `room` (a room's own search box) and every `in:`, all at once."""
    ids = None if room is None else {room.pk}
    for name in names:
        found = set(Room.objects.filter(Q(slug__iexact=name) | Q(name__iexact=name)).values_list("pk", flat=True))
        if not found:
            raise ChatError("invalid_field", f"No room is called “{name}”.")
        ids = found if ids is None else ids & found
    return None if ids is None else sorted(ids)


def message_search(
    *, user: User, text: object, room: Room | None = None, before: int | None = None, limit: int | None = None
) -> SearchPage:
    """The messages matching `text`, newest first, older than message id `before` if given.
    Every room is open to every signed-in user, so every room is searched unless narrowed."""
    query = search_parse(text)
    _search_allow(user)
    page_size = settings.ROOMS["SEARCH_PAGE_SIZE"]
    limit = min(limit or page_size, page_size)
    room_ids = _room_ids(query.rooms, room)
    author_ids = _author_ids(query.authors)
    if room_ids == [] or author_ids == []:
        return SearchPage(results=[], terms=query.terms, has_more=False)
    with connection.cursor() as cursor:
        results = search_index.messages_matching(
            cursor,
            phrases=query.phrases,
            room_ids=room_ids,
            author_ids=author_ids,
            before=before,
            limit=limit + 1,
        )
    return SearchPage(results=results[:limit], terms=query.terms, has_more=len(results) > limit)
