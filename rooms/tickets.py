"""WebSocket tickets: how a front end on another origin opens a socket without the session
cookie (which a cross-site handshake does not carry under SameSite=Lax).

A ticket is short-lived (ROOMS["WS_TICKET_TTL"], 30 s), single-use and signed with the site's
secret. The URL carries only a random nonce and its signature: who it belongs to (the user and
the session that asked) is kept server-side in the shared state under that nonce, and taken out
— once — when the socket opens. A ticket is good only while that session is: one taken after
sign-out (or after a new sign-in replaced the session) is refused, and the socket it opens
closes with its session.
"""

import json
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.sessions.models import Session
from django.core import signing
from django.utils import timezone

from rooms import realtime
from rooms.state import get_state
from rooms.workers import db_read

_SALT = "rooms.ws-ticket"


@dataclass(frozen=True)
class Ticket:
    user_id: int
    session_key: str

    @property
    def session_group(self) -> str:
        return realtime.session_group(self.session_key)


def ticket_ttl() -> int:
    return settings.ROOMS["WS_TICKET_TTL"]


def ticket_issue(*, user_id: int, session_key: str) -> str:
    nonce = secrets.token_urlsafe(24)
    # Server-side only (Redis, or this process's memory): the URL never carries it.
    owner = json.dumps({"user_id": user_id, "session_key": session_key})
    get_state().put_once(f"ticket:{nonce}", owner, ttl=ticket_ttl())
    return signing.TimestampSigner(salt=_SALT).sign(nonce)


async def ticket_redeem(token: str) -> Ticket | None:
    """The ticket's owner, or None if it is tampered with, expired, already used, or its session
    has ended since it was issued."""
    try:
        nonce = signing.TimestampSigner(salt=_SALT).unsign(token, max_age=ticket_ttl())
    except signing.BadSignature:  # SignatureExpired is a BadSignature too
        return None
    owner = await get_state().take_once(f"ticket:{nonce}")
    if owner is None:
        return None
    ticket = Ticket(**json.loads(owner))
    return ticket if await _session_alive(ticket.session_key) else None


@db_read
def _session_alive(session_key: str) -> bool:
    return Session.objects.filter(session_key=session_key, expire_date__gt=timezone.now()).exists()
