"""Room events: a per-room event head and, per message, the event of its latest change.

Messages stored before this take their seq as their event (their post was the only change the
log can name), and each room's head starts at its last seq: a valid compacted log, so clients
can catch up by event from the first deploy on."""

from django.db import migrations, models
from django.db.models import F


def number_existing(apps, schema_editor):
    apps.get_model("rooms", "Message").objects.update(event=F("seq"))
    apps.get_model("rooms", "Room").objects.update(last_event=F("last_seq"))


class Migration(migrations.Migration):
    dependencies = [("rooms", "0002_starting_rooms")]

    operations = [
        migrations.AddField(
            model_name="room",
            name="last_event",
            field=models.PositiveBigIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name="message",
            name="event",
            field=models.PositiveBigIntegerField(default=0),
            preserve_default=False,
        ),
        migrations.RunPython(number_existing, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="message",
            index=models.Index(fields=["room", "event"], name="message_room_event"),
        ),
    ]
