"""Validation rules for what people type: message bodies, idempotency keys, display names.
Shared by the REST API and the WebSocket consumer, so both refuse the same input the same way."""

import re
import unicodedata

from django.conf import settings

from rooms.errors import ChatError

_CLIENT_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
# Tab and newline are text; every other C0/C1 control is refused. Carriage returns never get
# here: a body's line endings are made "\n" first, as browsers do with form fields.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_LINE_ENDING = re.compile(r"\r\n?")
# A cursor or count in a query string: ASCII digits only (str.isdigit() also takes "²" and "①",
# which int() refuses), and few enough that no one makes the server convert a huge number.
_NON_NEGATIVE_INT = re.compile(r"[0-9]{1,18}")
DISPLAY_NAME_MAX = 32


def _is_encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates from "\ud800"-style JSON escapes
        return False
    return True


def clean_body(body: object) -> str:
    if not isinstance(body, str):
        raise ChatError("invalid_field", "`body` must be a string.")
    body = _LINE_ENDING.sub("\n", body)
    if not body.strip():
        raise ChatError("empty_body", "The message is empty.")
    limit = settings.ROOMS["MESSAGE_MAX_LENGTH"]
    if len(body) > limit:
        raise ChatError("body_too_long", f"The message is longer than {limit} characters.")
    if _CONTROL.search(body) or not _is_encodable(body):
        raise ChatError("invalid_body", "The message contains control characters or invalid text.")
    # Otherwise stored exactly as typed: edits and round trips must give back the same text.
    return body


def clean_client_id(client_id: object) -> str:
    if not isinstance(client_id, str) or not _CLIENT_ID.match(client_id):
        raise ChatError("invalid_client_id", "`client_id` must be 1–64 characters of letters, digits and _ - . :")
    return client_id


def non_negative_int(text: str) -> int | None:
    """`text` as a non-negative integer, or None if it is not one (1–18 ASCII digits)."""
    return int(text) if _NON_NEGATIVE_INT.fullmatch(text) else None


def clean_display_name(name: object) -> str:
    if not isinstance(name, str):
        raise ChatError("invalid_field", "`display_name` must be a string.")
    name = unicodedata.normalize("NFC", name).strip()
    if not name:
        raise ChatError("invalid_display_name", "Choose a display name.")
    if len(name) > DISPLAY_NAME_MAX:
        raise ChatError("invalid_display_name", f"A display name has at most {DISPLAY_NAME_MAX} characters.")
    if _CONTROL.search(name) or not _is_encodable(name) or any(c in name for c in "\t\r\n"):
        raise ChatError("invalid_display_name", "A display name cannot contain control characters.")
    return name
