"""Services, prestations, closures and bookings, in the collectivité's schema."""

from reservations.lifecycle import ACTIVE_STATES, TAKEN_STATES, Reason, State
from reservations.models.bookings import Booking, BookingEvent, PrestationDay, WaitingListEntry
from reservations.models.closures import Closure, ClosureStatus
from reservations.models.prestations import (
    WEEKDAYS,
    BillingMode,
    BookingRuleKind,
    CancellationRuleKind,
    ForfaitPeriod,
    Prestation,
    PrestationKind,
    Service,
)

BookingState = State  # the states and their labels live in reservations.lifecycle

__all__ = [
    "ACTIVE_STATES",
    "TAKEN_STATES",
    "WEEKDAYS",
    "BillingMode",
    "Booking",
    "BookingEvent",
    "BookingRuleKind",
    "BookingState",
    "CancellationRuleKind",
    "Closure",
    "ClosureStatus",
    "ForfaitPeriod",
    "Prestation",
    "PrestationDay",
    "PrestationKind",
    "Reason",
    "Service",
    "State",
    "WaitingListEntry",
]
