"""Output shapes shared by REST responses and WebSocket frames (docs/protocol.md)."""

from rest_framework import serializers

from rooms.models import Message, Room, User, shown_name


class AuthorSerializer(serializers.ModelSerializer):
    display_name = serializers.CharField(source="shown_name")

    class Meta:
        model = User
        fields = ["id", "display_name", "avatar_url"]


class UserSerializer(AuthorSerializer):
    class Meta(AuthorSerializer.Meta):
        fields = [*AuthorSerializer.Meta.fields, "is_staff", "is_guest"]


class MessageSerializer(serializers.ModelSerializer):
    room = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    author = AuthorSerializer(read_only=True)
    body = serializers.SerializerMethodField()

    class Meta:
        model = Message
        fields = ["id", "seq", "room", "author", "body", "client_id", "created_at", "edited_at", "deleted"]

    def get_body(self, message: Message) -> str:
        return "" if message.deleted else message.body


class RoomSerializer(serializers.ModelSerializer):
    online_count = serializers.SerializerMethodField()

    class Meta:
        model = Room
        fields = ["slug", "name", "description", "is_archived", "online_count", "last_message_at", "last_seq"]

    def get_online_count(self, room: Room) -> int:
        return self.context.get("online_counts", {}).get(room.id, 0)


# The two shapes every frame carries are built by hand: on the send path DRF's serializer
# machinery cost more than the rest of building a frame (docs/benchmarks.md). The serializers
# above stay the schema's description of the same shapes, and tests compare the two.


def _iso(value) -> str | None:
    """DRF's DateTimeField output: ISO 8601, with UTC written as "Z"."""
    if value is None:
        return None
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def author_data(user: User) -> dict:
    return {"id": user.pk, "display_name": user.shown_name, "avatar_url": user.avatar_url}


def message_data(message: Message) -> dict:
    return {
        "id": message.pk,
        "seq": message.seq,
        "room": message.room.slug,
        "author": author_data(message.author),
        "body": "" if message.deleted else message.body,
        "client_id": message.client_id,
        "created_at": _iso(message.created_at),
        "edited_at": _iso(message.edited_at),
        "deleted": message.deleted,
    }


# The same shapes from columns, for the reads every socket open makes without model instances
# (selectors.room_snapshot). Tests compare them with the model versions above.
AUTHOR_COLUMNS = ("id", "display_name", "first_name", "last_name", "username", "avatar_url")
MESSAGE_COLUMNS = ("id", "seq", "body", "client_id", "created_at", "edited_at", "deleted")


def author_row_data(row) -> dict:
    """`row`: the values of AUTHOR_COLUMNS, in that order."""
    pk, display_name, first_name, last_name, username, avatar_url = row
    name = shown_name(display_name, first_name, last_name, username)
    return {"id": pk, "display_name": name, "avatar_url": avatar_url}


def message_row_data(row, *, room_slug: str) -> dict:
    """`row`: the values of MESSAGE_COLUMNS then of AUTHOR_COLUMNS (the author's), in order,
    with aware datetimes."""
    pk, seq, body, client_id, created_at, edited_at, deleted = row[:7]
    return {
        "id": pk,
        "seq": seq,
        "room": room_slug,
        "author": author_row_data(row[7:]),
        "body": "" if deleted else body,
        "client_id": client_id,
        "created_at": _iso(created_at),
        "edited_at": _iso(edited_at),
        "deleted": bool(deleted),
    }


def user_data(user: User) -> dict:
    # Every socket's hello carries it: at a reconnect storm, DRF's version was 4 % of the
    # handshake's CPU.
    return {**author_data(user), "is_staff": user.is_staff, "is_guest": user.is_guest}
