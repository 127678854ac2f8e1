"""What a message body mentions: `<@id>` names a user, `@room` everyone in the room
(docs/protocol.md, "Unread, read positions, mentions and notifications").

The grammar is the front end's too: both run the cases in frontend/src/lib/mention-cases.json.
This module only reads text; which ids are members of the room, and who may use @room, is
decided by rooms/membership.py with the database.
"""

import re
from dataclasses import dataclass

# 1-18 digits without a leading zero: an id a bigint holds, written one way only.
_USER_TOKEN = re.compile(r"<@([1-9][0-9]{0,17})>")
# A whole word: not glued to a letter, digit, `_` or `@` before, nor a letter, digit or `_` after
# (so `me@room.com` and `@rooms` are text). Python's \w is Unicode letters, digits and `_`: the
# front end's [\p{L}\p{N}_].
_ROOM_WORD = re.compile(r"(?<![\w@])@room(?!\w)")


@dataclass(frozen=True)
class MentionRefs:
    user_ids: tuple[int, ...]  # each once, in order of first appearance
    room: bool

    def __bool__(self) -> bool:
        return bool(self.user_ids) or self.room


NO_MENTIONS = MentionRefs((), False)


def may_mention(body: str) -> bool:
    """A cheap test first: most messages mention no one, and skip the rest of the work."""
    return "@" in body


def parse(body: str) -> MentionRefs:
    if not may_mention(body):
        return NO_MENTIONS
    user_ids = tuple(dict.fromkeys(int(match) for match in _USER_TOKEN.findall(body)))
    return MentionRefs(user_ids, _ROOM_WORD.search(body) is not None)
