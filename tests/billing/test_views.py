"""« Mes factures »: the foyer's own invoices only, their detail and PDF; query counts."""

from __future__ import annotations

import pytest
from django.urls import reverse

from billing.documents import invoices_render
from billing.models import Invoice, InvoiceRun
from billing.services.runs import invoice_run_execute
from tenants.services import adhesion_add
from tests.billing.conftest import ISSUED, NOV
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

INDEX = reverse("billing:index")


@pytest.fixture
def invoiced(month, tenant_a, in_tenant, settings, tmp_path):
    """November billed and rendered; the BERNARD account logged in on alpha."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    user = UserFactory()
    adhesion_add(user=user, collectivite=tenant_a)
    with in_tenant(tenant_a):
        month["bernard"].user = user
        month["bernard"].save(update_fields=["user"])
        run = InvoiceRun.objects.create(
            service=month["service"], period_start=NOV[0], period_end=NOV[1]
        )
        invoice_run_execute(run=run, today=ISSUED)
        invoices_render(invoice_ids=Invoice.objects.values_list("pk", flat=True))
        own = Invoice.objects.get(foyer=month["bernard"])
        other = Invoice.objects.get(foyer=month["aubert"])
    return {"user": user, "own": own, "other": other}


def test_factures_en_cours_lists_the_foyers_invoice_like_the_seeds(
    invoiced, client_a, django_assert_num_queries
):
    client_a.force_login(invoiced["user"])
    # search_path and the domain (tenant), search_path, account, adhesion, foyer, invoices,
    # the payment settings, the foyer's mandate, avoir and held lines (one query), the unread
    # count of « Mes demandes » in the menu
    with django_assert_num_queries(10):
        page = client_a.get(INDEX).content.decode()
    assert "Factures en cours" in page and "Factures payées" in page
    assert "Facture du 01/12/2026 pour M. BERNARD Paul (réf. : 2026-GRO-000002)" in page
    assert "44,80 €" in page and "À régler" in page
    assert "2026-GRO-000001" not in page  # AUBERT's


def test_the_detail_and_the_pdf(invoiced, client_a, django_assert_num_queries):
    client_a.force_login(invoiced["user"])
    own = invoiced["own"]
    # the ten of the list, less the invoices, plus the invoice, its lines, its credit notes,
    # its payments
    with django_assert_num_queries(13):
        page = client_a.get(reverse("billing:detail", args=[own.pk])).content.decode()
    assert "10/11/2026" in page and "CANTINE (absence non justifiée)" in page
    assert "Reste à payer" in page and "44,80 €" in page
    response = client_a.get(reverse("billing:pdf", args=[own.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content).startswith(b"%PDF")


@pytest.mark.parametrize("name", ["billing:detail", "billing:pdf"])
def test_another_foyers_invoice_is_a_404(invoiced, client_a, name):
    client_a.force_login(invoiced["user"])
    assert client_a.get(reverse(name, args=[invoiced["other"].pk])).status_code == 404


@pytest.mark.parametrize("name", ["billing:detail", "billing:pdf"])
def test_another_collectivite_never_shows_it(invoiced, client_b, tenant_b, name):
    adhesion_add(user=invoiced["user"], collectivite=tenant_b)
    client_b.force_login(invoiced["user"])
    # No foyer in beta: the same id there is nobody's invoice.
    assert client_b.get(reverse(name, args=[invoiced["own"].pk])).status_code == 404


def test_anonymous_goes_to_login(invoiced, client_a):
    response = client_a.get(reverse("billing:detail", args=[invoiced["own"].pk]))
    assert response.status_code == 302 and "/connexion/" in response["Location"]
