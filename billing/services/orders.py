"""Prépaiement: a validated cart's held lines become an order, priced at that instant; paid,
the order becomes a numbered ticket and the bookings « Demande validée »; refused, abandoned
or expired, the places are released and the family told once.

Lock order, for every path: the order row, then the bookings and their days
(reservations.services.lifecycle), then the number counters.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from billing import tariffs
from billing.models import (
    EntryKind,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    OrderStatus,
    PaymentTransaction,
    PrepaidOrder,
    PrepaidOrderLine,
    TransactionStatus,
)
from billing.services import mails
from billing.services.accounts import account_credit, account_release
from billing.services.numbers import numbers_take
from billing.services.settle import invoice_locked, invoice_money_update, payment_record
from families.models import Foyer
from reservations.exceptions import ReservationsError
from reservations.lifecycle import Action, Reason, State, TransitionRefused
from reservations.models import BillingMode, Booking
from reservations.services.lifecycle import bookings_transition

CLOSED_BY = {
    OrderStatus.FAILED: Reason.PAYMENT_FAILED,
    OrderStatus.CANCELLED: Reason.PAYMENT_FAILED,
    OrderStatus.EXPIRED: Reason.HOLD_EXPIRED,
}


def _child_name(child) -> str:
    return f"{child.first_name} {child.last_name}"


def prepaid_orders_open(
    *, foyer: Foyer, lines: Sequence[Booking], user=None, now: datetime | None = None
) -> list[PrepaidOrder]:
    """Record the held prépaiement ``lines`` (prestation, service and child loaded) in one
    order per service, each line priced now by the tariff engine (billing.tariffs): a later
    tariff change never alters what is paid. Four queries per cart whatever its size, none
    when nothing is held. Caller owns the transaction (cart validation)."""
    held = [
        line
        for line in lines
        if line.state == State.HELD
        and line.prestation.service.billing_mode == BillingMode.PREPAIEMENT
    ]
    if not held:
        return []
    now = now or timezone.now()
    priced = tariffs.day_prices(foyer_id=foyer.pk, days=[(b.prestation, b.day) for b in held])
    by_service: dict[int, list] = defaultdict(list)
    for booking, price in zip(held, priced, strict=True):
        by_service[booking.prestation.service_id].append((booking, price))
    orders = []
    for service_id, rows in by_service.items():
        total = sum((price.amount for _, price in rows if price), Decimal("0.00"))
        orders.append(
            PrepaidOrder(
                foyer=foyer,
                service_id=service_id,
                total=total,
                held_until=min(booking.held_until for booking, _ in rows),
                by_user_id=user.pk if user else None,
            )
        )
    orders = PrepaidOrder.objects.bulk_create(orders)
    for order, rows in zip(orders, by_service.values(), strict=True):
        # A line without a tariff that day is not free: its price is unknown.
        order.fully_priced = all(price is not None for _, price in rows)
    PrepaidOrderLine.objects.bulk_create(
        PrepaidOrderLine(
            order=order,
            booking=booking,
            child_id=booking.child_id,
            child_name=_child_name(booking.child),
            prestation_id=booking.prestation_id,
            label=price.label if price else booking.prestation.name,
            day=booking.day,
            quantity=price.quantity if price else Decimal(1),
            unit_price=price.unit_price if price else Decimal(0),
            amount=price.amount if price else Decimal("0.00"),
        )
        for order, (_, rows) in zip(orders, by_service.items(), strict=True)
        for booking, price in rows
    )
    return orders


def held_without_order_q(*, foyer: Foyer, now: datetime):
    """The foyer's held lines that no open order covers (accepted by the mairie, promoted
    from a waiting list, booked by staff: the family was e-mailed to pay)."""
    return Booking.objects.filter(child__foyer=foyer, state=State.HELD, held_until__gt=now).exclude(
        order_lines__order__status=OrderStatus.OPEN
    )


def held_without_order(*, foyer: Foyer, now: datetime) -> list[Booking]:
    return list(
        held_without_order_q(foyer=foyer, now=now)
        .select_related("prestation__service", "child")
        .order_by("day", "pk")
    )


def prepaid_orders_for_held(*, foyer: Foyer, user=None) -> list[PrepaidOrder]:
    """Open orders for the foyer's held lines not in one yet (« Payer mes réservations »)."""
    now = timezone.now()
    with transaction.atomic():
        Foyer.objects.select_for_update().filter(pk=foyer.pk).exists()
        return prepaid_orders_open(
            foyer=foyer, lines=held_without_order(foyer=foyer, now=now), user=user, now=now
        )


def order_locked(order_id: int) -> PrepaidOrder:
    return (
        PrepaidOrder.objects.select_for_update(of=("self",))
        .select_related("service")
        .get(pk=order_id)
    )


def _order_bookings(order: PrepaidOrder) -> list[Booking]:
    return list(Booking.objects.filter(order_lines__order=order).order_by("pk"))


def order_bookings_pay(*, order: PrepaidOrder, now: datetime) -> bool:
    """Validate the order's held bookings (« Demande validée »); return False, changing
    nothing, when they are no longer held or their places were taken meanwhile (the hold
    expired). Caller holds the order's lock."""
    try:
        with transaction.atomic():
            bookings_transition(
                bookings=_order_bookings(order),
                action=Action.PAY,
                reason=Reason.PAYMENT_RECEIVED,
                now=now,
            )
    except (TransitionRefused, ReservationsError):
        return False
    return True


def ticket_issue(*, order: PrepaidOrder, now: datetime) -> Invoice:
    """Number the paid order's ticket (an Invoice of kind PREPAID) with the prices recorded
    at validation. Caller holds the order's lock; the payments then settle it."""
    from billing.services.invoicing import _payers
    from billing.services.runs import _issuer

    lines = list(order.lines.order_by("child_name", "day", "pk"))
    today = timezone.localdate(now)
    (number,) = numbers_take(service=order.service, year=today.year, count=1)
    foyer_name, payer_name, address = _payers([order.foyer_id])[order.foyer_id]
    ticket = Invoice.objects.create(
        kind=InvoiceKind.PREPAID,
        number=number,
        service=order.service,
        foyer_id=order.foyer_id,
        period_start=min(line.day for line in lines),
        period_end=max(line.day for line in lines),
        issued_on=today,
        due_on=today,
        total=order.total,
        payer_name=payer_name,
        payer_address=address,
        foyer_name=foyer_name,
        service_name=order.service.name,
        issuer=_issuer(order.service),
    )
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=ticket,
            child_id=line.child_id,
            child_name=line.child_name,
            prestation_id=line.prestation_id,
            label=line.label,
            day=line.day,
            quantity=line.quantity,
            unit_price=line.unit_price,
            amount=line.amount,
            booking_id=line.booking_id,
        )
        for line in lines
    )
    PrepaidOrder.objects.filter(pk=order.pk).update(
        status=OrderStatus.PAID, ticket=ticket, closed_at=now
    )
    order.status, order.ticket, order.closed_at = OrderStatus.PAID, ticket, now
    return ticket


def order_close(*, order: PrepaidOrder, status: str, now: datetime | None = None) -> bool:
    """Close an open order unpaid: its held bookings released (their places go to the
    waiting list), the avoir its pending payments reserved given back, the family told once.
    Return whether it was open. Caller may hold the order's lock; it is taken here if not."""
    now = now or timezone.now()
    with transaction.atomic():
        order = order_locked(order.pk)
        if order.status != OrderStatus.OPEN:
            return False
        held = [b for b in _order_bookings(order) if b.state == State.HELD]
        bookings_transition(bookings=held, action=Action.RELEASE, reason=CLOSED_BY[status], now=now)
        for txn in PaymentTransaction.objects.filter(order=order, status=TransactionStatus.PENDING):
            account_release(txn=txn, now=now)
        PrepaidOrder.objects.filter(pk=order.pk).update(status=status, closed_at=now)
        order.status, order.closed_at = status, now
        mails.order_closed(order=order)
    return True


def orders_expire(*, now: datetime | None = None) -> int:
    """Close the open orders whose hold ran out (a payment being handled is left for the
    next run); return how many were closed."""
    now = now or timezone.now()
    closed = 0
    with transaction.atomic():
        expired = list(
            PrepaidOrder.objects.select_for_update(skip_locked=True)
            .filter(status=OrderStatus.OPEN, held_until__lte=now)
            .order_by("pk")
        )
        for order in expired:
            closed += order_close(order=order, status=OrderStatus.EXPIRED, now=now)
    return closed


def orders_free_settle(*, orders, now: datetime) -> None:
    """Settle at once the orders that cost nothing (no tariff, a free prestation): their
    bookings validated and a ticket of 0,00 € issued, no payment asked."""
    for order in orders:
        free = order.total == 0 and getattr(order, "fully_priced", False)
        if free and order_bookings_pay(order=order, now=now):
            ticket = ticket_issue(order=order, now=now)
            invoice_money_update(invoice=invoice_locked(ticket.pk), now=now)


def order_paid_late(*, txn, order: PrepaidOrder, mode: str, now: datetime) -> None:
    """The money came after the order's hold ended: nothing is booked, the amount goes to
    the foyer's account (used first by its next payment) and the family is told. Caller
    holds the transaction's and the order's locks."""
    order_close(order=order, status=OrderStatus.EXPIRED, now=now)
    account_release(txn=txn, now=now)
    payment = payment_record(
        service=order.service,
        foyer_id=order.foyer_id,
        mode=mode,
        amount=txn.amount,
        payment_transaction=txn,
        now=now,
        note="Reçu après la fin de la commande : porté au compte de la famille",
    )
    account_credit(
        foyer_id=order.foyer_id,
        amount=txn.amount,
        kind=EntryKind.LATE_PAYMENT,
        label=f"Paiement reçu après la fin de la commande {order.reference}",
        now=now,
        payment=payment,
    )
    mails.late_payment(order=order, payment=payment)
