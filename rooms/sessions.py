"""Django's database sessions, remembering when the loaded session expires, and ending the
sockets of a session that is replaced.

A socket closes when its sign-in expires (rooms/consumers.py), so the handshake needs the
session row's expire_date. Django reads that row to load the session and then drops the
date; keeping it saves a second query (and a thread hop) on every handshake, which is what a
thousand clients reconnecting at once queue behind.

A session ends for its sockets whenever its key goes: sign-out (`flush`), and a new sign-in in
the same browser (Django's `login` flushes a session of another user and cycles the key of
its own). Hooking the store rather than each view covers every way in: the guest form, the
Google pipeline, the admin login, sign-out. Their sockets, and those opened with a ticket the
session issued, close with 4401 on every process (realtime.close_session_sockets).
"""

from datetime import datetime

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.base_session import AbstractBaseSession

from rooms import realtime


class SessionStore(DatabaseSessionStore):
    # The stored expiry of the session as loaded: None until it is, or when there is none.
    stored_expire_date: datetime | None = None

    def _get_session_from_db(self) -> AbstractBaseSession | None:
        # Private to Django's database backend (so the stubs leave it out): load() reads the row here.
        stored: AbstractBaseSession | None = super()._get_session_from_db()  # type: ignore[misc]
        self.stored_expire_date = stored.expire_date if stored is not None else None
        return stored

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
