"""The search index's SQL: PostgreSQL's full-text search, or SQLite's FTS5 in the embedded default.

Both split text the same way (runs of letters and digits, any script) and match a query word as
a prefix; deleted messages never match; the index follows edits and deletes by itself
(migration 0006 made it), so nothing here writes.

- PostgreSQL: a GIN index on `to_tsvector('simple', body)` over every message (migration 0006
  says why not only those not deleted; the query leaves those out). The 'simple'
  configuration lower-cases and keeps every word as it is: no stemming and no stop words,
  which exist only for European languages and would leave Korean alone anyway. Its parser
  takes a run of Hangul as one word (`회의를`), and a prefix query (`'회의':*`) finds it,
  since Korean particles and endings come at the end of a word. A word inside a compound
  (`회의` in `주간회의`) is not found: that needs a trigram index (pg_trgm), an extension to
  install and a larger index to keep up at every send, not measured here.
- SQLite: an FTS5 table over the message table (external content) holding the messages not
  deleted, kept by triggers, with the unicode61 tokenizer, which splits like PostgreSQL's
  parser for letters and digits and also folds accents (`naive` finds `naïve`, which
  PostgreSQL's 'simple' does not).

The expressions below must stay the index's own (migration 0006), or PostgreSQL scans every
message: tests/rooms/test_search.py asks the planner.
"""

from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.backends.utils import CursorWrapper

from rooms.message_store import AUTHOR_COLUMNS, MESSAGE_COLUMNS, messages_data_in_rooms, select_columns
from rooms.models import Message, Room, User
from rooms.serializers import MessageData

# The PostgreSQL text search configuration, in the index and in every query.
PG_CONFIG = "simple"
# The SQLite FTS5 table (rowid = the message's id).
FTS_TABLE = "rooms_message_search"


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _pg_query(phrases: Sequence[Sequence[str]]) -> str:
    """to_tsquery's text: each word a prefix, a phrase's words next to each other (<->), all
    phrases required (&). The words are letters and digits only (rooms/search.py), so they
    need no escaping inside the quotes."""
    return " & ".join(" <-> ".join(f"'{word}':*" for word in phrase) for phrase in phrases)


def _fts_query(phrases: Sequence[Sequence[str]]) -> str:
    """FTS5's MATCH text: each word a prefix ("word"*), a phrase's words joined by +, all
    phrases required (AND). Quoted, so that a word such as AND or NEAR is only a word."""
    return " AND ".join(" + ".join(f'"{word}"*' for word in phrase) for phrase in phrases)


def _ids_condition(column: str, ids: Sequence[int], params: list[Any]) -> str:
    if connection.vendor == "postgresql":
        params.append(list(ids))
        return f"{column} = ANY(%s)"
    params.extend(ids)
    return f"{column} IN ({', '.join(['%s'] * len(ids))})"


def messages_matching(
    cursor: CursorWrapper,
    *,
    phrases: Sequence[Sequence[str]],
    room_ids: Sequence[int] | None,
    author_ids: Sequence[int] | None,
    before: int | None,
    limit: int,
) -> list[MessageData]:
    """Messages not deleted that hold every phrase (none: any message), in these rooms and by
    these authors (None: any), older than message id `before`, newest first."""
    message, user, room = _q(Message._meta.db_table), _q(User._meta.db_table), _q(Room._meta.db_table)
    params: list[Any] = []
    joins = ""
    conditions = [f"NOT m.{_q('deleted')}"]
    if phrases and connection.vendor == "postgresql":
        conditions.append(
            f"to_tsvector('{PG_CONFIG}'::regconfig, m.{_q('body')}) @@ to_tsquery('{PG_CONFIG}'::regconfig, %s)"
        )
        params.append(_pg_query(phrases))
    elif phrases:
        joins = f"JOIN {FTS_TABLE} ON {FTS_TABLE}.rowid = m.{_q('id')} "
        conditions.append(f"{FTS_TABLE} MATCH %s")
        params.append(_fts_query(phrases))
    if room_ids is not None:
        conditions.append(_ids_condition(f"m.{_q('room_id')}", room_ids, params))
    if author_ids is not None:
        conditions.append(_ids_condition(f"m.{_q('author_id')}", author_ids, params))
    if before is not None:
        conditions.append(f"m.{_q('id')} < %s")
        params.append(before)
    params.append(limit)
    cursor.execute(
        f"SELECT {select_columns(Message, 'm', MESSAGE_COLUMNS)}, {select_columns(User, 'u', AUTHOR_COLUMNS)}, "
        f"r.{_q('slug')} FROM {message} m {joins}"
        f"JOIN {user} u ON u.{_q('id')} = m.{_q('author_id')} JOIN {room} r ON r.{_q('id')} = m.{_q('room_id')} "
        f"WHERE {' AND '.join(conditions)} ORDER BY m.{_q('id')} DESC LIMIT %s",
        params,
    )
    return messages_data_in_rooms(cursor, cursor.fetchall())
