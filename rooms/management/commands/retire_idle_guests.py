"""`manage.py retire_idle_guests [--idle-days N]`: scheduled daily with `clearsessions`
(deploy/systemd/rooms-maintenance.timer, the compose file's `maintenance` service)."""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from rooms import realtime, services


class Command(BaseCommand):
    help = (
        "Sign out and deactivate guests who have not signed in for --idle-days; their messages stay, "
        f'shown as "{services.FORMER_GUEST_NAME}".'
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--idle-days",
            type=int,
            default=settings.GUEST_IDLE_DAYS,
            help="Days since sign-in (default GUEST_IDLE_DAYS, %(default)s).",
        )

    def handle(self, *args: Any, idle_days: int, **options: Any) -> None:
        if idle_days < 1:
            self.stderr.write("--idle-days must be at least 1.")
            raise SystemExit(2)
        retired = services.idle_guests_retire(idle_for=timedelta(days=idle_days))
        for user_id in retired:
            realtime.close_user_sockets(user_id)
        self.stdout.write(f"Retired {len(retired)} guest(s) idle for {idle_days} day(s) or more.")
