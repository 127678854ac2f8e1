from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A person: a Google account or a guest who picked a display name."""

    display_name = models.CharField(max_length=64, blank=True)
    avatar_url = models.URLField(max_length=500, blank=True)
    is_guest = models.BooleanField(default=False)

    @property
    def shown_name(self) -> str:
        return shown_name(self.display_name, self.first_name, self.last_name, self.username)


def shown_name(display_name: str, first_name: str, last_name: str, username: str) -> str:
    """The name shown for a user: one rule for model instances and for rows read without them
    (rooms/message_store.py). The middle is AbstractUser.get_full_name()."""
    return display_name or f"{first_name} {last_name}".strip() or username


class Room(models.Model):
    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100)
    description = models.CharField(max_length=300, blank=True)
    is_archived = models.BooleanField(default=False, help_text="Archived rooms are read-only.")
    position = models.PositiveIntegerField(default=0, help_text="Lower comes first in the list.")
    created_at = models.DateTimeField(auto_now_add=True)
    # Denormalised so the room list needs no aggregate over messages; only ever changed by the
    # send statements (rooms/message_store.py) inside their transaction.
    last_seq = models.PositiveBigIntegerField(default=0, editable=False)
    last_message_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The room's event head: every change to what the room shows (a message posted, edited or
    # deleted; the room archived, reopened, renamed) takes the next number in its transaction,
    # so a client that holds everything up to N asks only for what changed after N
    # (docs/protocol.md, "Room events").
    last_event = models.PositiveBigIntegerField(default=0, editable=False)
    allow_room_mention = models.BooleanField(
        default=False, help_text="Everyone may mention @room here (moderators always may)."
    )

    class Meta:
        ordering = ["is_archived", "position", "name"]

    def __str__(self) -> str:
        return self.name


class Message(models.Model):
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="messages")
    # Position in the room without gaps, so a client can tell that it missed a live frame.
    seq = models.PositiveBigIntegerField()
    # The room event of this message's latest change: the room's event log, compacted to the
    # newest change per message, is its messages ordered by this.
    event = models.PositiveBigIntegerField()
    body = models.TextField()
    client_id = models.CharField(max_length=64, help_text="The sender's idempotency key.")
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted = models.BooleanField(default=False)
    # What the body mentions, as parsed when it was sent or edited (rooms/mentions.py): the ids
    # of the room's members it names, for showing them under their current names, and @room.
    # Counting who was mentioned reads Mention rows instead.
    mentions = models.JSONField(default=list, blank=True, editable=False)
    mentions_room = models.BooleanField(default=False, editable=False)
    # The message this one answers, in the same room (rooms/services.py checks it).
    reply_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies", editable=False
    )
    # How many Reaction rows it has, kept by the reaction service in the same transaction: a page
    # of messages none of which has any reads no reactions at all.
    reaction_count = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["author", "client_id"], name="message_unique_client_id"),
            models.UniqueConstraint(fields=["room", "seq"], name="message_unique_room_seq"),
        ]
        indexes = [
            models.Index(fields=["room", "id"], name="message_room_id"),
            models.Index(fields=["room", "event"], name="message_room_event"),
            # Unread @room mentions are counted from these rows only (rooms/membership.py).
            models.Index(
                fields=["room", "seq"],
                name="message_room_mention",
                condition=models.Q(mentions_room=True, deleted=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.room_id}#{self.seq}"


class Reaction(models.Model):
    """One user's emoji on a message: at most one of each emoji per user and message."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reactions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reactions")
    emoji = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["message", "user", "emoji"], name="reaction_unique_message_user_emoji")
        ]

    def __str__(self) -> str:
        return f"{self.emoji} on {self.message_id}"


class Membership(models.Model):
    """A user's place in a room they have entered: how far they have read, and how they want to
    hear about it. The unread count is the room's last_seq minus read_seq, so the room list
    counts without reading messages (docs/protocol.md, "Unread")."""

    class Notify(models.TextChoices):
        ALL = "all", "Every message"
        MENTIONS = "mentions", "Mentions"
        MUTED = "muted", "Muted"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="memberships")
    # The seq of the newest message read; only ever moves forward (rooms/membership.py).
    read_seq = models.PositiveBigIntegerField(default=0)
    notify = models.CharField(max_length=8, choices=Notify.choices, default=Notify.MENTIONS)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "room"], name="membership_unique_user_room")]
        indexes = [
            # Who hears every message of a room: read per send batch, so only those rows.
            models.Index(fields=["room"], name="membership_room_all", condition=models.Q(notify="all")),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.room_id}"


class Mention(models.Model):
    """A user a message mentions by name (not @room): the rows unread mentions are counted from,
    kept in step with the message's own list by the services that send, edit and delete it."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="mention_rows")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mentioned_in")
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="+")
    seq = models.PositiveBigIntegerField()  # the message's: unread is seq > read_seq

    class Meta:
        constraints = [models.UniqueConstraint(fields=["message", "user"], name="mention_unique_message_user")]
        indexes = [models.Index(fields=["user", "room", "seq"], name="mention_user_room_seq")]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.message_id}"
