"""Django's database sessions, remembering when the loaded session expires.

A socket closes when its sign-in expires (rooms/consumers.py), so the handshake needs the
session row's expire_date. Django reads that row to load the session and then drops the
date; keeping it saves a second query (and a thread hop) on every handshake, which is what a
thousand clients reconnecting at once queue behind.
"""

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore


class SessionStore(DatabaseSessionStore):
    # The stored expiry of the session as loaded: None until it is, or when there is none.
    stored_expire_date = None

    def _get_session_from_db(self):
        stored = super()._get_session_from_db()
        self.stored_expire_date = stored.expire_date if stored is not None else None
        return stored
