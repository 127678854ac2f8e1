"""The four rooms of the product's starting point (seed 002), with their names as given there."""

from django.db import migrations

STARTING_ROOMS = [
    ("general", "일반 대화", "Say hello; anything goes."),
    ("tech", "기술 토론", "Programming, tools and tech talk."),
    ("hobbies", "취미 공유", "Share what you do for fun."),
    ("music-movies", "음악 & 영화", "What you are listening to and watching."),
]


def create_rooms(apps, schema_editor):
    Room = apps.get_model("rooms", "Room")
    for position, (slug, name, description) in enumerate(STARTING_ROOMS):
        Room.objects.get_or_create(slug=slug, defaults={"name": name, "description": description, "position": position})


def remove_rooms(apps, schema_editor):
    apps.get_model("rooms", "Room").objects.filter(slug__in=[slug for slug, _, _ in STARTING_ROOMS]).delete()


class Migration(migrations.Migration):
    dependencies = [("rooms", "0001_initial")]
    operations = [migrations.RunPython(create_rooms, remove_rooms)]
