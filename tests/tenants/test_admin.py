"""Platform admin: collectivités, their logo, accounts. Smoke tests of each screen."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.forms import modelform_factory
from PIL import Image

from tenants.models import Collectivite
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(public_client):
    public_client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return public_client


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), "#1d4e89").save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "path",
    [
        "/admin/",
        "/admin/tenants/collectivite/?q=alpha",
        "/admin/tenants/collectivite/add/",
        "/admin/tenants/membership/?q=agent",
        "/admin/tenants/adhesion/",
        "/admin/portal/user/?q=personne",
        "/admin/portal/outgoingemail/",
    ],
)
def test_platform_admin_screens_open(superuser_client, path):
    assert superuser_client.get(path).status_code == 200


def test_platform_lists_collectivites_without_the_public_row(superuser_client):
    body = superuser_client.get("/admin/tenants/collectivite/").content.decode()
    assert "COMMUNE DE BETA" in body
    assert "Espace Famille</a>" not in body


def test_a_logo_uploaded_on_the_platform_shows_on_the_collectivites_pages(
    superuser_client, tenant_b, client_b, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    tenant_b.logo = SimpleUploadedFile("beta.png", _png(), content_type="image/png")
    tenant_b.full_clean()
    tenant_b.save()
    body = client_b.get("/").content.decode()
    assert '<img src="/media/platform/logos/beta/beta.png"' in body
    assert (tmp_path / "platform" / "logos" / "beta" / "beta.png").exists()


def test_a_file_that_is_not_an_image_is_refused_as_logo(tenant_b):
    form_class = modelform_factory(Collectivite, fields=["logo"])
    fake = SimpleUploadedFile("logo.png", b"MZ\x90\x00 an executable", "image/png")
    form = form_class(data={}, files={"logo": fake}, instance=tenant_b)
    assert not form.is_valid()
    assert "image valide" in form.errors["logo"][0]
    tenant_b.refresh_from_db()
    assert not tenant_b.logo


def test_creating_a_collectivite_creates_its_schema(superuser_client):
    response = superuser_client.post(
        "/admin/tenants/collectivite/add/",
        {
            "name": "Commune de Gamma",
            "schema_name": "gamma",
            "holiday_zone": "A",
            "data_retention_years": "3",  # shown since the DPO fieldset (issue 12)
            "domains-TOTAL_FORMS": "1",
            "domains-INITIAL_FORMS": "0",
            "domains-0-domain": "gamma.localhost",
            "domains-0-is_primary": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    gamma = Collectivite.objects.get(schema_name="gamma")
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('gamma.families_foyer') IS NOT NULL")
        assert cursor.fetchone() == (True,)
    assert gamma.get_primary_domain().domain == "gamma.localhost"


@pytest.mark.parametrize(
    "path",
    [
        "/admin/",
        "/admin/families/foyer/?q=x",
        "/admin/families/foyer/add/",
        "/admin/families/child/?school=x",
        "/admin/tenants/membership/",
        "/admin/tenants/membership/add/",
    ],
)
def test_tenant_admin_screens_open_for_an_administrateur(tenant_a, client_a, path):
    client_a.force_login(MembershipFactory(collectivite=tenant_a, role="administrateur").user)
    assert client_a.get(path).status_code == 200
