"""Rooms' steps in the Google sign-in pipeline (settings.SOCIAL_AUTH_PIPELINE)."""

from typing import Any, cast
from urllib.parse import urlparse

from django.contrib.auth import login
from social_core.backends.base import BaseAuth
from social_django.strategy import DjangoStrategy

from rooms.models import User


def leave_the_guest_behind(
    backend: BaseAuth[Any], user: User | None = None, *args: Any, **kwargs: Any
) -> dict[str, Any] | None:
    """Before the account lookup: a guest who signs in with Google becomes the Google account's
    own user, never the guest with a Google account attached (social-auth's default for a
    signed-in user). What the guest wrote stays the guest's."""
    if user is not None and user.is_guest:
        return {"user": None}
    return None


def sign_in_instead_of_the_guest(backend: BaseAuth[Any], user: User | None = None, *args: Any, **kwargs: Any) -> None:
    """The last step for a guest (see leave_the_guest_behind): social-auth signs nobody in when
    someone already is, so sign the Google account's user in here. Django's login replaces the
    guest's session with a new one, and the old one's sockets close (rooms/sessions.py)."""
    # social_django's strategy (the settings keep its default), which holds the request.
    request = cast(DjangoStrategy, backend.strategy).request
    current = getattr(request, "user", None)
    if request is None or user is None or current is None or not current.is_authenticated or not current.is_guest:
        return None
    login(request, user, backend=f"{type(backend).__module__}.{type(backend).__name__}")
    return None


def save_google_profile(
    backend: BaseAuth[Any], user: User | None = None, response: dict[str, Any] | None = None, *args: Any, **kwargs: Any
) -> None:
    """The last step: keep the profile we show in rooms current."""
    if user is None or not response:
        return None
    name = (response.get("name") or "").strip()[:64]
    picture = response.get("picture") or ""
    # Only an https image URL is ever rendered as an avatar.
    avatar_url = picture if urlparse(picture).scheme == "https" and len(picture) <= 500 else ""
    changed = {field: value for field, value in {"display_name": name, "avatar_url": avatar_url}.items() if value}
    if any(getattr(user, field) != value for field, value in changed.items()):
        for field, value in changed.items():
            setattr(user, field, value)
        user.save(update_fields=list(changed))
    return None
