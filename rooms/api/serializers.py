"""Request shapes, for the OpenAPI schema. The rules themselves live in rooms/rules.py so the
WebSocket and REST paths refuse bad input with the same error codes."""

from typing import Any

from django.conf import settings
from rest_framework import serializers

from rooms.rules import DISPLAY_NAME_MAX
from rooms.serializers import AuthorSerializer, MessageSerializer, RoomSerializer, UserSerializer

MESSAGE_MAX_LENGTH = settings.ROOMS["MESSAGE_MAX_LENGTH"]


class GuestSignInInput(serializers.Serializer[Any]):
    display_name = serializers.CharField(max_length=DISPLAY_NAME_MAX)


class MessageCreateInput(serializers.Serializer[Any]):
    body = serializers.CharField(max_length=MESSAGE_MAX_LENGTH, trim_whitespace=False)
    client_id = serializers.CharField(max_length=64)
    reply_to = serializers.IntegerField(required=False, help_text="The id of the message this one answers.")


class ReactionInput(serializers.Serializer[Any]):
    emoji = serializers.CharField(max_length=16, help_text="One emoji.")
    on = serializers.BooleanField(help_text="Add (true) or remove (false) your reaction.")


class MessageEditInput(serializers.Serializer[Any]):
    body = serializers.CharField(max_length=MESSAGE_MAX_LENGTH, trim_whitespace=False)


class MembershipOutput(serializers.Serializer[Any]):
    room = serializers.CharField(help_text="The room's slug.")
    read_seq = serializers.IntegerField(help_text="The seq of the newest message read.")
    notify = serializers.ChoiceField(choices=["all", "mentions", "muted"])
    unread_count = serializers.IntegerField()
    mention_count = serializers.IntegerField()
    mention_seqs = serializers.ListField(child=serializers.IntegerField(), help_text="At most 100, oldest first.")


class MembershipInput(serializers.Serializer[Any]):
    read_seq = serializers.IntegerField(required=False, min_value=0, help_text="Never moves the position back.")
    notify = serializers.ChoiceField(choices=["all", "mentions", "muted"], required=False)


class MemberOutput(AuthorSerializer):
    online = serializers.BooleanField()

    class Meta(AuthorSerializer.Meta):
        fields = [*AuthorSerializer.Meta.fields, "online"]


class MemberListOutput(serializers.Serializer[Any]):
    members = MemberOutput(many=True)


class MessagePageOutput(serializers.Serializer[Any]):
    messages = MessageSerializer(many=True)
    has_more = serializers.BooleanField()


class SearchOutput(serializers.Serializer[Any]):
    results = MessageSerializer(many=True, help_text="Newest first; each message's `room` is its room's slug.")
    terms = serializers.ListField(child=serializers.CharField(), help_text="The words searched for, lower-cased.")
    has_more = serializers.BooleanField(help_text="Older results exist: ask again with `before` the last id.")


class PresenceOutput(serializers.Serializer[Any]):
    online = AuthorSerializer(many=True, help_text="At most ONLINE_LIST_MAX of the users online.")
    online_count = serializers.IntegerField()
    version = serializers.IntegerField(help_text="Newer snapshots and frames have larger versions.")


class RoomChangesOutput(serializers.Serializer[Any]):
    room = RoomSerializer()
    event = serializers.IntegerField(help_text="Set the client's head to it.")
    messages = MessageSerializer(many=True)
    has_more = serializers.BooleanField(help_text="On a window: older history exists.")
    resync = serializers.BooleanField(help_text="Replace what the client holds with `messages`.")
    presence = PresenceOutput(required=False, help_text="With `connection`: who is online now.")
    typing = AuthorSerializer(many=True, required=False, help_text="With `connection`: others typing now.")
    membership = MembershipOutput(required=False, help_text="With `connection`: the user's membership.")


class RoomListOutput(serializers.Serializer[Any]):
    rooms = RoomSerializer(many=True)
    memberships = MembershipOutput(many=True, help_text="The rooms the user has entered: unread counts.")


class LimitsOutput(serializers.Serializer[Any]):
    message_max_length = serializers.IntegerField()
    display_name_max_length = serializers.IntegerField()
    mentions_max = serializers.IntegerField()
    search_query_max_length = serializers.IntegerField()


class AuthConfigOutput(serializers.Serializer[Any]):
    guest_enabled = serializers.BooleanField()
    google_enabled = serializers.BooleanField()
    google_login_url = serializers.CharField(allow_null=True)
    limits = LimitsOutput()
    user = UserSerializer(allow_null=True, help_text="The signed-in user, or null.")


class CsrfOutput(serializers.Serializer[Any]):
    csrf_token = serializers.CharField()


class TicketOutput(serializers.Serializer[Any]):
    ticket = serializers.CharField()
    expires_in = serializers.IntegerField(help_text="Seconds the ticket stays valid; it works once.")


class ErrorBody(serializers.Serializer[Any]):
    code = serializers.CharField()
    detail = serializers.CharField()
    retry_after = serializers.IntegerField(required=False)
    # A declared field, which DRF's metaclass moves out of the class: Serializer.fields stays.
    fields = serializers.DictField(required=False)  # type: ignore[assignment]


class ErrorOutput(serializers.Serializer[Any]):
    error = ErrorBody()
