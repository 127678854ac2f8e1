"""Lockout after repeated failed password sign-ins (the admin's login form), by django-axes.

Axes counts failures per account and per client address in the database, so every process
sees the same counts (settings: AXES_*). Only password sign-ins are counted: Google signs its
users in itself, and a guest has no password."""

from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_cool_off
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


# django-axes ships no types: its backend is Any to mypy.
class PasswordLockoutBackend(AxesStandaloneBackend):  # type: ignore[misc]
    """Axes' backend for password sign-ins over HTTP only. Axes refuses any authenticate()
    without a request. Social-auth's pipeline calls it without one, and so do a shell and
    Django's test client (`Client.login`): none is a sign-in over the network to count."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> AbstractBaseUser | None:
        if password is None or request is None:
            return None
        user: AbstractBaseUser | None = super().authenticate(request, username=username, password=password, **kwargs)
        return user


def locked_out_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict[str, Any] | None = None
) -> HttpResponse:
    """What a locked-out client gets (settings.AXES_LOCKOUT_CALLABLE): a readable page, 429,
    and when to come back."""
    wait = get_cool_off(request)
    seconds = max(1, int(wait.total_seconds())) if wait else 3600
    response = render(request, "signin_locked_out.html", {"minutes": -(-seconds // 60)}, status=429)
    response["Retry-After"] = str(seconds)
    return response
