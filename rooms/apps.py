from django.apps import AppConfig


class RoomsConfig(AppConfig):
    name = "rooms"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from rooms import fanout, lobby, metrics

        metrics.register_open_sockets(fanout.room_socket_counts, lobby.socket_count)
        metrics.watch_garbage_collections()
