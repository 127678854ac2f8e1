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

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["author", "client_id"], name="message_unique_client_id"),
            models.UniqueConstraint(fields=["room", "seq"], name="message_unique_room_seq"),
        ]
        indexes = [
            models.Index(fields=["room", "id"], name="message_room_id"),
            models.Index(fields=["room", "event"], name="message_room_event"),
        ]

    def __str__(self) -> str:
        return f"{self.room_id}#{self.seq}"
