"""Who may answer, close and decide, and who reads health data (issue 12, items 4 and 5).

The régisseur reads requests but decides nothing there; absence motifs and justificatifs
are health data, read only by the roles holding families.view_health (agent,
administrateur): the comptable and the régisseur read « (donnée de santé masquée) ».
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils.html import escape

from requests_inbox import services
from requests_inbox.exceptions import AbsenceDecisionNotAllowed
from requests_inbox.forms import Decision
from requests_inbox.models import Absence, AbsenceStatus, Category, Thread, ThreadStatus
from requests_inbox.selectors import HEALTH_MASKED
from reservations.lifecycle import Reason, State
from tenants.models import Role
from tests.factories import BookingFactory, MembershipFactory, PrestationFactory
from tests.requests_inbox.conftest import make_family, pdf_upload

pytestmark = pytest.mark.django_db

THREADS = "/admin/requests_inbox/thread/"
ABSENCES = "/admin/requests_inbox/absence/"
MOTIF = "Varicelle — certificat médical"
READERS = [Role.REGISSEUR, Role.COMPTABLE]
CARERS = [Role.AGENT, Role.ADMINISTRATEUR]


@pytest.fixture
def absence(tenant_a, in_tenant) -> Absence:
    family = make_family(tenant_a, in_tenant, name="ROUX")
    with in_tenant(tenant_a):
        BookingFactory(child=family.child, prestation=PrestationFactory(cantine=True))
        return services.absence_declare(
            foyer=family.foyer,
            child=family.child,
            start=dt.date(2026, 1, 15),
            end=dt.date(2026, 1, 15),
            motif=MOTIF,
            attachment=pdf_upload("certificat-medical.pdf"),
            user=family.user,
            now=dt.datetime(2026, 1, 14, 9, tzinfo=dt.UTC),
        )


@pytest.fixture
def question(tenant_a, in_tenant) -> Thread:
    family = make_family(tenant_a, in_tenant, name="BLANC")
    with in_tenant(tenant_a):
        return services.thread_open(
            foyer=family.foyer,
            category=Category.FACTURATION,
            subject="Mon prélèvement",
            body="Le prélèvement de janvier est-il passé ?",
            attachment=pdf_upload("releve.pdf"),
            user=family.user,
        )


def staff_client(client, collectivite, role):
    client.force_login(MembershipFactory(collectivite=collectivite, role=role).user)
    return client


def attachment_url(thread: Thread, in_tenant, tenant) -> str:
    with in_tenant(tenant):
        file = thread.messages.get().attachments.get()
    return f"/demandes/pieces-jointes/{file.pk}/"


@pytest.mark.parametrize("role", READERS)
def test_readers_see_absence_motifs_and_justificatifs_masked(
    role, absence, client_a, tenant_a, in_tenant
):
    client = staff_client(client_a, tenant_a, role)
    thread_page = client.get(f"{THREADS}{absence.thread_id}/change/").content.decode()
    assert MOTIF not in thread_page and "Varicelle" not in thread_page
    assert "certificat-medical.pdf" not in thread_page
    assert escape(HEALTH_MASKED) in thread_page
    absence_page = client.get(f"{ABSENCES}{absence.pk}/change/").content.decode()
    assert "Varicelle" not in absence_page and escape(HEALTH_MASKED) in absence_page
    # The file itself: not found for them, whatever its id.
    url = attachment_url(absence.thread, in_tenant, tenant_a)
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("role", CARERS)
def test_those_who_care_for_the_children_read_them(role, absence, client_a, tenant_a, in_tenant):
    client = staff_client(client_a, tenant_a, role)
    thread_page = client.get(f"{THREADS}{absence.thread_id}/change/").content.decode()
    assert escape(MOTIF) in thread_page and "certificat-medical.pdf" in thread_page
    assert escape(HEALTH_MASKED) not in thread_page
    assert escape(MOTIF) in client.get(f"{ABSENCES}{absence.pk}/change/").content.decode()
    response = client.get(attachment_url(absence.thread, in_tenant, tenant_a))
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('filename="certificat-medical.pdf"')


@pytest.mark.parametrize("role", READERS)
def test_a_request_about_money_is_read_whole_by_every_role(
    role, question, client_a, tenant_a, in_tenant
):
    client = staff_client(client_a, tenant_a, role)
    page = client.get(f"{THREADS}{question.pk}/change/").content.decode()
    assert "Le prélèvement de janvier est-il passé ?" in page
    assert client.get(attachment_url(question, in_tenant, tenant_a)).status_code == 200


def test_the_regisseur_reads_requests_but_cannot_answer_close_or_decide(
    absence, question, client_a, tenant_a, in_tenant
):
    client = staff_client(client_a, tenant_a, Role.REGISSEUR)
    changelist = client.get(THREADS)
    assert changelist.status_code == 200
    assert "Mon prélèvement" in changelist.content.decode()
    assert "Clore les demandes" not in changelist.content.decode()
    page = client.get(f"{THREADS}{question.pk}/change/").content.decode()
    assert 'name="reply"' not in page and 'name="absence_decision"' not in page
    # Posting anyway: the answer, the closing and the decision are refused, nothing moves.
    posted = client.post(
        f"{THREADS}{absence.thread_id}/change/",
        {"reply": "Accordé", "status": ThreadStatus.CLOSED, "absence_decision": Decision.ACCEPT},
    )
    assert posted.status_code == 403
    client.post(THREADS, {"action": "close", "_selected_action": [question.pk]})
    client.post(ABSENCES, {"action": "accept", "_selected_action": [absence.pk]})
    with in_tenant(tenant_a):
        assert Thread.objects.get(pk=question.pk).status != ThreadStatus.CLOSED
        thread = Thread.objects.get(pk=absence.thread_id)
        assert (thread.status, thread.messages.count()) == (ThreadStatus.OPEN, 1)
        assert Absence.objects.get(pk=absence.pk).status == AbsenceStatus.PENDING
        assert thread.foyer.children.get().bookings.get().state == State.VALIDATED
        # Reading is not answering: the agents still see the thread as unread.
        assert thread.staff_read_at is None


@pytest.mark.parametrize("role", READERS)
def test_the_service_refuses_an_absence_decision_without_the_capability(
    role, absence, tenant_a, in_tenant
):
    user = MembershipFactory(collectivite=tenant_a, role=role).user
    with in_tenant(tenant_a), pytest.raises(AbsenceDecisionNotAllowed):
        services.absence_decide(absence=absence, accept=True, user=user)
    with in_tenant(tenant_a):
        assert Absence.objects.get(pk=absence.pk).status == AbsenceStatus.PENDING


def test_an_agent_decides_and_the_cancellation_says_why(absence, client_a, tenant_a, in_tenant):
    client = staff_client(client_a, tenant_a, Role.AGENT)
    response = client.post(ABSENCES, {"action": "accept", "_selected_action": [absence.pk]})
    assert response.status_code == 302
    with in_tenant(tenant_a):
        booking = absence.child.bookings.get()
        assert (booking.state, booking.state_reason) == (
            State.CANCELLED,
            Reason.JUSTIFIED_ABSENCE,
        )
        assert booking.events.latest("pk").by_staff
