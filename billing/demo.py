"""Demo billing for `seed_demo` (idempotent): seed 000's tariffs, last month served and pointed,
the payment settings (demonstration payments).

Valdurenque gets the tariff table of seed 000 (cantine 3,60 €, 5,40 € not booked or absent
without justification; garderie by the hour per QF bracket), a QF for TESTMP, and last
month's bookings and attendance for its families, so that staff can generate last month's
invoices at once; the same families' usual week is booked for the coming three weeks, so
that « Aujourd'hui » has children to expect and a closure has families to tell. Malemort's
meals get their price (2,55 €, seed 004).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django_tenants.utils import tenant_context

from billing.models import (
    Attendance,
    AttendanceMark,
    AttendanceStatus,
    BillingProfile,
    PaymentSettings,
    PriceMode,
    Tariff,
    TariffBracket,
)
from billing.rules import last_month
from families.models import Child, Foyer, QuotientFamilial
from reservations.calendar import ClosureCalendar
from reservations.models import (
    Booking,
    BookingEvent,
    BookingState,
    Prestation,
    Reason,
    Service,
)
from tenants.models import Collectivite

SCHOOL_YEAR = date(2026, 9, 1)
# The collectivité whose families were served last month (tests point it elsewhere).
DEMO_SCHEMA = "valdurenque"
COMING_WEEKS = 3
QF_BRACKETS = ((0, 499, "0.60"), (500, 1000, "0.65"), (1001, None, "0.80"))
SEED_000 = {
    "CANTINE": {
        "price": "3.60",
        "unbooked_price": "5.40",
        "unjustified_absence_price": "5.40",
    },
    "UNITE DE GARDERIE MATIN": {"brackets": QF_BRACKETS},
    "GARDERIE SOIR T1 (16H30-17H30)": {"brackets": QF_BRACKETS},
    "GARDERIE SOIR T2 (16H30-18H30)": {"brackets": QF_BRACKETS},
}
MALEMORT = {"REPAS CLASSIQUE ENFANT": {"price": "2.55"}, "REPAS VEGETARIEN": {"price": "2.55"}}
TARIFFS = {"valdurenque": SEED_000, "malemort": MALEMORT}
PROFILES = {
    "valdurenque": {
        "service": "GROUPE SCOLAIRE - postfacturation",
        "code": "GS",
        "payment_instructions": (
            "Mairie de Valdurenque, 20 Av Louis Raucoules, aux heures d'ouverture ; chèque à "
            "l'ordre du Trésor public."
        ),
    },
    "malemort": {"service": "REGIE CANTINE - prépaiement", "code": "CAN"},
}
# How each demo collectivité collects: in demonstration (no real money: the demo provider's
# page), with a SEPA creditor so the régisseur can prepare a pain.008.
PAYMENTS = {
    "valdurenque": {
        "demo": True,
        "reminder_delays": "15,30",
        "sepa_creditor_id": "FR12ZZZ123456",
        "sepa_creditor_name": "REGIE DE VALDURENQUE",
        "sepa_iban": "FR7630001007941234567890185",
        "sepa_bic": "BDFEFRPPCCT",
    },
    "malemort": {"demo": True, "reminder_delays": "15,30"},
}
# Who ate what last month at Valdurenque: (foyer, child, prestations).
# Each family's usual week: last month (served, to invoice) and the coming weeks (booked).
USUAL = [
    ("TESTMP", "Clara", ["CANTINE", "GARDERIE SOIR T2 (16H30-18H30)"]),
    ("TESTMP", "Guilhem", ["CANTINE", "UNITE DE GARDERIE MATIN"]),
    ("DURAND", "Léa", ["CANTINE"]),
]


def _tariffs(spec: dict) -> int:
    created = 0
    for name, fields in spec.items():
        prestation = Prestation.objects.filter(name=name).first()
        if prestation is None or Tariff.objects.filter(prestation=prestation).exists():
            continue
        brackets = fields.get("brackets")
        tariff = Tariff.objects.create(
            prestation=prestation,
            valid_from=SCHOOL_YEAR,
            price_mode=PriceMode.BRACKETS if brackets else PriceMode.FIXED,
            **{key: Decimal(value) for key, value in fields.items() if key != "brackets"},
        )
        for low, high, price in brackets or ():
            TariffBracket.objects.create(
                tariff=tariff, qf_min=low, qf_max=high, price=Decimal(price)
            )
        created += 1
    return created


def _school_days(collectivite: Collectivite, start: date, end: date) -> list[date]:
    calendar = ClosureCalendar(zone=collectivite.holiday_zone, closed_weekdays={3, 6, 7})
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    return [day for day in days if calendar.is_open(day)]


def _usual_week(days: list[date], *, reason: Reason, by_staff: bool, note: str) -> bool:
    """Book each family's usual prestations (USUAL) on ``days``, validated; False (nothing
    done) when some are booked there already."""
    names = {name for *_, prestations in USUAL for name in prestations}
    if not days or Booking.objects.filter(day__in=days, prestation__name__in=names).exists():
        return False
    for foyer_name, first_name, prestations in USUAL:
        child = Child.objects.filter(foyer__name=foyer_name, first_name=first_name).first()
        if child is None:
            continue
        for name in prestations:
            prestation = Prestation.objects.get(name=name)
            for day in days:
                booking = Booking.objects.create(
                    child=child,
                    prestation=prestation,
                    day=day,
                    state=BookingState.VALIDATED,
                    state_reason=reason,
                )
                BookingEvent.objects.create(
                    booking=booking,
                    state=booking.state,
                    reason=reason,
                    by_staff=by_staff,
                    note=note,
                )
    return True


def _coming_weeks(collectivite: Collectivite, today: date) -> None:
    """The usual week booked by the families from today for COMING_WEEKS weeks: « Aujourd'hui »
    has children to expect, and a closure families to tell."""
    days = _school_days(collectivite, today, today + timedelta(weeks=COMING_WEEKS, days=-1))
    _usual_week(days, reason=Reason.PARENT, by_staff=False, note="")


def _served(collectivite: Collectivite, today: date) -> None:
    """Last month's bookings (validated, as the mairie recorded them) and attendance."""
    start, end = last_month(today)
    days = _school_days(collectivite, start, end)
    note = "Démonstration : réservation du mois dernier"
    if not _usual_week(days, reason=Reason.DEADLINE_OVERRIDE, by_staff=True, note=note):
        return
    now = timezone.now()
    clara = Child.objects.filter(foyer__name="TESTMP", first_name="Clara").first()
    lea = Child.objects.filter(foyer__name="DURAND", first_name="Léa").first()
    cantine = Prestation.objects.get(name="CANTINE")
    marks = []
    if clara is not None:
        # Clara missed a meal without justification; the rest of her month is left unmarked
        # and bills as booked.
        marks.append((clara, cantine, days[2], AttendanceStatus.ABSENT_UNJUSTIFIED))
    if lea is not None and len(days) > 4:
        # Léa stayed to the garderie one evening without a booking.
        soir = Prestation.objects.get(name="GARDERIE SOIR T1 (16H30-17H30)")
        marks.append((lea, soir, days[4], AttendanceStatus.PRESENT))
        marks.append((lea, cantine, days[1], AttendanceStatus.PRESENT))
    for child, prestation, day, status in marks:
        booking = Booking.objects.filter(child=child, prestation=prestation, day=day).first()
        attendance = Attendance.objects.create(
            child=child,
            prestation=prestation,
            day=day,
            status=status,
            booking=booking,
            marked_at=now,
        )
        AttendanceMark.objects.create(attendance=attendance, status=status, at=now)


@transaction.atomic
def seed_billing(collectivite: Collectivite, today: date | None = None) -> int:
    """Create the demo tariffs, billing profiles, QF and last month; return tariffs created."""
    today = today or timezone.localdate()
    with tenant_context(collectivite):
        key = "valdurenque" if collectivite.schema_name == DEMO_SCHEMA else collectivite.schema_name
        created = _tariffs(TARIFFS.get(key, {}))
        profile = dict(PROFILES.get(key, {}))
        service = Service.objects.filter(name=profile.pop("service", None)).first()
        if service is not None:
            BillingProfile.objects.get_or_create(service=service, defaults=profile)
        if key in PAYMENTS and not PaymentSettings.objects.exists():
            PaymentSettings.objects.create(
                payfip_numcli=collectivite.payfip_identifier, **PAYMENTS[key]
            )
        if collectivite.schema_name == DEMO_SCHEMA:
            testmp = Foyer.objects.filter(name="TESTMP").first()
            if testmp is not None and not testmp.quotients.exists():
                QuotientFamilial.objects.create(
                    foyer=testmp, value=720, source="CAF", valid_from=SCHOOL_YEAR
                )
            _served(collectivite, today)
            _coming_weeks(collectivite, today)
    return created
