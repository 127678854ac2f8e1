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


# Letters that render blank although Unicode files them as letters or symbols.
_BLANK_LETTERS = {"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800"}
# Marks that make a name look verified or official.
_BADGES = set("\u2713\u2714\u2705\u2611\u2612\u2717\u2718\u2606\u2605\U0001f6e1\U0001f451")
# Scripts whose letters look alike: a word mixing them ("\u0410dmin", a Cyrillic A) only serves to
# pass for someone else.
_LOOKALIKE_SCRIPTS = ("LATIN", "CYRILLIC", "GREEK")


def _script(char: str) -> str | None:
    name = unicodedata.name(char, "")
    return next((script for script in _LOOKALIKE_SCRIPTS if name.startswith(script)), None)


def name_skeleton(name: str) -> str:
    """What a name looks like, for telling whether two names could be taken for each other:
    compatibility forms folded (NFKC), case and spacing ignored."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def clean_display_name(name: object) -> str:
    """A name that shows as what it is: no control or format characters (right-to-left overrides,
    zero-width spaces, byte-order marks), something visible, no verified-looking badges, and no
    word mixing Latin, Cyrillic and Greek letters."""
    if not isinstance(name, str):
        raise ChatError("invalid_field", "`display_name` must be a string.")
    name = unicodedata.normalize("NFKC", name).strip()
    if not name:
        raise ChatError("invalid_display_name", "Choose a display name.")
    if len(name) > DISPLAY_NAME_MAX:
        raise ChatError("invalid_display_name", f"A display name has at most {DISPLAY_NAME_MAX} characters.")
    if _CONTROL.search(name) or not _is_encodable(name) or any(c in name for c in "\t\r\n"):
        raise ChatError("invalid_display_name", "A display name cannot contain control characters.")
    if any(unicodedata.category(c) == "Cf" for c in name):
        raise ChatError("invalid_display_name", "A display name cannot contain invisible formatting characters.")
    visible = [c for c in name if not c.isspace() and c not in _BLANK_LETTERS]
    if not any(unicodedata.category(c)[0] in "LNS" for c in visible):
        raise ChatError("invalid_display_name", "A display name needs a visible letter, digit or symbol.")
    if any(c in _BADGES for c in name):
        raise ChatError("invalid_display_name", "A display name cannot carry badges such as check marks.")
    for word in name.split():
        if len({script for script in map(_script, word) if script}) > 1:
            raise ChatError("invalid_display_name", "A word of a display name cannot mix Latin, Cyrillic and Greek.")
    return name


# What may follow an emoji inside one: skin tones (Sk), variation selectors (Mn), the keycap
# (Me), the zero-width joiner and the tag characters of flag sequences (Cf).
_EMOJI_JOINERS = {"\u200d", "\ufe0f", "\ufe0e", "\u20e3"}
_TAGS = range(0xE0020, 0xE0080)
EMOJI_MAX_CHARS = 16


def clean_emoji(emoji: object) -> str:
    """One emoji as a keyboard's picker types it: a symbol (So) with its modifiers, a zero-width
    joiner sequence, a flag (regional indicators or tags), or a keycap (`1️⃣`). Not text."""
    if not isinstance(emoji, str) or not 0 < len(emoji) <= EMOJI_MAX_CHARS:
        raise ChatError("invalid_emoji", "`emoji` must be one emoji.")
    symbols = 0
    for index, char in enumerate(emoji):
        category = unicodedata.category(char)
        if category == "So":
            symbols += 1
        elif char in "0123456789#*" and emoji[index + 1 : index + 3] in ("\ufe0f\u20e3", "\u20e3"):
            symbols += 1  # a keycap's base
        elif not (char in _EMOJI_JOINERS or ord(char) in _TAGS or category in ("Sk", "Mn", "Me")):
            raise ChatError("invalid_emoji", "`emoji` must be one emoji.")
    # A ZWJ sequence joins several symbols into one; without joiners, two symbols are two emoji
    # (a flag is two regional indicators).
    joined = emoji.count("\u200d")
    indicators = sum(1 for c in emoji if 0x1F1E6 <= ord(c) <= 0x1F1FF)
    flag = symbols == indicators == 2
    if symbols == 0 or (symbols > joined + 1 and not flag) or indicators == 1:
        raise ChatError("invalid_emoji", "`emoji` must be one emoji.")
    return emoji
