"""Money and invoice captions as the seeds write them."""

from __future__ import annotations

from django import template
from django.utils import timezone

from billing.documents import euros as _euros

register = template.Library()


@register.filter
def euros(amount) -> str:
    """« 63,00 »."""
    return _euros(amount)


@register.filter
def invoice_caption(invoice) -> str:
    """« Facture du 01/12/2026 pour M. BERNARD Paul (réf. : 2026-CAN-000123) »."""
    caption = f"Facture du {invoice.issued_on:%d/%m/%Y} pour {invoice.payer_name}"
    if invoice.paid_at:
        caption += f" payée le {timezone.localtime(invoice.paid_at):%d/%m/%Y %H:%M:%S}"
    return f"{caption} (réf. : {invoice.number})"
