"""Payment providers behind one interface (``base.PaymentProvider``), and which one a
collectivité uses online.

- ``stripe_checkout``: Stripe Checkout when ``STRIPE_SECRET_KEY`` is set; outcome from the
  signed webhook only;
- ``demo``: « paiement de démonstration », its own page, the same webhook path;
- ``payfip``: the DGFiP's web service when the collectivité configured it;
- ``counter`` (the régie's counter) and ``sepa`` (direct debit) are recorded by staff.
"""

from __future__ import annotations

from django.conf import settings

from billing.models import PaymentSettings, Provider
from billing.payments.base import PaymentProvider


def settings_get() -> PaymentSettings:
    """Return this collectivité's payment settings (one query); until staff save them, the
    defaults with its PayFiP identifier (nothing written on a read)."""
    from django.db import connection

    found = PaymentSettings.objects.first()
    if found is None:
        found = PaymentSettings(
            payfip_numcli=getattr(connection.tenant, "payfip_identifier", "") or ""
        )
    return found


def online_provider_name(payment_settings: PaymentSettings) -> str | None:
    """Return the provider families pay with online here, or None (pay at the régie).

    A collectivité in demonstration pays with the demo provider whatever else is set; else
    PayFiP when it configured it, Stripe when the platform has a key; the demo provider
    otherwise, outside production only (no real money would ever be asked there).
    """
    if payment_settings.demo:
        return Provider.DEMO
    if payment_settings.payfip_online and payment_settings.payfip_numcli:
        return Provider.PAYFIP
    if settings.STRIPE_SECRET_KEY:
        return Provider.STRIPE
    if not settings.PRODUCTION:
        return Provider.DEMO
    return None


def provider_get(name: str) -> PaymentProvider:
    """Return the provider module's implementation for ``name``."""
    from billing.payments import demo, payfip, stripe_checkout

    providers = {
        Provider.DEMO: demo.DemoProvider,
        Provider.STRIPE: stripe_checkout.StripeCheckout,
        Provider.PAYFIP: payfip.PayfipProvider,
    }
    if name not in providers:
        raise LookupError(name)
    return providers[name]()
