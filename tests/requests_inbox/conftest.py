"""Fixtures of « Mes demandes »: attachments in a temporary folder, families of alpha."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from families.models import Child, Foyer
from tenants.services import adhesion_add
from tests.factories import ChildFactory, FoyerFactory, UserFactory
from tests.requests_inbox.files import minimal_pdf


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    """Store attachments in this test's own folder, and return it."""
    root = tmp_path / "private"
    settings.PRIVATE_MEDIA_ROOT = root
    return root


def stored_files(root) -> list:
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


@dataclass
class Family:
    user: object
    foyer: Foyer
    child: Child


def make_family(collectivite, in_tenant, *, name="MARTIN", email=None) -> Family:
    """An account that joined ``collectivite``, its foyer (with an e-mail) and one child."""
    user = UserFactory()
    adhesion_add(user=user, collectivite=collectivite)
    with in_tenant(collectivite):
        foyer = FoyerFactory(name=name, user=user, email=email or f"{name.lower()}@exemple.test")
        child = ChildFactory(foyer=foyer, first_name="Lina")
    return Family(user=user, foyer=foyer, child=child)


@pytest.fixture
def family(tenant_a, in_tenant, client_a) -> Family:
    """A family of alpha, logged in on alpha's client."""
    result = make_family(tenant_a, in_tenant)
    client_a.force_login(result.user)
    return result


@pytest.fixture
def other_family(tenant_a, in_tenant) -> Family:
    """Another foyer of the same collectivité."""
    return make_family(tenant_a, in_tenant, name="DUPONT")


def pdf_upload(name: str = "certificat.pdf", content: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content or minimal_pdf(), content_type="application/pdf")
