from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication


class SessionAuthentication(authentication.SessionAuthentication):
    """DRF's session auth (CSRF enforced on writes), but answering 401 rather than 403 when
    nobody is signed in, so the app can tell "sign in" apart from "not allowed"."""

    def authenticate_header(self, request):
        return 'Session realm="rooms"'


class SessionAuthenticationScheme(OpenApiAuthenticationExtension):
    """Describes the session cookie in the OpenAPI schema."""

    target_class = SessionAuthentication
    name = "sessionCookie"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": settings.SESSION_COOKIE_NAME}
