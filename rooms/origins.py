"""Which browser origins may open a socket with the user's cookie.

Cookies ride along on cross-site WebSocket handshakes, so without this check any page on
the web could open a socket as the visitor (cross-site WebSocket hijacking)."""

import logging

from channels.security.websocket import OriginValidator
from django.conf import settings

logger = logging.getLogger("rooms.security")


def allowed_origins() -> list[str]:
    """ALLOWED_HOSTS (same-origin pages) plus the separately hosted front ends in CORS_ALLOWED_ORIGINS."""
    return [*settings.ALLOWED_HOSTS, *settings.CORS_ALLOWED_ORIGINS]


class LoggingOriginValidator(OriginValidator):
    def valid_origin(self, parsed_origin):
        valid = super().valid_origin(parsed_origin)
        if not valid:
            logger.warning(
                "refused WebSocket handshake from origin %s", parsed_origin.geturl() if parsed_origin else None
            )
        return valid


def origin_validator(application):
    return LoggingOriginValidator(application, allowed_origins())
