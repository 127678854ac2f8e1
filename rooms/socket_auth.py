"""Who is on the other end of a socket, and until when.

Runs after Channels' session AuthMiddleware: when the handshake carried no signed-in session
but a `?ticket=`, the ticket decides. Either way it records which groups close the socket
(sign-out of the session, deactivation of the user) and when the sign-in expires."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import parse_qs

from channels.auth import AuthMiddleware, UserLazyObject
from channels.middleware import BaseMiddleware
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model, load_backend
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from rooms import realtime
from rooms.tickets import ticket_redeem
from rooms.workers import db_read

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from asgiref.typing import ASGIReceiveCallable, ASGISendCallable
    from channels.consumer import _ChannelScope
    from channels.utils import _ChannelApplication
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.sessions.backends.base import SessionBase

    from rooms.models import User


class SessionUserMiddleware(AuthMiddleware):
    """Channels' AuthMiddleware, reading the session and its user on the read pool
    (rooms/workers.py) rather than on the one thread every database call of the process
    queues on: when a thousand clients reconnect at once, each handshake needs them."""

    async def resolve_scope(self, scope: _ChannelScope) -> None:
        # The user itself rather than inside Channels' lazy wrapper, resolved here anyway:
        # every attribute read through the wrapper costs ten times a plain one (2.8 against
        # 0.25 µs), and each send reads its author's several times.
        user = await _session_user(scope)
        if isinstance(scope["user"], UserLazyObject):  # else a user an outer layer set stays
            scope["user"] = user  # type: ignore[typeddict-item]  # the stubs allow only the lazy wrapper


@db_read
def _session_user(scope: _ChannelScope) -> AbstractBaseUser | AnonymousUser:
    # Loading the session also reads its expiry (rooms/sessions.py), for SocketAuthMiddleware.
    session = scope.get("session")
    user = _signed_in_user(session) if session is not None else None
    if user is not None:
        return user
    # The backend answers "nobody" for a deactivated account too; the socket tells that apart
    # (4403, do not reconnect) from a sign-in that ended (4401): the session's own user, if it
    # is deactivated and the session still verifies against it.
    return _deactivated_session_user(session) or AnonymousUser()


def _signed_in_user(session: SessionBase) -> AbstractBaseUser | None:
    """Channels' get_user (itself Django's, for a scope): the session's user through the
    backend that signed them in, if the session still verifies against them; a session that
    does not is flushed, as Django does. ModelBackend's lookup (guests, passwords) reads the
    user with a fixed statement, as rooms/sessions.py reads the session (the gain is measured
    there), on every socket open."""
    try:
        user_id = get_user_model()._meta.pk.to_python(session[SESSION_KEY])
        backend_path = session[BACKEND_SESSION_KEY]
    except (KeyError, ValidationError):
        return None
    if backend_path not in settings.AUTHENTICATION_BACKENDS:
        return None
    backend = load_backend(backend_path)
    if type(backend).get_user is ModelBackend.get_user:
        found = _user_read(user_id)
        user = found if found is not None and cast(ModelBackend, backend).user_can_authenticate(found) else None
    else:
        user = backend.get_user(user_id)
    if user is None:
        return None
    if not _session_verifies(session, user):
        session.flush()
        return None
    return user


def _session_verifies(session: SessionBase, user: AbstractBaseUser) -> bool:
    """The session was signed in with the user's current password (Django's session hash)."""
    session_hash = session.get(HASH_SESSION_KEY) or ""
    return bool(session_hash) and constant_time_compare(session_hash, user.get_session_auth_hash())


@functools.cache
def _user_reader() -> tuple[str, list[tuple[int, list[Callable[..., Any]], Any]]]:
    """The statement, and per column that needs one its converters (SQLite's datetimes and
    booleans), as the ORM's compiler would apply them."""
    user_model = get_user_model()
    quote = connection.ops.quote_name
    fields = user_model._meta.concrete_fields
    sql = (
        f"SELECT {', '.join(quote(str(field.column)) for field in fields)} "
        f"FROM {quote(user_model._meta.db_table)} WHERE {quote(str(user_model._meta.pk.column))} = %s"
    )
    converters = []
    for index, field in enumerate(fields):
        column = field.cached_col
        found = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
        if found:
            converters.append((index, found, column))
    return sql, converters


def _user_read(user_id: Any) -> User | None:
    """The user as `User.objects.get(pk=user_id)` reads them, or None."""
    sql, converters = _user_reader()
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id])
        row = cursor.fetchone()
    if row is None:
        return None
    values = list(row)
    for index, convert_all, column in converters:
        for convert in convert_all:
            values[index] = convert(values[index], column, connection)
    # field_names None: Django reads it only when the values leave out some field, and these give every one.
    return get_user_model().from_db(connection.alias, None, values)  # type: ignore[arg-type]


def _deactivated_session_user(session: SessionBase | None) -> User | None:
    if session is None or SESSION_KEY not in session:
        return None
    try:
        user_id = get_user_model()._meta.pk.to_python(session[SESSION_KEY])
    except ValidationError:
        return None
    user = _user_read(user_id)
    if user is None or user.is_active or not _session_verifies(session, user):
        return None
    return user


@db_read
def _active_user(user_id: int) -> User | None:
    return get_user_model().objects.filter(pk=user_id, is_active=True).first()


class SocketAuthMiddleware(BaseMiddleware):
    async def __call__(
        self, scope: _ChannelScope, receive: ASGIReceiveCallable, send: ASGISendCallable
    ) -> _ChannelApplication:
        # A copy with this middleware's keys added, which the stubs' scope type does not have.
        scope_copy: dict[str, Any] = dict(scope)
        user = scope_copy.get("user")
        session = scope_copy.get("session")
        scope_copy["auth_expires_at"] = None
        scope_copy["signout_group"] = None
        if user is not None and user.is_authenticated and session is not None and session.session_key:
            scope_copy["signout_group"] = realtime.session_group(session.session_key)
            scope_copy["auth_expires_at"] = session.stored_expire_date
        else:
            token = parse_qs(scope_copy.get("query_string", b"").decode("latin-1")).get("ticket", [None])[0]
            ticket = await ticket_redeem(token) if token else None
            ticket_user = await _active_user(ticket.user_id) if ticket else None
            if ticket is not None and ticket_user is not None:
                scope_copy["user"] = ticket_user
                scope_copy["signout_group"] = ticket.session_group
        return await super().__call__(cast("_ChannelScope", scope_copy), receive, send)


def seconds_until(moment: datetime | None) -> float | None:
    return None if moment is None else (moment - timezone.now()).total_seconds()
