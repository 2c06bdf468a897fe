"""Posts, sites and families of the news tests, in the session collectivités.

The clock of these tests is NOW (Monday 12/01/2026 09:00 in Paris); selectors get it as
``now``, pages through time_machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from families.models import Child, Foyer
from news.models import Post
from news.rules import PARIS
from reservations.models import BookingState, Prestation, Service
from tenants.services import adhesion_add
from tests.factories import BookingFactory, ChildFactory, FoyerFactory, UserFactory

NOW = datetime(2026, 1, 12, 9, 0, tzinfo=PARIS)
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 256


@pytest.fixture(autouse=True)
def _private_files(settings, tmp_path):
    """Attachments land in this test's own folder, never in the project's .data/."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    return settings.PRIVATE_MEDIA_ROOT


def stored_files(root) -> list:
    return [path for path in root.rglob("*") if path.is_file()]


def make_post(**fields) -> Post:
    """A post online since yesterday for every family (inside the tenant)."""
    values = {
        "title": "Information",
        "body": "Texte de l'actualité.",
        "publish_at": NOW - timedelta(days=1),
        **fields,
    }
    return Post.objects.create(**values)


def upload(content: bytes = PDF, name: str = "menu.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


@dataclass
class Family:
    user: object
    foyer: Foyer
    child: Child


def make_family(tenant, in_tenant, **foyer_fields) -> Family:
    """An account that joined ``tenant``, its foyer and one child."""
    user = UserFactory()
    adhesion_add(user=user, collectivite=tenant)
    with in_tenant(tenant):
        foyer = FoyerFactory(user=user, email=user.email, **foyer_fields)
        return Family(user, foyer, ChildFactory(foyer=foyer))


def make_site(name: str = "ECOLE DU BOURG") -> tuple[Service, Prestation]:
    """A site and its cantine (inside the tenant)."""
    service = Service.objects.create(name=name, billing_mode="postfacturation")
    cantine = Prestation.objects.create(
        service=service,
        name="CANTINE",
        weekdays=[1, 2, 4, 5],
        capacity=50,
        booking_rule="days_before",
        rule_time=time(17),
    )
    return service, cantine


def book(child, prestation, *, on: date = date(2026, 1, 15), state=BookingState.VALIDATED, **extra):
    return BookingFactory(child=child, prestation=prestation, day=on, state=state, **extra)
