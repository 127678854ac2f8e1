"""Django's database sessions, remembering when the loaded session expires, and ending the
sockets of a session that is replaced.

A socket closes when its sign-in expires (rooms/consumers.py), so the handshake needs the
session row's expire_date. Django reads that row to load the session and then drops the
date; keeping it saves a second query (and a thread hop) on every handshake, which is what a
thousand clients reconnecting at once queue behind. The row is read with a fixed statement
rather than a queryset, as rooms/socket_auth.py reads its user. The two reads took 0.40 ms of
CPU instead of 0.81 (bench/hello_reads.py), and a socket open 2.27 ms of the server's CPU
instead of 2.82 (bench/connect_storm.py, three alternating runs); the files are
bench/results/hello-reads-session-user-*.json and connect-storm-session-user-*.json. Every
signed-in request reads the row too.

A session ends for its sockets whenever its key goes: sign-out (`flush`), and a new sign-in in
the same browser (Django's `login` flushes a session of another user and cycles the key of
its own). Hooking the store rather than each view covers every way in: the guest form, the
Google pipeline, the admin login, sign-out. Their sockets, and those opened with a ticket the
session issued, close with 4401 on every process (realtime.close_session_sockets).
"""

import functools
from datetime import datetime
from typing import cast

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import connections, router
from django.utils import timezone

from rooms import realtime


@functools.cache
def _read_sql(table: str) -> str:
    return f"SELECT session_data, expire_date FROM {table} WHERE session_key = %s AND expire_date > %s"


class SessionStore(DatabaseSessionStore):
    # The stored expiry of the session as loaded: None until it is, or when there is none.
    stored_expire_date: datetime | None = None

    def _get_session_from_db(self) -> AbstractBaseSession | None:
        """What Django's database backend does (private to it, so the stubs leave it out: load()
        reads the row here), with a fixed statement: the row if it has not expired, else None
        and no session key."""
        self.stored_expire_date = None
        alias = router.db_for_read(self.model)
        connection = connections[alias]
        with connection.cursor() as cursor:
            now = connection.ops.adapt_datetimefield_value(timezone.now())
            cursor.execute(_read_sql(connection.ops.quote_name(self.model._meta.db_table)), [self.session_key, now])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        data, expire_date = row
        if timezone.is_naive(expire_date):  # SQLite's, in the connection's zone
            expire_date = timezone.make_aware(expire_date, connection.timezone)
        self.stored_expire_date = expire_date
        return self.model(session_key=cast(str, self.session_key), session_data=data, expire_date=expire_date)

    def flush(self) -> None:
        ended = self.session_key
        super().flush()
        if ended:
            realtime.close_session_sockets(ended)

    def cycle_key(self) -> None:
        ended = self.session_key
        super().cycle_key()
        if ended:
            realtime.close_session_sockets(ended)
