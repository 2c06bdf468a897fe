"""The e-mails of a booking's life, queued through the journal (sent once, after commit)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection
from django.template.loader import render_to_string

from families.models import Foyer
from portal.services import email_queue
from reservations.models import BillingMode, Booking


def by_foyer(bookings: Iterable[Booking]) -> dict[int, list[Booking]]:
    """Group bookings (their child and foyer loaded) by foyer, in their order."""
    grouped: dict[int, list[Booking]] = {}
    for booking in bookings:
        grouped.setdefault(booking.child.foyer_id, []).append(booking)
    return grouped


def _send(*, foyer: Foyer, subject: str, template: str, key: str, **context) -> None:
    if not foyer.email:
        return
    body = render_to_string(
        template, {"foyer": foyer, "collectivite": connection.tenant, **context}
    )
    email_queue(to=foyer.email, subject=subject, body=body, key=key)


def cart_validated(*, foyer: Foyer, lines: list[Booking]) -> None:
    """The one e-mail that confirms a validated cart, its lines in their new states.

    Queued before the lines are saved, so that the capacity rows' locks taken with the save
    are not held while it is written. Its key is one line and the state « Valider » gave
    it: a line leaves the cart once, and leaves a cancellation request once, each time to
    a different state, so no two validations share it.
    """
    first = min(lines, key=lambda line: line.pk)
    _send(
        foyer=foyer,
        subject="Vos demandes de réservation ont été enregistrées",
        template="reservations/emails/cart_validated.txt",
        key=f"cart-validated:{foyer.pk}:{first.pk}:{first.state}",
        lines=lines,
    )


def staff_decided(*, bookings: list[Booking], accepted: bool, note: str, event_id: int) -> None:
    """Tell each family the mairie's answer to its requests (and what it must pay)."""
    for lines in by_foyer(bookings).values():
        foyer = lines[0].child.foyer
        _send(
            foyer=foyer,
            subject="Réponse de la mairie à vos demandes de réservation",
            template="reservations/emails/decision.txt",
            key=f"booking-decision:{event_id}:{foyer.pk}",
            lines=lines,
            accepted=accepted,
            note=note,
            to_pay=[line for line in lines if line.held_until],
        )


def staff_cancelled(*, bookings: list[Booking], note: str, event_id: int) -> None:
    """Tell each family that the mairie cancelled some of its bookings."""
    for lines in by_foyer(bookings).values():
        foyer = lines[0].child.foyer
        _send(
            foyer=foyer,
            subject="La mairie a annulé des réservations",
            template="reservations/emails/cancelled.txt",
            key=f"booking-cancelled:{event_id}:{foyer.pk}",
            lines=lines,
            note=note,
        )


def waitlist_promoted(*, booking: Booking) -> None:
    """Tell the family of the first child waiting that it got the freed place (once)."""
    _send(
        foyer=booking.child.foyer,
        subject="Une place s'est libérée pour votre enfant",
        template="reservations/emails/waitlist_promoted.txt",
        key=f"waitlist-promoted:{booking.pk}",
        booking=booking,
    )


def closure_announced(*, closure, bookings: list[Booking]) -> int:
    """Tell each family of ``bookings`` once that ``closure`` cancelled them; return how many.

    The journal key names the closure and its version: a job run again sends nothing twice,
    and a closure extended later tells the families of the days it gained.
    """
    from reservations.services.closures import closure_scope

    told = 0
    for lines in by_foyer(bookings).values():
        foyer = lines[0].child.foyer
        if not foyer.email:
            continue
        _send(
            foyer=foyer,
            subject=f"Fermeture {closure.period_label} : vos réservations sont annulées",
            template="reservations/emails/closure.txt",
            key=f"closure:{closure.pk}:{closure.revision}:{foyer.pk}",
            lines=lines,
            closure=closure,
            scope=closure_scope(closure, closure.prestations.all()),
            prepaid=closure.service.billing_mode == BillingMode.PREPAIEMENT,
        )
        told += 1
    return told
