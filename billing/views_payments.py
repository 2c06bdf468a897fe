"""Paying from « Mes factures » and after « Valider »: the payment page of an order, « Payer »
on an invoice, the return from the provider, the demonstration provider's page, and the
providers' notifications (the only place a payment is settled).

The return page never settles anything: it shows what the notification recorded.
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billing import selectors
from billing.exceptions import BillingError
from billing.models import OrderStatus, PaymentTransaction, Provider, TransactionStatus
from billing.payments import demo, online_provider_name, settings_get
from billing.payments.base import InvalidNotification, cents
from billing.services.accounts import account_balance
from billing.services.orders import prepaid_orders_for_held
from billing.services.transactions import Urls, notification_receive, payment_start
from billing.views import INVOICE_NOT_FOUND, foyer_required

logger = logging.getLogger("billing.payments")

ORDER_NOT_FOUND = "Cette commande n'existe pas."
PAYMENT_NOT_FOUND = "Ce paiement n'existe pas."
PAID_BY_CREDIT = "Réglé avec l'avoir de votre compte : votre reçu vous a été envoyé."
NOTHING_HELD = "Aucune réservation n'attend de paiement."
DEMO_ANSWERED = "Réponse de la page de démonstration enregistrée."


def _urls(request) -> Urls:
    return Urls(
        return_url=lambda txn: request.build_absolute_uri(
            reverse("billing:payment_return", args=[txn.pk])
        ),
        notify_url=lambda provider: request.build_absolute_uri(
            reverse("billing:notify", args=[provider])
        ),
    )


def _go(request, started, back: str):
    if started.paid:
        messages.success(request, PAID_BY_CREDIT)
        return redirect("billing:index")
    return redirect(started.redirect_url or back)


@require_POST
@foyer_required
def pay_invoice(request, foyer, pk):
    """« Payer » on an invoice to pay: to the provider's page (or paid by the avoir)."""
    invoice = selectors.foyer_invoice(foyer=foyer, pk=pk)
    if invoice is None:
        raise Http404(INVOICE_NOT_FOUND)
    back = reverse("billing:detail", args=[pk])
    try:
        started = payment_start(
            foyer=foyer, invoice=invoice, user=request.user, urls=_urls(request)
        )
    except BillingError as error:
        messages.error(request, error.message)
        return redirect(back)
    return _go(request, started, back)


@require_GET
@foyer_required
def order_page(request, foyer, pk):
    """The payment page of a prépaiement order: what is held, its price, « Payer »."""
    order = selectors.foyer_order(foyer=foyer, pk=pk)
    if order is None:
        raise Http404(ORDER_NOT_FOUND)
    provider = online_provider_name(settings_get())
    context = {
        "order": order,
        "provider": provider,
        "demo": provider == Provider.DEMO,
        "credit": min(account_balance(foyer_id=foyer.pk), order.total),
        "open": order.status == OrderStatus.OPEN,
    }
    return render(request, "billing/order.html", context)


@require_POST
@foyer_required
def pay_order(request, foyer, pk):
    order = selectors.foyer_order(foyer=foyer, pk=pk)
    if order is None:
        raise Http404(ORDER_NOT_FOUND)
    back = reverse("billing:order", args=[pk])
    try:
        started = payment_start(foyer=foyer, order=order, user=request.user, urls=_urls(request))
    except BillingError as error:
        messages.error(request, error.message)
        return redirect(back)
    return _go(request, started, back)


@require_POST
@foyer_required
def pay_held(request, foyer):
    """« Payer mes réservations »: an order for the held lines the family was told to pay."""
    orders = prepaid_orders_for_held(foyer=foyer, user=request.user)
    if not orders:
        messages.info(request, NOTHING_HELD)
        return redirect("billing:index")
    return redirect("billing:order", pk=orders[0].pk)


@require_GET
@foyer_required
def payment_return(request, foyer, pk):
    """Where the provider sends the payer back: what was recorded, nothing more."""
    txn = selectors.foyer_transaction(foyer=foyer, pk=pk)
    if txn is None:
        raise Http404(PAYMENT_NOT_FOUND)
    ticket = txn.order.ticket if txn.order_id and txn.order.ticket_id else None
    return render(
        request,
        "billing/payment_return.html",
        {"txn": txn, "ticket": ticket, "statuses": TransactionStatus},
    )


@require_http_methods(["GET", "POST"])
@foyer_required
def demo_page(request, foyer, provider_id):
    """« Paiement de démonstration »: Payer, Refuser or Abandonner, posted as a signed
    notification to the same handler as a real provider's webhook."""
    txn = (
        PaymentTransaction.objects.filter(
            foyer=foyer, provider=Provider.DEMO, provider_id=provider_id
        )
        .select_related("invoice", "order__service")
        .first()
    )
    if txn is None:
        raise Http404(PAYMENT_NOT_FOUND)
    answer = request.POST.get("reponse")
    if request.method == "POST":
        if answer not in demo.ANSWERS:
            return HttpResponseBadRequest("Réponse inconnue.")
        payload, signature = demo.demo_notification(
            provider_id=provider_id, answer=answer, amount_cents=cents(txn.amount)
        )
        notification_receive(
            provider_name=Provider.DEMO, body=payload, headers={demo.HEADER: signature}
        )
        return redirect("billing:payment_return", pk=txn.pk)
    return render(
        request,
        "billing/demo.html",
        {"txn": txn, "pending": txn.status == TransactionStatus.PENDING},
    )


@csrf_exempt
@require_POST
def notify(request, provider):
    """A provider's server-to-server notification: verified, then applied once.

    400 when it cannot be trusted (bad signature, stale, malformed): nothing recorded.
    """
    if provider not in Provider.values:
        raise Http404(PAYMENT_NOT_FOUND)
    try:
        outcome = notification_receive(
            provider_name=provider, body=request.body, headers=request.headers
        )
    except InvalidNotification as error:
        logger.warning("Payment notification refused (%s): %s", provider, error)
        return HttpResponseBadRequest("Notification refusée.")
    return HttpResponse(outcome, content_type="text/plain")
