from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication

if TYPE_CHECKING:
    # Not at run time: DRF imports this module while its views module is still loading.
    from drf_spectacular.openapi import AutoSchema
    from rest_framework.request import Request


class SessionAuthentication(authentication.SessionAuthentication):
    """DRF's session auth (CSRF enforced on writes), but answering 401 rather than 403 when
    nobody is signed in, so the app can tell "sign in" apart from "not allowed"."""

    def authenticate_header(self, request: Request) -> str:
        return 'Session realm="rooms"'


class SessionAuthenticationScheme(OpenApiAuthenticationExtension):
    """Describes the session cookie in the OpenAPI schema."""

    target_class = SessionAuthentication
    name = "sessionCookie"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, Any]:
        return {"type": "apiKey", "in": "cookie", "name": settings.SESSION_COOKIE_NAME}
