from rest_framework import authentication


class SessionAuthentication(authentication.SessionAuthentication):
    """DRF's session auth (CSRF enforced on writes), but answering 401 rather than 403 when
    nobody is signed in, so the app can tell "sign in" apart from "not allowed"."""

    def authenticate_header(self, request):
        return 'Session realm="rooms"'
