"""E-mails of payments: a receipt per payment, an order closed unpaid, a payment received too
late, a reminder. Each once per event (the journal's key), with a link, never a PDF: the
documents name the children and stay on the family's space."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection
from django.template.loader import render_to_string

from billing.documents import euros, portal_invoices_url
from billing.models import Invoice, Payment, PrepaidOrder
from families.models import Foyer, Responsable
from portal.models import NotificationPreference
from portal.services import email_queue


def foyer_email(foyer_id: int) -> str:
    """The foyer's login e-mail, else its first responsable who chose e-mail (two queries)."""
    email = Foyer.objects.filter(pk=foyer_id).values_list("email", flat=True).first()
    if email:
        return email
    return (
        Responsable.objects.filter(foyer_id=foyer_id, notification=NotificationPreference.EMAIL)
        .exclude(email="")
        .order_by("rank")
        .values_list("email", flat=True)
        .first()
        or ""
    )


def _send(*, foyer_id: int, subject: str, template: str, key: str, **context) -> None:
    to = foyer_email(foyer_id)
    if not to:
        return
    body = render_to_string(
        template, {"collectivite": connection.tenant, "url": portal_invoices_url(), **context}
    )
    email_queue(to=to, subject=subject, body=body, key=key)


def payment_receipt(*, invoice: Invoice, payments: Sequence[Payment], key: str) -> None:
    """The receipt of ``payments`` on ``invoice`` (a ticket for prépaiement)."""
    ticket = invoice.kind == "prepaid"
    _send(
        foyer_id=invoice.foyer_id,
        subject=(
            f"Votre ticket de paiement n° {invoice.number}"
            if ticket
            else f"Paiement reçu : facture n° {invoice.number}"
        ),
        template="billing/emails/payment_receipt.txt",
        key=key,
        invoice=invoice,
        ticket=ticket,
        payments=[(p, euros(p.amount)) for p in payments],
        total=euros(sum(p.amount for p in payments)),
        balance=euros(invoice.balance),
    )


def order_closed(*, order: PrepaidOrder) -> None:
    """Tell the family its unpaid order is closed and its places released (once)."""
    _send(
        foyer_id=order.foyer_id,
        subject="Réservations non payées : vos places ont été libérées",
        template="billing/emails/order_closed.txt",
        key=f"order-closed:{order.pk}",
        order=order,
        amount=euros(order.total),
    )


def late_payment(*, order: PrepaidOrder, payment: Payment) -> None:
    _send(
        foyer_id=order.foyer_id,
        subject="Paiement reçu après la fin du délai : montant porté à votre compte",
        template="billing/emails/late_payment.txt",
        key=f"late-payment:{payment.pk}",
        order=order,
        payment=payment,
        amount=euros(payment.amount),
    )


def reminder(*, invoice: Invoice, level: int, days: int) -> None:
    _send(
        foyer_id=invoice.foyer_id,
        subject=f"Relance : facture n° {invoice.number} à régler",
        template="billing/emails/reminder.txt",
        key=f"reminder:{invoice.pk}:{level}",
        invoice=invoice,
        level=level,
        days=days,
        balance=euros(invoice.balance),
    )
