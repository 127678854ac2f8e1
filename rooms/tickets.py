"""WebSocket tickets: how a front end on another origin opens a socket without the session
cookie (which a cross-site handshake does not carry under SameSite=Lax).

A ticket is short-lived (TICKET_TTL), single-use, signed with the site's secret, and bound
to the user and to the session that asked for it — so signing out of that session still
closes the socket. It holds no e-mail address, no session key and nothing guessable.
"""

import secrets
from dataclasses import dataclass

from django.core import signing

from rooms.state import get_state

TICKET_TTL = 30
_SALT = "rooms.ws-ticket"


@dataclass(frozen=True)
class Ticket:
    user_id: int
    session_group: str | None


def ticket_issue(*, user_id: int, session_group: str | None) -> str:
    payload = {"u": user_id, "g": session_group, "n": secrets.token_urlsafe(16)}
    return signing.dumps(payload, salt=_SALT, compress=False)


async def ticket_redeem(token: str) -> Ticket | None:
    """The ticket's owner, or None if it is tampered with, expired or already used."""
    try:
        payload = signing.loads(token, salt=_SALT, max_age=TICKET_TTL)
    except signing.BadSignature:  # SignatureExpired is a BadSignature too
        return None
    # Kept a little longer than the ticket lives, so a replay inside its lifetime always fails.
    if not await get_state().claim_once(f"ticket:{payload['n']}", ttl=TICKET_TTL + 5):
        return None
    return Ticket(user_id=payload["u"], session_group=payload["g"])
