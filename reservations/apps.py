from django.apps import AppConfig


class ReservationsConfig(AppConfig):
    name = "reservations"
    verbose_name = "Réservations"

    def ready(self) -> None:
        from reservations import signals  # noqa: F401
