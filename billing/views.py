"""« Mes factures »: « Factures en cours » and « Factures payées », an invoice, its PDF."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from billing import selectors
from billing.documents import printed
from billing.models import Invoice
from portal.admin_sites import is_tenant_staff
from portal.decorators import NO_FOYER_HERE, family_required, foyer_required_by

INVOICE_NOT_FOUND = "Cette facture n'existe pas."
PDF_NOT_READY = "Le PDF de cette facture est en préparation : réessayez dans quelques minutes."

foyer_required = foyer_required_by(selectors.foyer_of_user)


@require_GET
@family_required
def index(request):
    """The foyer's invoices to pay, then those settled, newest first."""
    foyer = selectors.foyer_of_user(user=request.user)
    if foyer is None:
        return render(request, "billing/index.html", {"no_foyer": NO_FOYER_HERE})
    invoices = selectors.foyer_invoices(foyer=foyer)
    paying = selectors.payment_context(foyer=foyer)
    return render(request, "billing/index.html", {"invoices": invoices, "paying": paying})


@require_GET
@foyer_required
def detail(request, foyer, pk):
    """One invoice: its lines per child and date, its total and what remains to pay."""
    invoice = selectors.foyer_invoice(foyer=foyer, pk=pk)
    if invoice is None:
        raise Http404(INVOICE_NOT_FOUND)
    (document,) = printed([invoice])
    paying = selectors.payment_context(foyer=foyer)
    return render(
        request,
        "billing/detail.html",
        {"invoice": invoice, "document": document, "paying": paying},
    )


@require_GET
@foyer_required
def pdf(request, foyer, pk):
    """The invoice's PDF, to its foyer only (private storage, no public URL)."""
    invoice = selectors.foyer_invoice(foyer=foyer, pk=pk)
    if invoice is None:
        raise Http404(INVOICE_NOT_FOUND)
    return _pdf_response(invoice)


@require_GET
@login_required
def staff_pdf(request, pk):
    """The invoice's PDF, to this collectivité's staff who may read invoices."""
    if not (
        is_tenant_staff(request.user, request.tenant)
        and request.user.has_perm("billing.view_invoice")
    ):
        raise Http404(INVOICE_NOT_FOUND)
    invoice = Invoice.objects.filter(pk=pk).first()
    if invoice is None:
        raise Http404(INVOICE_NOT_FOUND)
    return _pdf_response(invoice)


def _pdf_response(invoice):
    if not invoice.pdf:
        raise Http404(PDF_NOT_READY)
    try:
        handle = invoice.pdf.open("rb")
    except FileNotFoundError as error:
        raise Http404(PDF_NOT_READY) from error
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"facture-{invoice.number}.pdf",
        content_type="application/pdf",
    )
    response["Cache-Control"] = "private, no-store"
    return response
