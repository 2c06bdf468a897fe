"""The booking horizon: the days a family may book, and the weeks the Vue Période shows.

Parents book from today to the end of the next school year, and never past the last day the
school-holiday data knows (a day whose holidays are unknown cannot be told open or closed).
Pure Python (no Django), with ``today`` passed in as a local date (Europe/Paris).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from reservations.calendar import SchoolHolidays

__all__ = ["BookingHorizon", "booking_horizon", "format_day"]

# What parents read past the horizon. {day} is « 31/08/2028 ».
BOOKING_BEYOND_HORIZON = "Réservation impossible après le {day} : {why}"
HORIZON_SCHOOL_YEAR = "les réservations sont ouvertes jusqu'à la fin de l'année scolaire prochaine"
HORIZON_HOLIDAYS_UNKNOWN = "les vacances scolaires ne sont pas encore publiées au-delà"


def format_day(day: date) -> str:
    """Return ``day`` as parents read it: « 14/01/2025 »."""
    return f"{day:%d/%m/%Y}"


# A school year runs from 1 September to 31 August (the summer holidays end it).
SCHOOL_YEAR_FIRST_MONTH = 9
# How far back the Vue Période lets a family look at its bookings.
LOOK_BACK_WEEKS = 52


def _monday(day: date) -> date:
    return day - timedelta(days=day.isoweekday() - 1)


@dataclass(frozen=True)
class BookingHorizon:
    """The days a family may book from ``today``: up to ``last_day`` included, ``why`` so.

    It also bounds what the Vue Période shows: from LOOK_BACK_WEEKS weeks before today's
    week (a family reads last year's bookings) to the week of ``last_day``.
    """

    today: date
    last_day: date
    why: str

    def allows(self, day: date) -> bool:
        """Return True if ``day`` is not past the horizon (past days have their own rule)."""
        return day <= self.last_day

    @property
    def refusal(self) -> str:
        """« Réservation impossible après le 31/08/2028 : … », what parents read beyond it."""
        return BOOKING_BEYOND_HORIZON.format(day=format_day(self.last_day), why=self.why)

    @property
    def first_shown(self) -> date:
        """Return the Monday the Vue Période may start from at the earliest."""
        return _monday(self.today) - timedelta(weeks=LOOK_BACK_WEEKS)

    def last_start(self, weeks: int) -> date:
        """Return the latest Monday a grid of ``weeks`` weeks may start on: it ends with the
        week of ``last_day`` (never before ``first_shown``)."""
        return max(self.first_shown, _monday(self.last_day) - timedelta(weeks=weeks - 1))

    def grid_start(self, requested: date, weeks: int) -> date:
        """Return the Monday of ``requested``'s week, brought within the weeks a grid shows."""
        if requested <= self.first_shown:
            return self.first_shown
        last = self.last_start(weeks)
        if requested >= last:
            return last
        return _monday(requested)

    def shows(self, day: date, weeks: int) -> bool:
        """Return True if ``day`` falls in a week some grid of ``weeks`` weeks may show."""
        return self.first_shown <= day < self.last_start(weeks) + timedelta(weeks=weeks)


def booking_horizon(today: date, school_holidays: SchoolHolidays | None = None) -> BookingHorizon:
    """Return the booking horizon on ``today`` (a local date, Paris).

    It ends with the next school year (in November 2026: 31/08/2028), or earlier on the
    last day ``school_holidays`` covers (None: the ``vacances-scolaires-france`` data).
    When the data is older than today, nothing can be booked until it is updated: better
    than booking days that may turn out to be school holidays.
    """
    first_year = today.year if today.month >= SCHOOL_YEAR_FIRST_MONTH else today.year - 1
    end_of_next_year = date(first_year + 2, SCHOOL_YEAR_FIRST_MONTH, 1) - timedelta(days=1)
    known = (school_holidays or SchoolHolidays.from_package()).covers_until
    if known is not None and known < end_of_next_year:
        return BookingHorizon(today, known, HORIZON_HOLIDAYS_UNKNOWN)
    return BookingHorizon(today, end_of_next_year, HORIZON_SCHOOL_YEAR)
