"""Which browser origins may open a socket with the user's cookie.

Cookies ride along on cross-site WebSocket handshakes, so without this check any page on
the web could open a socket as the visitor (cross-site WebSocket hijacking)."""

import logging

from channels.security.websocket import OriginValidator
from django.conf import settings

logger = logging.getLogger("rooms.security")


class SiteOriginValidator(OriginValidator):
    """Channels' validator, fed from settings at each handshake (not frozen at import), and
    logging every refusal."""

    def __init__(self, application):
        super().__init__(application, allowed_origins=[])

    def valid_origin(self, parsed_origin):
        # Same-origin pages (ALLOWED_HOSTS) plus the separately hosted front ends.
        self.allowed_origins = [*settings.ALLOWED_HOSTS, *settings.CORS_ALLOWED_ORIGINS]
        valid = super().valid_origin(parsed_origin)
        if not valid:
            shown = parsed_origin.geturl() if parsed_origin is not None else "(no Origin header)"
            logger.warning("refused WebSocket handshake from origin %s", shown)
        return valid
