"""Teardown of committed test data that the database otherwise keeps for good.

Bookings past the cart and their events cannot be deleted (reservations migration 0002's
triggers). Tests that commit data through real connections remove theirs here, with the
triggers off for this transaction only: ``session_replication_role`` is a superuser's
setting, which the test database's role is and the application's should never need.
"""

from __future__ import annotations

from django.db import connection, transaction

from reservations.models import Booking, BookingEvent


def bookings_purge(bookings) -> None:
    """Delete ``bookings`` (a queryset of the current schema) and their events."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
        ids = list(bookings.values_list("pk", flat=True))
        BookingEvent.objects.filter(booking_id__in=ids)._raw_delete(connection.alias)
        Booking.objects.filter(pk__in=ids)._raw_delete(connection.alias)
