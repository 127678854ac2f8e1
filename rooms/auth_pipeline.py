"""The last step of the Google sign-in pipeline: keep the profile we show in rooms current."""

from urllib.parse import urlparse

from rooms.models import User


def save_google_profile(backend, user: User | None = None, response: dict | None = None, *args, **kwargs):
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
