"""Paying online, exactly once: a transaction per attempt, settled by the provider's word.

``payment_start`` opens a transaction for an invoice's balance or an order's total (the
foyer's avoir used first, reserved meanwhile) and asks the provider where to send the payer.
``notification_receive`` verifies what a provider posts and ``notification_apply`` settles
it: the transaction row is locked (unique on provider and provider id), and a transaction
already settled records nothing more, whatever the number and order of notifications. An
amount that does not match, an invoice paid meanwhile, an unknown id: refused, nothing
recorded, and a line in the notifications log (PaymentNotice) and the application log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from billing.exceptions import BillingError
from billing.models import (
    FINAL_STATUSES,
    PROVIDER_MODES,
    EntryKind,
    Invoice,
    NoticeOutcome,
    OrderStatus,
    PaymentMode,
    PaymentNotice,
    PaymentTransaction,
    PrepaidOrder,
    SepaMandate,
    TransactionStatus,
)
from billing.payments import online_provider_name, provider_get, settings_get
from billing.payments.base import (
    Notification,
    Outcome,
    PaymentRequest,
    ProviderUnavailable,
    cents,
)
from billing.payments.payfip import refdet_of
from billing.services import mails
from billing.services.accounts import (
    account_credit,
    account_lock,
    account_release,
    account_reserve,
    account_reserved,
)
from billing.services.orders import (
    order_bookings_pay,
    order_close,
    order_locked,
    order_paid_late,
    ticket_issue,
)
from billing.services.settle import invoice_locked, invoice_money_update, payment_record
from families.models import Foyer

logger = logging.getLogger("billing.payments")

ALREADY_PAID = "Cette facture est déjà réglée : il n'y a plus rien à payer."
NOT_YOURS = "Cette facture n'existe pas."
ON_DIRECT_DEBIT = "Vos factures sont prélevées sur votre compte : vous n'avez rien à payer ici."
ORDER_CLOSED = "Cette commande est close : refaites vos réservations si besoin."
ORDER_EXPIRED = "Le délai de paiement de cette commande est dépassé : vos places ont été libérées."
NO_ONLINE = "Le paiement en ligne n'est pas proposé ici : réglez auprès de la régie."
UNAVAILABLE = "Le service de paiement ne répond pas : réessayez dans quelques minutes."
REUSE_FOR = timedelta(minutes=15)


@dataclass(frozen=True)
class Started:
    """Where the payer goes next: the provider's page, or the result (all paid by avoir)."""

    txn: PaymentTransaction | None
    redirect_url: str
    paid: bool = False


@dataclass(frozen=True)
class Urls:
    """Absolute addresses the provider needs, built by the view from the request."""

    return_url: Callable[[PaymentTransaction], str]
    notify_url: Callable[[str], str]


def _label(invoice: Invoice | None, order: PrepaidOrder | None) -> str:
    if invoice is not None:
        return f"Facture {invoice.number}"
    return f"Reservations {order.service.name}"


def _settle(*, txn, invoice: Invoice, credit: Decimal, amount: Decimal, mode: str, now, user):
    """Record the avoir part then the paid part of a payment on ``invoice`` (locked)."""
    payments = []
    if credit > 0:
        payment = payment_record(
            service=invoice.service,
            foyer_id=invoice.foyer_id,
            mode=PaymentMode.CREDIT,
            amount=credit,
            invoice=invoice,
            payment_transaction=txn,
            user=user,
            now=now,
        )
        if txn is None:  # taken from the account now, not reserved by a transaction
            account_credit(
                foyer_id=invoice.foyer_id,
                amount=-credit,
                kind=EntryKind.USED,
                label=f"Avoir utilisé pour {invoice.number}",
                now=now,
                payment=payment,
            )
        payments.append(payment)
    if amount > 0:
        payments.append(
            payment_record(
                service=invoice.service,
                foyer_id=invoice.foyer_id,
                mode=mode,
                amount=amount,
                invoice=invoice,
                payment_transaction=txn,
                user=user,
                now=now,
            )
        )
    return payments


def payment_start(
    *,
    foyer: Foyer,
    urls: Urls,
    user=None,
    invoice: Invoice | None = None,
    order: PrepaidOrder | None = None,
    now: datetime | None = None,
) -> Started:
    """Open a payment of ``invoice``'s balance or ``order``'s total for ``foyer``.

    Raises BillingError with the family's sentence (already paid, on direct debit, order
    closed or expired, no online payment, provider down); then nothing is left reserved.
    """
    now = now or timezone.now()
    payment_settings = settings_get()
    provider_name = online_provider_name(payment_settings)
    with transaction.atomic():
        if invoice is not None:
            invoice = invoice_locked(invoice.pk)
            if invoice.foyer_id != foyer.pk:
                raise BillingError(NOT_YOURS)
            if invoice.balance <= 0:
                raise BillingError(ALREADY_PAID)
            if SepaMandate.objects.filter(foyer=foyer, revoked_on__isnull=True).exists():
                raise BillingError(ON_DIRECT_DEBIT)
            due = invoice.balance
        else:
            order = order_locked(order.pk)
            if order.foyer_id != foyer.pk or order.status != OrderStatus.OPEN:
                raise BillingError(ORDER_CLOSED)
            if order.held_until <= now:
                raise BillingError(ORDER_EXPIRED)
            due = order.total
        recent = PaymentTransaction.objects.filter(
            invoice=invoice,
            order=order,
            provider=provider_name or "",
            status=TransactionStatus.PENDING,
            created_at__gte=now - REUSE_FOR,
        ).exclude(redirect_url="")
        reused = recent.order_by("-created_at").first()
        if reused is not None:
            return Started(txn=reused, redirect_url=reused.redirect_url)
        credit = min(account_lock(foyer_id=foyer.pk), due)
        if credit == due:
            return _paid_by_credit(invoice=invoice, order=order, credit=credit, now=now, user=user)
        if provider_name is None:
            raise BillingError(NO_ONLINE)
        txn = PaymentTransaction.objects.create(
            provider=provider_name,
            foyer=foyer,
            invoice=invoice,
            order=order,
            amount=due - credit,
            credit_used=credit,
            by_user=user,
        )
        account_reserve(txn=txn, now=now)
    request = PaymentRequest(
        reference=f"T{txn.pk}",
        amount_cents=cents(txn.amount),
        label=_label(invoice, order),
        email=foyer.email or (user.email if user else ""),
        return_url=urls.return_url(txn),
        notify_url=urls.notify_url(provider_name),
        debt_reference=invoice.number if invoice is not None else order.reference,
        year=timezone.localdate(now).year,
    )
    try:
        checkout = provider_get(provider_name).create(request)
    except ProviderUnavailable as error:
        with transaction.atomic():
            txn = PaymentTransaction.objects.select_for_update().get(pk=txn.pk)
            _txn_close(txn, TransactionStatus.FAILED, f"Création refusée : {error}", now)
        logger.warning("Payment %s could not start at %s: %s", txn.pk, provider_name, error)
        raise BillingError(UNAVAILABLE) from error
    PaymentTransaction.objects.filter(pk=txn.pk).update(
        provider_id=checkout.provider_id, redirect_url=checkout.redirect_url
    )
    txn.provider_id, txn.redirect_url = checkout.provider_id, checkout.redirect_url
    return Started(txn=txn, redirect_url=checkout.redirect_url)


def _paid_by_credit(*, invoice, order, credit, now, user) -> Started:
    """Everything due is covered by the foyer's avoir: settled at once, no provider."""
    if order is not None:
        if not order_bookings_pay(order=order, now=now):
            raise BillingError(ORDER_EXPIRED)
        invoice = ticket_issue(order=order, now=now)
    payments = _settle(
        txn=None, invoice=invoice, credit=credit, amount=Decimal(0), mode="", now=now, user=user
    )
    if not payments:  # nothing was due (an order without price): the ticket says 0,00 €
        invoice_money_update(invoice=invoice_locked(invoice.pk), now=now)
        return Started(txn=None, redirect_url="", paid=True)
    mails.payment_receipt(invoice=invoice, payments=payments, key=f"receipt:{payments[0].pk}")
    return Started(txn=None, redirect_url="", paid=True)


def _txn_close(txn: PaymentTransaction, status: str, detail: str, now: datetime) -> None:
    """Settle ``txn`` (locked) without payment: its reserved avoir goes back."""
    account_release(txn=txn, now=now)
    PaymentTransaction.objects.filter(pk=txn.pk).update(status=status, detail=detail, closed_at=now)
    txn.status, txn.detail, txn.closed_at = status, detail, now


def _notice(provider, provider_id, txn, outcome, message) -> str:
    PaymentNotice.objects.create(
        provider=provider,
        provider_id=provider_id[:255],
        transaction=txn,
        outcome=outcome,
        message=message[:500],
    )
    level = (
        logging.INFO
        if outcome in (NoticeOutcome.RECORDED, NoticeOutcome.PENDING)
        else (logging.WARNING)
    )
    logger.log(level, "Payment notice %s %s: %s — %s", provider, provider_id, outcome, message)
    return outcome


def expected_echo(txn: PaymentTransaction, numcli: str) -> dict[str, str]:
    """What a provider must echo back for ``txn`` (PayFiP: numcli, refdet)."""
    reference = txn.invoice.number if txn.invoice_id else txn.order.reference
    return {"numcli": numcli, "refdet": refdet_of(reference)}


def notification_receive(*, provider_name: str, body: bytes, headers: Mapping[str, str]) -> str:
    """Verify and apply what ``provider_name`` posted; raise InvalidNotification (nothing
    recorded) when it cannot be trusted."""
    provider = provider_get(provider_name)
    notification = provider.parse(body=body, headers=headers)
    return notification_apply(provider_name=provider_name, notification=notification)


def notification_apply(
    *, provider_name: str, notification: Notification, now: datetime | None = None
) -> str:
    """Settle the transaction ``notification`` is about, once; return the NoticeOutcome."""
    provider_id = notification.provider_id
    if notification.outcome == Outcome.ASK:
        txn = (
            PaymentTransaction.objects.filter(provider=provider_name, provider_id=provider_id)
            .select_related("invoice", "order")
            .first()
        )
        if txn is None:
            return _notice(provider_name, provider_id, None, NoticeOutcome.UNKNOWN, "inconnue")
        if txn.status in FINAL_STATUSES:
            return _notice(provider_name, provider_id, txn, NoticeOutcome.DUPLICATE, "déjà traitée")
        try:
            notification = provider_get(provider_name).status(
                provider_id=provider_id,
                expected=expected_echo(txn, settings_get().payfip_numcli),
            )
        except ProviderUnavailable as error:
            return _notice(provider_name, provider_id, txn, NoticeOutcome.PENDING, str(error))
    now = now or timezone.now()
    with transaction.atomic():
        txn = (
            PaymentTransaction.objects.select_for_update(of=("self",))
            .filter(provider=provider_name, provider_id=provider_id)
            .select_related("invoice", "order")
            .first()
        )
        if txn is None:
            return _notice(provider_name, provider_id, None, NoticeOutcome.UNKNOWN, "inconnue")
        if txn.status in FINAL_STATUSES:
            return _notice(provider_name, provider_id, txn, NoticeOutcome.DUPLICATE, "déjà traitée")
        if notification.outcome == Outcome.PENDING:
            return _notice(provider_name, provider_id, txn, NoticeOutcome.PENDING, "en cours")
        if notification.outcome in (Outcome.FAILED, Outcome.CANCELLED):
            return _failed(txn, notification, now)
        return _paid(txn, notification, now)


def _failed(txn: PaymentTransaction, notification: Notification, now: datetime) -> str:
    failed = notification.outcome == Outcome.FAILED
    status = TransactionStatus.FAILED if failed else TransactionStatus.CANCELLED
    _txn_close(txn, status, notification.message, now)
    if txn.order_id:
        order_close(
            order=txn.order, status=OrderStatus.FAILED if failed else OrderStatus.CANCELLED, now=now
        )
    return _notice(txn.provider, txn.provider_id, txn, NoticeOutcome.FAILED, notification.message)


def _refused(txn: PaymentTransaction, reason: str, now: datetime) -> str:
    _txn_close(txn, TransactionStatus.REJECTED, reason, now)
    return _notice(txn.provider, txn.provider_id, txn, NoticeOutcome.REFUSED, reason)


def _paid(txn: PaymentTransaction, notification: Notification, now: datetime) -> str:
    if notification.amount_cents != cents(txn.amount):
        return _refused(
            txn,
            f"Montant reçu {notification.amount_cents} c, attendu {cents(txn.amount)} c : "
            "à rembourser par la régie.",
            now,
        )
    if notification.echoed:
        expected = expected_echo(txn, settings_get().payfip_numcli)
        wrong = [key for key, value in expected.items() if notification.echoed.get(key) != value]
        if wrong:
            return _refused(txn, f"Réponse non conforme ({', '.join(wrong)}).", now)
    mode = PROVIDER_MODES[txn.provider]
    if txn.invoice_id:
        invoice = invoice_locked(txn.invoice_id)
        credit = txn.credit_used if account_reserved(txn=txn) else Decimal(0)
        if invoice.balance < txn.amount + credit:
            return _refused(txn, f"{ALREADY_PAID} Paiement à rembourser par la régie.", now)
        payments = _settle(
            txn=txn,
            invoice=invoice,
            credit=credit,
            amount=txn.amount,
            mode=mode,
            now=now,
            user=None,
        )
    else:
        order = order_locked(txn.order_id)
        if order.status == OrderStatus.OPEN and order_bookings_pay(order=order, now=now):
            invoice = ticket_issue(order=order, now=now)
            credit = txn.credit_used if account_reserved(txn=txn) else Decimal(0)
            payments = _settle(
                txn=txn,
                invoice=invoice,
                credit=credit,
                amount=txn.amount,
                mode=mode,
                now=now,
                user=None,
            )
        else:
            return _paid_late(txn, order, mode, now)
    PaymentTransaction.objects.filter(pk=txn.pk).update(
        status=TransactionStatus.PAID, detail=notification.message, closed_at=now
    )
    mails.payment_receipt(invoice=invoice, payments=payments, key=f"receipt:txn:{txn.pk}")
    return _notice(txn.provider, txn.provider_id, txn, NoticeOutcome.RECORDED, notification.message)


def _paid_late(txn: PaymentTransaction, order: PrepaidOrder, mode: str, now: datetime) -> str:
    order_paid_late(txn=txn, order=order, mode=mode, now=now)
    PaymentTransaction.objects.filter(pk=txn.pk).update(
        status=TransactionStatus.PAID, detail="Reçu après la fin de la commande", closed_at=now
    )
    return _notice(
        txn.provider, txn.provider_id, txn, NoticeOutcome.RECORDED, "porté au compte de la famille"
    )
