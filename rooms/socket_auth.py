"""Who is on the other end of a socket, and until when.

Runs after Channels' session AuthMiddleware: when the handshake carried no signed-in session
but a `?ticket=`, the ticket decides. Either way it records which groups close the socket
(sign-out of the session, deactivation of the user) and when the sign-in expires."""

from urllib.parse import parse_qs

from channels.auth import AuthMiddleware, UserLazyObject, get_user
from channels.middleware import BaseMiddleware
from django.contrib.auth import get_user_model
from django.utils import timezone

from rooms import realtime
from rooms.tickets import ticket_redeem
from rooms.workers import db_read


class SessionUserMiddleware(AuthMiddleware):
    """Channels' AuthMiddleware, reading the session and its user on the read pool
    (rooms/workers.py) rather than on the one thread every database call of the process
    queues on: when a thousand clients reconnect at once, each handshake needs them."""

    async def resolve_scope(self, scope):
        # The user itself rather than inside Channels' lazy wrapper, resolved here anyway:
        # every attribute read through the wrapper costs ten times a plain one (2.8 against
        # 0.25 µs), and each send reads its author's several times.
        user = await _session_user(scope)
        if isinstance(scope["user"], UserLazyObject):  # else a user an outer layer set stays
            scope["user"] = user


@db_read
def _session_user(scope):
    # get_user is Channels' own function (session, backend, auth hash check); .func is its
    # plain synchronous body, without the decorator's choice of thread. Loading the session
    # also reads its expiry (rooms/sessions.py), for SocketAuthMiddleware.
    return get_user.func(scope)


@db_read
def _active_user(user_id: int):
    return get_user_model().objects.filter(pk=user_id, is_active=True).first()


class SocketAuthMiddleware(BaseMiddleware):
    async def __call__(self, scope, receive, send):
        scope = dict(scope)
        user = scope.get("user")
        session = scope.get("session")
        scope["auth_expires_at"] = None
        scope["signout_group"] = None
        if user is not None and user.is_authenticated and session is not None and session.session_key:
            scope["signout_group"] = realtime.session_group(session.session_key)
            scope["auth_expires_at"] = session.stored_expire_date
        else:
            token = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("ticket", [None])[0]
            ticket = await ticket_redeem(token) if token else None
            ticket_user = await _active_user(ticket.user_id) if ticket else None
            if ticket_user is not None:
                scope["user"] = ticket_user
                scope["signout_group"] = ticket.session_group
        return await super().__call__(scope, receive, send)


def seconds_until(moment) -> float | None:
    return None if moment is None else (moment - timezone.now()).total_seconds()
