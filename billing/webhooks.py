"""Stripe's webhook on the root domain: one endpoint for every collectivité.

The event is verified first (signature and age), then applied in the schema its Checkout
Session names (``metadata.schema``); an event naming no known collectivité is refused.
"""

from __future__ import annotations

import logging

from django.http import HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django_tenants.utils import tenant_context

from billing.payments.base import InvalidNotification
from billing.payments.stripe_checkout import event_schema
from tenants.models import Collectivite

logger = logging.getLogger("billing.payments")


@csrf_exempt
@require_POST
def stripe_webhook(request):
    from billing.services.transactions import notification_receive

    try:
        schema = event_schema(request.body, request.headers)
    except InvalidNotification as error:
        logger.warning("Stripe webhook refused: %s", error)
        return HttpResponseBadRequest("Notification refusée.")
    collectivite = Collectivite.objects.collectivites().filter(schema_name=schema).first()
    if collectivite is None:
        logger.warning("Stripe webhook for an unknown collectivité %r", schema)
        return HttpResponseBadRequest("Collectivité inconnue.")
    with tenant_context(collectivite):
        outcome = notification_receive(
            provider_name="stripe", body=request.body, headers=request.headers
        )
    return HttpResponse(outcome, content_type="text/plain")
