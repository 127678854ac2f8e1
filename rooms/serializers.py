"""Output shapes shared by REST responses and WebSocket frames (docs/protocol.md)."""

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TypedDict, overload

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from rooms.models import Message, Reaction, Room, User


class AuthorSerializer(serializers.ModelSerializer[User]):
    display_name = serializers.CharField(source="shown_name")

    class Meta:
        model = User
        # is_staff: the UI marks staff from this flag, so that no display name can pass for one.
        fields = ["id", "display_name", "avatar_url", "is_staff"]


class UserSerializer(AuthorSerializer):
    class Meta(AuthorSerializer.Meta):
        fields = [*AuthorSerializer.Meta.fields, "is_guest"]


class ReplySerializer(serializers.Serializer[object]):
    """The message a reply answers, as it is now (docs/protocol.md, "Replies and reactions")."""

    id = serializers.IntegerField()
    seq = serializers.IntegerField()
    author = AuthorSerializer()
    excerpt = serializers.CharField(help_text="Its first line, at most 140 characters; empty when deleted.")
    deleted = serializers.BooleanField()


class ReactionSerializer(serializers.Serializer[object]):
    emoji = serializers.CharField()
    users = AuthorSerializer(many=True, help_text="Who reacted with it, first first.")


class MessageSerializer(serializers.ModelSerializer[Message]):
    room: serializers.SlugRelatedField[Room] = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    author = AuthorSerializer(read_only=True)
    body = serializers.SerializerMethodField()
    mentions = serializers.SerializerMethodField()

    class Meta:
        model = Message
        fields = [
            "id",
            "seq",
            "event",
            "room",
            "author",
            "body",
            "client_id",
            "created_at",
            "edited_at",
            "deleted",
            "mentions",
            "mentions_room",
            "reply_to",
            "reactions",
        ]

    def get_body(self, message: Message) -> str:
        return "" if message.deleted else message.body

    @extend_schema_field(AuthorSerializer(many=True))
    def get_mentions(self, message: Message) -> list["AuthorData"]:
        return message_data(message)["mentions"]

    @extend_schema_field(ReplySerializer(allow_null=True))
    def get_reply_to(self, message: Message) -> "ReplyData | None":
        return message_data(message)["reply_to"]

    @extend_schema_field(ReactionSerializer(many=True))
    def get_reactions(self, message: Message) -> list["ReactionData"]:
        return message_data(message)["reactions"]


class RoomSerializer(serializers.ModelSerializer[Room]):
    online_count = serializers.SerializerMethodField()

    class Meta:
        model = Room
        fields = [
            "slug",
            "name",
            "description",
            "is_archived",
            "online_count",
            "last_message_at",
            "last_seq",
            "last_event",
            "allow_room_mention",
        ]

    def get_online_count(self, room: Room) -> int:
        online_counts: dict[int, int] = self.context.get("online_counts", {})
        return online_counts.get(room.id, 0)


# The shapes frames carry are built by hand: on the send path DRF's serializer
# machinery cost more than the rest of building a frame (a profile of S1; no result file kept). The serializers
# above stay the schema's description of the same shapes, and tests compare them. The same
# shapes read as rows, without model instances, are built in rooms/message_store.py.


class AuthorData(TypedDict):
    id: int
    display_name: str
    avatar_url: str
    is_staff: bool


class UserData(AuthorData):
    is_guest: bool


class ReplyData(TypedDict):
    id: int
    seq: int
    author: AuthorData
    excerpt: str
    deleted: bool


class ReactionData(TypedDict):
    emoji: str
    users: list[AuthorData]


class MessageData(TypedDict):
    id: int
    seq: int
    event: int
    room: str  # the room's slug
    author: AuthorData
    body: str
    client_id: str
    created_at: str
    edited_at: str | None
    deleted: bool
    mentions: list[AuthorData]  # the users <@id> names, as they are named now
    mentions_room: bool
    reply_to: ReplyData | None
    reactions: list[ReactionData]


class RoomData(TypedDict):
    """The Room shape less online_count (which is presence, not the room's state)."""

    slug: str
    name: str
    description: str
    is_archived: bool
    last_message_at: str | None
    last_seq: int
    last_event: int
    allow_room_mention: bool


@overload
def iso_datetime(value: datetime) -> str: ...
@overload
def iso_datetime(value: None) -> None: ...
@overload
def iso_datetime(value: datetime | None) -> str | None: ...
def iso_datetime(value: datetime | None) -> str | None:
    """DRF's DateTimeField output: ISO 8601, with UTC written as "Z"."""
    if value is None:
        return None
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def author_data(user: User) -> AuthorData:
    return {"id": user.pk, "display_name": user.shown_name, "avatar_url": user.avatar_url, "is_staff": user.is_staff}


def mentioned_authors(user_ids: Iterable[int]) -> dict[int, AuthorData]:
    """The authors `user_ids` name, by id: one query, for a message or a page of them."""
    ids = set(user_ids)
    if not ids:
        return {}
    return {user.pk: author_data(user) for user in User.objects.filter(pk__in=ids)}


EXCERPT_MAX = 140


def excerpt(body: str, deleted: bool) -> str:
    """What a reply quotes of its original: the first line, cut to EXCERPT_MAX characters."""
    return "" if deleted else body.split("\n", 1)[0][:EXCERPT_MAX]


def reply_data(original: Message) -> ReplyData:
    return {
        "id": original.pk,
        "seq": original.seq,
        "author": author_data(original.author),
        "excerpt": excerpt(original.body, original.deleted),
        "deleted": original.deleted,
    }


def reactions_by_message(message_ids: Iterable[int]) -> dict[int, list[ReactionData]]:
    """The reactions of these messages, each emoji in the order it was first used: one query."""
    by_message: dict[int, dict[str, list[AuthorData]]] = {}
    for reaction in Reaction.objects.filter(message_id__in=set(message_ids)).select_related("user").order_by("id"):
        emoji = by_message.setdefault(reaction.message_id, {})
        emoji.setdefault(reaction.emoji, []).append(author_data(reaction.user))
    return {
        message_id: [{"emoji": emoji, "users": users} for emoji, users in emojis.items()]
        for message_id, emojis in by_message.items()
    }


def message_data(
    message: Message,
    mentioned: Mapping[int, AuthorData] | None = None,
    reactions: Mapping[int, list[ReactionData]] | None = None,
) -> MessageData:
    """`mentioned`, `reactions`: the authors of the message's mentions and its reactions, read
    for a page at once (mentioned_authors, reactions_by_message); without them they are read
    here, each only for a message that has any. The original of a reply is read through the
    relation unless the caller selected it with the message."""
    ids: list[int] = [] if message.deleted else message.mentions
    if ids and mentioned is None:
        mentioned = mentioned_authors(ids)
    if reactions is None:
        reactions = reactions_by_message([message.pk]) if message.reaction_count else {}
    return {
        "id": message.pk,
        "seq": message.seq,
        "event": message.event,
        "room": message.room.slug,
        "author": author_data(message.author),
        "body": "" if message.deleted else message.body,
        "client_id": message.client_id,
        "created_at": iso_datetime(message.created_at),
        "edited_at": iso_datetime(message.edited_at),
        "deleted": message.deleted,
        "mentions": [mentioned[uid] for uid in ids if mentioned is not None and uid in mentioned],
        "mentions_room": message.mentions_room and not message.deleted,
        "reply_to": reply_data(message.reply_to) if message.reply_to_id is not None and message.reply_to else None,
        "reactions": [] if message.deleted else reactions.get(message.pk, []),
    }


def room_data(room: Room) -> RoomData:
    """The Room shape less online_count (which is presence, not the room's state)."""
    return {
        "slug": room.slug,
        "name": room.name,
        "description": room.description,
        "is_archived": room.is_archived,
        "last_message_at": iso_datetime(room.last_message_at),
        "last_seq": room.last_seq,
        "last_event": room.last_event,
        "allow_room_mention": room.allow_room_mention,
    }


def user_data(user: User) -> UserData:
    # Every socket's hello carries it: at a reconnect storm, DRF's version was 4 % of the
    # handshake's CPU.
    return {**author_data(user), "is_guest": user.is_guest}
