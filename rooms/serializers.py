"""Output shapes shared by REST responses and WebSocket frames (docs/protocol.md)."""

from datetime import datetime
from typing import TypedDict, overload

from rest_framework import serializers

from rooms.models import Message, Room, User


class AuthorSerializer(serializers.ModelSerializer[User]):
    display_name = serializers.CharField(source="shown_name")

    class Meta:
        model = User
        # is_staff: the UI marks staff from this flag, so that no display name can pass for one.
        fields = ["id", "display_name", "avatar_url", "is_staff"]


class UserSerializer(AuthorSerializer):
    class Meta(AuthorSerializer.Meta):
        fields = [*AuthorSerializer.Meta.fields, "is_guest"]


class MessageSerializer(serializers.ModelSerializer[Message]):
    room: serializers.SlugRelatedField[Room] = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    author = AuthorSerializer(read_only=True)
    body = serializers.SerializerMethodField()

    class Meta:
        model = Message
        fields = ["id", "seq", "event", "room", "author", "body", "client_id", "created_at", "edited_at", "deleted"]

    def get_body(self, message: Message) -> str:
        return "" if message.deleted else message.body


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


class RoomData(TypedDict):
    """The Room shape less online_count (which is presence, not the room's state)."""

    slug: str
    name: str
    description: str
    is_archived: bool
    last_message_at: str | None
    last_seq: int
    last_event: int


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


def message_data(message: Message) -> MessageData:
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
    }


def user_data(user: User) -> UserData:
    # Every socket's hello carries it: at a reconnect storm, DRF's version was 4 % of the
    # handshake's CPU.
    return {**author_data(user), "is_guest": user.is_guest}
