"""Personal-data rights: account deletion, retention purge, complete download, DPO contact."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from django.utils.html import escape

from families.models import Child, Foyer, QuotientFamilial
from families.services_privacy import foyers_purge
from portal.views import ACCOUNT_DELETED, WRONG_PASSWORD
from requests_inbox import services as requests_services
from requests_inbox.models import Thread
from reservations.models import Booking, BookingEvent, BookingState, Prestation, Service
from tenants.exceptions import LastAdministrateur
from tenants.models import Adhesion, Role
from tests.factories import DEFAULT_PASSWORD, MembershipFactory, UserFactory
from tests.families.test_account import EXPORT, PRIVACY, make_family

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _private_files(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path


def _prestation() -> Prestation:
    service = Service.objects.create(
        name="CANTINE", billing_mode="postfacturation", closed_during_school_holidays=False
    )
    return Prestation.objects.create(
        service=service,
        name="CANTINE MIDI",
        weekdays=[1, 2, 3, 4, 5],
        capacity=10,
        booking_rule="days_before",
        rule_days_before=1,
        rule_time=dt.time(17),
    )


def _booking(child: Child, prestation: Prestation, day: dt.date) -> Booking:
    booking = Booking.objects.create(
        child=child, prestation=prestation, day=day, state=BookingState.VALIDATED
    )
    BookingEvent.objects.create(booking=booking, state=BookingState.VALIDATED, note="panier")
    return booking


# Account deletion


def test_deleting_an_account_bound_in_two_collectivites_never_500s(
    tenant_a, tenant_b, in_tenant, public_client
):
    user = UserFactory(email="partante@exemple.test", first_name="Inès")
    family_a = make_family(tenant_a, in_tenant, user=user)
    family_b = make_family(tenant_b, in_tenant, user=user)
    with in_tenant(tenant_a):
        booking = _booking(family_a.children[0], _prestation(), dt.date(2026, 1, 12))
    public_client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = public_client.post(f"/admin/portal/user/{user.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.email.startswith("compte-supprime-") and user.first_name == ""
    assert not user.is_active and not user.has_usable_password()
    assert not Adhesion.objects.filter(user=user).exists()
    for tenant, family in ((tenant_a, family_a), (tenant_b, family_b)):
        with in_tenant(tenant):
            foyer = Foyer.objects.get(pk=family.foyer.pk)
            assert foyer.user_id is None  # unbound, kept for the accounts
    with in_tenant(tenant_a):
        assert Booking.objects.filter(pk=booking.pk).exists()
    assert not get_user_model().objects.filter(email="partante@exemple.test").exists()


def test_a_family_deletes_its_own_account_with_its_password(tenant_a, in_tenant, client_a):
    family = make_family(tenant_a, in_tenant)
    client_a.force_login(family.user)
    wrong = client_a.post("/compte/supprimer/", {"password": "pas-le-bon"})
    assert escape(WRONG_PASSWORD) in wrong.content.decode()
    response = client_a.post("/compte/supprimer/", {"password": DEFAULT_PASSWORD}, follow=True)
    assert escape(ACCOUNT_DELETED) in response.content.decode()
    assert "_auth_user_id" not in client_a.session
    with in_tenant(tenant_a):
        assert Foyer.objects.get(pk=family.foyer.pk).user_id is None


def test_the_last_administrateur_cannot_delete_its_account(tenant_a, client_a):
    member = MembershipFactory(collectivite=tenant_a, role=Role.ADMINISTRATEUR)
    client_a.force_login(member.user)
    response = client_a.post("/compte/supprimer/", {"password": DEFAULT_PASSWORD})
    assert escape(LastAdministrateur.message) in response.content.decode()
    member.user.refresh_from_db()
    assert member.user.is_active


# Retention purge


def test_the_purge_anonymises_foyers_past_retention_and_keeps_booking_history(tenant_a, in_tenant):
    old = make_family(tenant_a, in_tenant, name="ANCIENS")
    recent = make_family(tenant_a, in_tenant, name="RECENTS")
    today = timezone.localdate()
    years_ago = lambda n: today - dt.timedelta(days=365 * n)  # noqa: E731
    with in_tenant(tenant_a):
        prestation = _prestation()
        Foyer.objects.filter(pk=old.foyer.pk).update(
            created_at=timezone.now() - dt.timedelta(days=365 * 6), left_on=years_ago(4)
        )
        old_booking = _booking(old.children[0], prestation, years_ago(5))
        _booking(recent.children[0], prestation, years_ago(1))
        QuotientFamilial.objects.create(
            foyer=old.foyer, value=500, source="CAF", valid_from=dt.date(2025, 9, 1)
        )
        requests_services.thread_open(
            foyer=old.foyer,
            category="autre",
            subject="Question",
            body="Bonjour",
            attachment=None,
            user=old.user,
        )
        # Written back then too: a message is a sign of life that restarts the clock.
        Thread.objects.filter(foyer=old.foyer).update(
            last_message_at=timezone.now() - dt.timedelta(days=365 * 4)
        )
    # Alpha keeps data 3 years: left 4 years ago is due; a booking last year is not.
    assert foyers_purge(collectivite=tenant_a, today=today) == 1
    assert foyers_purge(collectivite=tenant_a, today=today) == 0  # once
    with in_tenant(tenant_a):
        foyer = Foyer.objects.get(pk=old.foyer.pk)
        assert foyer.name.startswith("FOYER ANONYMISÉ") and foyer.email == ""
        assert foyer.user_id is None and foyer.anonymised_at is not None
        assert not foyer.responsables.exists() and not foyer.quotients.exists()
        assert not Thread.objects.filter(foyer=foyer).exists()
        child = Child.objects.get(pk=old.children[0].pk)
        assert (child.last_name, child.allergies, child.pai) == ("ANONYME", "", False)
        assert child.birth_date == dt.date(old.children[0].birth_date.year, 1, 1)
        history = Booking.objects.get(pk=old_booking.pk)
        assert history.child_id == child.pk and history.events.count() == 1
        assert Foyer.objects.get(pk=recent.foyer.pk).name == "RECENTS"
    assert not Adhesion.objects.filter(user=old.user, collectivite=tenant_a).exists()


# Complete download


def test_the_download_holds_bookings_waiting_lists_requests_and_the_files(
    tenant_a, in_tenant, client_a
):
    family = make_family(tenant_a, in_tenant)
    with in_tenant(tenant_a):
        _booking(family.children[0], _prestation(), dt.date(2026, 1, 12))
        requests_services.thread_open(
            foyer=family.foyer,
            category="autre",
            subject="Facture de janvier",
            body="Pouvez-vous vérifier ?",
            attachment=SimpleUploadedFile("facture.pdf", PDF, content_type="application/pdf"),
            user=family.user,
        )
    client_a.force_login(family.user)
    response = client_a.get(EXPORT)
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        data = json.loads(archive.read("donnees.json"))
        (request,) = data["demandes"]
        (attached,) = request["messages"][0]["pieces_jointes"]
        assert archive.read(attached["fichier"]) == PDF
    (booking,) = data["reservations"]
    assert booking["jour"] == "2026-01-12" and booking["etat"] == "Demande validée"
    assert booking["historique"][0]["motif"] == "panier"
    assert data["listes_d_attente"] == []
    assert request["objet"] == "Facture de janvier"


# DPO


def test_the_privacy_page_names_the_dpo(tenant_a, client_a):
    tenant_a.dpo_name = "Centre de gestion du Tarn"
    tenant_a.dpo_email = "dpo@cdg81.test"
    tenant_a.save()
    body = Client(HTTP_HOST="alpha.localhost").get(PRIVACY).content.decode()
    assert "Délégué à la protection des données" in body
    assert "Centre de gestion du Tarn" in body and "dpo@cdg81.test" in body
