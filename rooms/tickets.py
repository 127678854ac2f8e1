"""WebSocket tickets: how a front end on another origin opens a socket without the session
cookie (which a cross-site handshake does not carry under SameSite=Lax).

A ticket is short-lived (ROOMS["WS_TICKET_TTL"], 30 s), single-use and signed with the site's
secret. The URL carries only a random nonce and its signature: who it belongs to (the user and
the session that asked, so signing out still closes the socket) is kept server-side in the
shared state under that nonce, and taken out — once — when the socket opens.
"""

import json
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core import signing

from rooms.state import get_state

_SALT = "rooms.ws-ticket"


@dataclass(frozen=True)
class Ticket:
    user_id: int
    session_group: str | None


def ticket_ttl() -> int:
    return settings.ROOMS["WS_TICKET_TTL"]


def ticket_issue(*, user_id: int, session_group: str | None) -> str:
    nonce = secrets.token_urlsafe(24)
    owner = json.dumps({"user_id": user_id, "session_group": session_group})
    get_state().put_once(f"ticket:{nonce}", owner, ttl=ticket_ttl())
    return signing.TimestampSigner(salt=_SALT).sign(nonce)


async def ticket_redeem(token: str) -> Ticket | None:
    """The ticket's owner, or None if it is tampered with, expired or already used."""
    try:
        nonce = signing.TimestampSigner(salt=_SALT).unsign(token, max_age=ticket_ttl())
    except signing.BadSignature:  # SignatureExpired is a BadSignature too
        return None
    owner = await get_state().take_once(f"ticket:{nonce}")
    if owner is None:
        return None
    return Ticket(**json.loads(owner))
