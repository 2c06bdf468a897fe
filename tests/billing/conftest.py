"""Billing fixtures: seed 000's Valdurenque prestations in the test collectivité « alpha »."""

from __future__ import annotations

import contextlib
import datetime as dt
import zlib
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from billing.models import Attendance, Tariff, TariffBracket
from families.models import QuotientFamilial
from reservations.models import Booking, Prestation, Service
from tests.factories import ChildFactory, FoyerFactory, ResponsableFactory

D = Decimal


@contextlib.contextmanager
def triggers_off():
    """Let a test's clean-up delete committed billing rows (the triggers refuse it otherwise).

    ``session_replication_role = replica`` skips user triggers for this connection only.
    """
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = DEFAULT")


def make_service(name: str = "GROUPE SCOLAIRE", mode: str = "postfacturation") -> Service:
    return Service.objects.create(name=name, billing_mode=mode)


def make_prestation(service: Service, name: str = "CANTINE", **fields) -> Prestation:
    defaults = {
        "weekdays": [1, 2, 4, 5],
        "capacity": 85,
        "booking_rule": "weekly",
        "rule_weekday": 2,
        "rule_time": dt.time(12),
        "start_time": dt.time(12),
        "end_time": dt.time(13, 30),
    }
    return Prestation.objects.create(service=service, name=name, **{**defaults, **fields})


@pytest.fixture
def site(tenant_a, in_tenant):
    """Seed 000's service in « alpha »: cantine (unit), garderie soir T1 and T2 (hourly)."""
    with in_tenant(tenant_a):
        service = make_service()
        cantine = make_prestation(service, "CANTINE")
        t1 = make_prestation(
            service,
            "GARDERIE SOIR T1",
            kind="hourly",
            booking_rule="days_before",
            rule_weekday=None,
            rule_time=dt.time(17),
            start_time=dt.time(16, 30),
            end_time=dt.time(17, 30),
        )
        t2 = make_prestation(
            service,
            "GARDERIE SOIR T2",
            kind="hourly",
            booking_rule="days_before",
            rule_weekday=None,
            rule_time=dt.time(17),
            start_time=dt.time(16, 30),
            end_time=dt.time(18, 30),
        )
    return {"service": service, "cantine": cantine, "t1": t1, "t2": t2}


NOV = (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
ISSUED = dt.date(2026, 12, 1)
D = Decimal


def nov(day: int) -> dt.date:
    return dt.date(2026, 11, day)


def seed_000_tariffs(site, *, cantine_until=None):
    Tariff.objects.create(
        prestation=site["cantine"],
        valid_from=dt.date(2026, 9, 1),
        valid_to=cantine_until,
        price=D("3.60"),
        unbooked_price=D("5.40"),
        unjustified_absence_price=D("5.40"),
    )
    for key in ("t1", "t2"):
        tariff = Tariff.objects.create(
            prestation=site[key], valid_from=dt.date(2026, 9, 1), price_mode="brackets"
        )
        for low, high, price in ((0, 499, "0.60"), (500, 1000, "0.65"), (1001, None, "0.80")):
            TariffBracket.objects.create(tariff=tariff, qf_min=low, qf_max=high, price=D(price))


def book(child, prestation, *days, state="validated"):
    for day in days:
        Booking.objects.create(child=child, prestation=prestation, day=nov(day), state=state)


def mark(child, prestation, day, status, booking=True):
    Attendance.objects.create(
        child=child,
        prestation=prestation,
        day=nov(day),
        status=status,
        booking=Booking.objects.get(child=child, prestation=prestation, day=nov(day))
        if booking
        else None,
        marked_at=timezone.now(),
    )


@pytest.fixture
def month(site, tenant_a, in_tenant):
    """Foyer BERNARD (QF 600): Léa and Tom in November 2026; foyer AUBERT (no QF): Zoé."""
    with in_tenant(tenant_a):
        seed_000_tariffs(site)
        bernard = FoyerFactory(name="BERNARD")
        ResponsableFactory(foyer=bernard, civilite="M", last_name="BERNARD", first_name="Paul")
        QuotientFamilial.objects.create(
            foyer=bernard, value=600, source="CAF", valid_from=dt.date(2026, 9, 1)
        )
        lea = ChildFactory(foyer=bernard, first_name="Léa", last_name="BERNARD")
        tom = ChildFactory(foyer=bernard, first_name="Tom", last_name="BERNARD")
        cantine, t1, t2 = site["cantine"], site["t1"], site["t2"]
        book(lea, cantine, 9, 10, 12, 13, 16, 19, 20)
        book(lea, cantine, 17, state="cancelled")  # justified absence: cancelled, marked
        mark(lea, cantine, 10, "absent_unjustified")
        mark(lea, cantine, 17, "absent_justified")
        mark(lea, cantine, 23, "present", booking=False)  # present without booking
        book(lea, t2, 12, 19)
        book(tom, cantine, 9, 13)
        book(tom, t1, 9, 10, 12)
        mark(tom, t1, 13, "present", booking=False)
        book(tom, cantine, 26, state="cart")  # never sent: not billed
        book(tom, cantine, 27, state="refused")
        Booking.objects.create(
            child=tom, prestation=cantine, day=dt.date(2026, 12, 1), state="validated"
        )
        aubert = FoyerFactory(name="AUBERT")
        zoe = ChildFactory(foyer=aubert, first_name="Zoé", last_name="AUBERT")
        book(zoe, t2, 9)
    return {"bernard": bernard, "aubert": aubert, "service": site["service"]}


# --- Payments ----------------------------------------------------------------------------
# A Malemort-like prépaiement service in « alpha »: meals at 2,55 €, two places a day,
# bookable the day before at 10:00. The clock is Monday 12/01/2026 09:00 in Paris.

PAY_NOW = dt.datetime(2026, 1, 12, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
MEAL_DAYS = (dt.date(2026, 1, 15), dt.date(2026, 1, 16), dt.date(2026, 1, 19))


def _urls():
    from billing.services.transactions import Urls

    return Urls(
        return_url=lambda txn: f"http://alpha.localhost/factures/paiements/{txn.pk}/",
        notify_url=lambda provider: (
            f"http://alpha.localhost/factures/paiements/notification/{provider}/"
        ),
    )


@pytest.fixture
def clock():
    import time_machine

    with time_machine.travel(PAY_NOW, tick=True) as traveller:
        yield traveller


@pytest.fixture
def regie(tenant_a, in_tenant, clock):
    """« REGIE CANTINE - prépaiement » (code CAN), its meal at 2,55 €, and FAMILLE X with its
    account (Fille and Garçon) logged in nowhere yet; payments in demonstration."""
    from billing.models import BillingProfile, PaymentSettings
    from tenants.services import adhesion_add
    from tests.factories import PrestationFactory, ServiceFactory, UserFactory

    user = UserFactory(email="famille.x@alpha.test")
    adhesion_add(user=user, collectivite=tenant_a)
    with in_tenant(tenant_a):
        service = ServiceFactory(prepaid=True, name="REGIE CANTINE - prépaiement")
        BillingProfile.objects.create(service=service, code="CAN")
        meal = PrestationFactory(
            service=service,
            name="REPAS CLASSIQUE ENFANT",
            capacity=2,
            rule_time=dt.time(10),
            price=D("2.55"),
        )
        PaymentSettings.objects.create(demo=True)
        foyer = FoyerFactory(name="FAMILLE X", user=user, email=user.email)
        ResponsableFactory(foyer=foyer, civilite="M", last_name="X", first_name="Paul")
        fille = ChildFactory(foyer=foyer, first_name="Fille", last_name="X")
        garcon = ChildFactory(foyer=foyer, first_name="Garçon", last_name="X")
    return {
        "service": service,
        "meal": meal,
        "foyer": foyer,
        "user": user,
        "children": (fille, garcon),
    }


def validated_cart(regie, *, days=MEAL_DAYS, children=None):
    """Put ``days`` of each child in the cart and « Valider »: return the order (call it in
    the tenant)."""
    from billing.selectors import orders_of_bookings
    from reservations.services.cart import cart_add
    from reservations.services.validation import cart_validate

    for child in children or regie["children"]:
        for day in days:
            cart_add(child=child, prestation=regie["meal"], day=day)
    lines = cart_validate(foyer=regie["foyer"], user=regie["user"])
    (order,) = orders_of_bookings(booking_ids=[line.pk for line in lines])
    return order


def demo_answer(txn, answer: str = "payer", *, amount_cents=None):
    """Post the demo page's signed answer to the notifications handler."""
    from billing.payments import demo
    from billing.payments.base import cents
    from billing.services.transactions import notification_receive

    payload, signature = demo.demo_notification(
        provider_id=txn.provider_id,
        answer=answer,
        amount_cents=cents(txn.amount) if amount_cents is None else amount_cents,
    )
    return notification_receive(
        provider_name="demo", body=payload, headers={demo.HEADER: signature}
    )


def issue_invoice(*, service, foyer, total, number, issued_on=None, due_on=None, **fields):
    """An issued post-facturation invoice (no lines: payments only look at its money)."""
    from billing.models import Invoice

    issued_on = issued_on or dt.date(2025, 12, 1)
    # Each number its own period: one invoice per foyer, service and period.
    seq = zlib.crc32(number.encode()) % 9000
    fields.setdefault("period_start", dt.date(2000, 1, 1) + dt.timedelta(days=seq))
    fields.setdefault("period_end", fields["period_start"])
    return Invoice.objects.create(
        number=number,
        service=service,
        foyer=foyer,
        issued_on=issued_on,
        due_on=due_on or issued_on + dt.timedelta(days=30),
        total=total,
        payer_name=f"M. {foyer.name}",
        foyer_name=foyer.name,
        service_name=service.name,
        issuer={"payfip": "041120"},
        **fields,
    )


def staff(tenant, role: str, email: str):
    from tenants.models import Membership
    from tests.factories import UserFactory

    user = UserFactory(email=email)
    Membership.objects.create(user=user, collectivite=tenant, role=role)
    return user
