"""The search index (rooms/search_index.py says why each database's is built as it is).

PostgreSQL: a GIN index on the words of every message, built CONCURRENTLY so that sends go on
while it builds over an existing history (hence atomic = False). Not partial on NOT deleted:
the planner reads the word statistics of an expression index only when it covers the whole
table; without them it took two common words for rare ones and sorted every message holding
them (154 ms for the pair, 534 ms as a phrase, against 7.6 and 22.5 ms with this index;
docs/benchmarks.md, "Search across history").

SQLite: an FTS5 table over the message table, kept by triggers. Django rebuilds a SQLite table
for some later schema changes (copy, drop, rename), and the drop takes these triggers with it:
a migration that changes rooms_message on SQLite must run this one's SQLite part again
(tests/rooms/test_search.py fails on SQLite if it does not).
"""

from django.db import migrations

PG_CREATE = (
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS message_body_search ON rooms_message "
    "USING gin (to_tsvector('simple'::regconfig, body))"
)
PG_DROP = "DROP INDEX CONCURRENTLY IF EXISTS message_body_search"

SQLITE_CREATE = [
    "CREATE VIRTUAL TABLE rooms_message_search USING fts5("
    "body, content='rooms_message', content_rowid='id', tokenize='unicode61')",
    # An external-content table forgets a row only when told the words it indexed: the old body.
    "CREATE TRIGGER rooms_message_search_insert AFTER INSERT ON rooms_message WHEN NOT new.deleted BEGIN "
    "INSERT INTO rooms_message_search(rowid, body) VALUES (new.id, new.body); END",
    "CREATE TRIGGER rooms_message_search_delete AFTER DELETE ON rooms_message WHEN NOT old.deleted BEGIN "
    "INSERT INTO rooms_message_search(rooms_message_search, rowid, body) VALUES ('delete', old.id, old.body); END",
    "CREATE TRIGGER rooms_message_search_update AFTER UPDATE OF body, deleted ON rooms_message BEGIN "
    "INSERT INTO rooms_message_search(rooms_message_search, rowid, body) "
    "SELECT 'delete', old.id, old.body WHERE NOT old.deleted; "
    "INSERT INTO rooms_message_search(rowid, body) SELECT new.id, new.body WHERE NOT new.deleted; END",
    "INSERT INTO rooms_message_search(rowid, body) SELECT id, body FROM rooms_message WHERE NOT deleted",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS rooms_message_search_insert",
    "DROP TRIGGER IF EXISTS rooms_message_search_delete",
    "DROP TRIGGER IF EXISTS rooms_message_search_update",
    "DROP TABLE IF EXISTS rooms_message_search",
]


def _run(schema_editor, statements):
    for statement in statements:
        schema_editor.execute(statement)


def create_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        _run(schema_editor, [PG_CREATE])
    elif vendor == "sqlite":
        _run(schema_editor, SQLITE_CREATE)


def drop_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        _run(schema_editor, [PG_DROP])
    elif vendor == "sqlite":
        _run(schema_editor, SQLITE_DROP)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("rooms", "0005_replies_and_reactions"),
    ]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
