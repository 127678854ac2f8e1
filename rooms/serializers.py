"""Output shapes shared by REST responses and WebSocket frames (docs/protocol.md)."""

from rest_framework import serializers

from rooms.models import Message, Room, User


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


def message_data(message: Message) -> dict:
    return MessageSerializer(message).data


def author_data(user: User) -> dict:
    return AuthorSerializer(user).data


def user_data(user: User) -> dict:
    return UserSerializer(user).data
