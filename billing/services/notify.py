"""E-mails of billing: each family told once per invoice, with a link, never the PDF."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection
from django.template.loader import render_to_string
from django.utils import timezone

from billing.documents import euros, portal_invoices_url
from billing.models import Invoice
from families.models import Responsable
from portal.models import NotificationPreference
from portal.services import email_queue


def _recipient(invoice: Invoice, responsables: dict[int, str]) -> str:
    return invoice.foyer.email or responsables.get(invoice.foyer_id, "")


def invoices_notify(*, invoice_ids: Sequence[int]) -> int:
    """Queue the « new invoice » e-mail of each invoice not yet e-mailed; return how many.

    Once per invoice (the journal's key is the invoice), to the foyer's login e-mail or its
    first responsable who chose e-mail. The PDF is not attached: it names the children.
    """
    invoices = list(
        Invoice.objects.filter(pk__in=list(invoice_ids), emailed_at__isnull=True).select_related(
            "foyer"
        )
    )
    if not invoices:
        return 0
    responsables = {}
    for foyer_id, email in (
        Responsable.objects.filter(
            foyer_id__in={i.foyer_id for i in invoices},
            notification=NotificationPreference.EMAIL,
        )
        .exclude(email="")
        .order_by("foyer_id", "-rank")
        .values_list("foyer_id", "email")
    ):
        responsables[foyer_id] = email
    base = portal_invoices_url()
    sent = []
    for invoice in invoices:
        to = _recipient(invoice, responsables)
        if not to:
            continue
        email_queue(
            to=to,
            subject=f"Votre facture n° {invoice.number}",
            body=render_to_string(
                "billing/emails/invoice_issued.txt",
                {
                    "invoice": invoice,
                    "amount": euros(invoice.total),
                    "url": f"{base}{invoice.pk}/",
                    "collectivite": connection.tenant,
                },
            ),
            key=f"invoice-issued:{invoice.pk}",
        )
        sent.append(invoice.pk)
    Invoice.objects.filter(pk__in=sent).update(emailed_at=timezone.now())
    return len(sent)
