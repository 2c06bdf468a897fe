"""The staff's admin of requests and absences: screens, answers with files, decisions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.html import escape

from requests_inbox import services
from requests_inbox.exceptions import AttachmentTypeRefused
from requests_inbox.forms import ATTACHMENT_WITHOUT_TEXT, Decision
from requests_inbox.models import Absence, AbsenceStatus, Category, Thread, ThreadStatus
from reservations.models import Booking, BookingState, Prestation, Service
from tenants.models import Role
from tests.factories import MembershipFactory
from tests.requests_inbox.conftest import make_family, pdf_upload, stored_files
from tests.requests_inbox.files import EXE, minimal_pdf

pytestmark = pytest.mark.django_db

THREADS = "/admin/requests_inbox/thread/"
ABSENCES = "/admin/requests_inbox/absence/"


def change_url(thread: Thread) -> str:
    return f"{THREADS}{thread.pk}/change/"


@pytest.fixture
def agent(tenant_a):
    return MembershipFactory(
        collectivite=tenant_a, role=Role.AGENT, user__first_name="Agnès", user__last_name="AGENT"
    ).user


@pytest.fixture
def agent_client(client_a, agent):
    client_a.force_login(agent)
    return client_a


@pytest.fixture
def thread(tenant_a, in_tenant) -> Thread:
    family = make_family(tenant_a, in_tenant, name="LEFEBVRE")
    with in_tenant(tenant_a):
        return services.thread_open(
            foyer=family.foyer,
            category=Category.RESERVATIONS,
            subject="Garderie du mercredi",
            body="Bonjour <script>alert(1)</script>",
            attachment=pdf_upload("planning.pdf"),
            user=family.user,
        )


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?q=Garderie",
        "?q=LEFEBVRE",
        "?status__exact=ouverte&category__exact=reservations",
        "?attribuee=moi",
        "?attribuee=personne",
        "?lecture=non_lues",
        "?lecture=lues",
        "?o=2",
        "?_facets=True&lecture=non_lues",
    ],
)
def test_the_changelist_renders_with_filters_and_search(agent_client, thread, query):
    body = page(agent_client.get(f"{THREADS}{query}"))
    shown = "Garderie du mercredi" in body
    assert shown is (query not in ("?attribuee=moi", "?lecture=lues"))


def test_the_changelist_marks_unread_threads_and_lists_only_this_collectivites_staff(
    agent_client, thread, tenant_b
):
    MembershipFactory(collectivite=tenant_b, user__first_name="Bruno", user__last_name="BETA")
    body = page(agent_client.get(THREADS))
    assert "<strong>1 non lu</strong>" in body
    assert "Agnès AGENT" in body  # the assignee filter
    assert "Bruno BETA" not in body


def test_the_changelist_query_count_does_not_grow_with_the_threads(
    agent_client, tenant_a, in_tenant, django_assert_max_num_queries
):
    counts = []
    for size in (1, 10):
        family = make_family(tenant_a, in_tenant, name=f"TAILLE {size}")
        with in_tenant(tenant_a):
            for _ in range(size):
                services.thread_open(
                    foyer=family.foyer,
                    category=Category.AUTRE,
                    subject="Question",
                    body="Bonjour",
                    user=family.user,
                )
        agent_client.get(THREADS)
        with django_assert_max_num_queries(20) as captured:
            page(agent_client.get(THREADS))
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1], counts


def test_opening_a_thread_shows_it_escaped_and_reads_it_for_staff(
    agent_client, thread, tenant_a, in_tenant
):
    body = page(agent_client.get(change_url(thread)))
    assert "Bonjour &lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "<script>alert(1)</script>" not in body
    assert "(non lu)" in body
    with in_tenant(tenant_a):
        attachment = thread.messages.get().attachments.get()
    assert f'href="/demandes/pieces-jointes/{attachment.pk}/">planning.pdf</a>' in body
    assert 'name="reply"' in body
    assert "(non lu)" not in page(agent_client.get(change_url(thread)))
    assert "<strong>1 non lu</strong>" not in page(agent_client.get(THREADS))


def test_staff_answer_with_a_file_through_the_admin(
    agent_client, agent, thread, tenant_a, in_tenant, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(
            change_url(thread),
            {
                "reply": "Bonjour, c'est noté.",
                "reply_attachment": pdf_upload("reglement.pdf"),
                "status": ThreadStatus.OPEN,
                "assigned_to": agent.pk,
            },
        )
    assert response.status_code == 302
    with in_tenant(tenant_a):
        thread.refresh_from_db()
        answer = thread.messages.last()
        assert (answer.from_staff, answer.author_id, answer.body) == (
            True,
            agent.pk,
            "Bonjour, c'est noté.",
        )
        assert answer.attachments.get().name == "reglement.pdf"
        # The status was left as it was: an answer waits for the family.
        assert thread.status == ThreadStatus.WAITING_FAMILY
        assert thread.assigned_to_id == agent.pk
    assert mail.outbox[-1].to == ["lefebvre@exemple.test"]
    assert mail.outbox[-1].subject == "Réponse de la mairie : Garderie du mercredi"


def test_staff_may_answer_and_close_at_once(agent_client, thread, tenant_a, in_tenant):
    response = agent_client.post(
        change_url(thread), {"reply": "Réglé.", "status": ThreadStatus.CLOSED, "assigned_to": ""}
    )
    assert response.status_code == 302
    with in_tenant(tenant_a):
        thread.refresh_from_db()
        assert thread.status == ThreadStatus.CLOSED
        assert thread.messages.count() == 2


def test_a_refused_file_in_an_answer_is_a_form_error(
    agent_client, thread, tenant_a, in_tenant, private_root
):
    before = stored_files(private_root)
    for data, error in (
        (
            {"reply": "Voici", "reply_attachment": SimpleUploadedFile("a.pdf", EXE)},
            AttachmentTypeRefused.message,
        ),
        ({"reply": "  ", "reply_attachment": pdf_upload()}, ATTACHMENT_WITHOUT_TEXT),
    ):
        body = page(agent_client.post(change_url(thread), {"status": "ouverte", **data}))
        assert escape(error) in body
    with in_tenant(tenant_a):
        assert thread.messages.count() == 1
    assert stored_files(private_root) == before


def test_a_comptable_reads_a_thread_but_cannot_answer(client_a, tenant_a, thread, in_tenant):
    client_a.force_login(MembershipFactory(collectivite=tenant_a, role=Role.COMPTABLE).user)
    body = page(client_a.get(change_url(thread)))
    assert "Garderie du mercredi" in body
    assert 'name="reply"' not in body
    assert client_a.post(change_url(thread), {"reply": "Non", "status": "close"}).status_code == 403
    with in_tenant(tenant_a):
        assert thread.messages.count() == 1


def test_threads_are_not_added_nor_deleted_in_the_admin(agent_client, thread):
    assert agent_client.get(f"{THREADS}add/").status_code == 403
    assert agent_client.get(f"{THREADS}{thread.pk}/delete/").status_code == 403


def test_assign_to_me_and_close_actions(agent_client, agent, thread, tenant_a, in_tenant):
    for action, message in (("assign_to_me", "vous sont attribuées : 1"), ("close", "closes : 1")):
        response = agent_client.post(
            THREADS, {"action": action, "_selected_action": [thread.pk]}, follow=True
        )
        assert message in page(response)
    with in_tenant(tenant_a):
        thread.refresh_from_db()
        assert (thread.assigned_to_id, thread.status) == (agent.pk, ThreadStatus.CLOSED)


# Absences


@pytest.fixture
def absence(tenant_a, in_tenant) -> Absence:
    """Lina's absence of 15 and 16/01/2026, with validated cantine bookings those days and 19/01."""
    family = make_family(tenant_a, in_tenant, name="ROUX")
    with in_tenant(tenant_a):
        service = Service.objects.create(name="ECOLE", billing_mode="postfacturation")
        cantine = Prestation.objects.create(
            service=service,
            name="CANTINE",
            weekdays=[1, 2, 4, 5],
            capacity=85,
            booking_rule="weekly",
            rule_weekday=2,
            rule_time=dt.time(12),
            cancellation_rule="not_allowed",
        )
        for day in (15, 16, 19):
            Booking.objects.create(
                child=family.child,
                prestation=cantine,
                day=dt.date(2026, 1, day),
                state=BookingState.VALIDATED,
            )
        return services.absence_declare(
            foyer=family.foyer,
            child=family.child,
            start=dt.date(2026, 1, 15),
            end=dt.date(2026, 1, 16),
            motif="Hospitalisation",
            attachment=pdf_upload(),
            user=family.user,
        )


def booking_states(absence) -> dict[int, str]:
    return {b.day.day: b.state for b in Booking.objects.filter(child_id=absence.child_id)}


def test_staff_accept_an_absence_from_the_thread_with_a_word(
    agent_client, agent, absence, tenant_a, in_tenant
):
    thread = absence.thread
    body = page(agent_client.get(change_url(thread)))
    assert "Lina ROUX, du 15/01/2026 au 16/01/2026 — <strong>En attente</strong>" in body
    assert 'name="absence_decision"' in body
    response = agent_client.post(
        change_url(thread),
        {
            "absence_decision": Decision.ACCEPT,
            "reply": "Bon rétablissement.",
            "status": thread.status,
        },
    )
    assert response.status_code == 302
    with in_tenant(tenant_a):
        absence.refresh_from_db()
        assert (absence.status, absence.decided_by_id) == (AbsenceStatus.ACCEPTED, agent.pk)
        assert booking_states(absence) == {
            15: BookingState.CANCELLED,
            16: BookingState.CANCELLED,
            19: BookingState.VALIDATED,
        }
        thread.refresh_from_db()
        assert thread.status == ThreadStatus.CLOSED
        assert thread.messages.last().body.endswith("Bon rétablissement.")
    assert 'name="absence_decision"' not in page(agent_client.get(change_url(thread)))


@pytest.mark.parametrize(
    ("action", "status", "cancelled"),
    [("accept", AbsenceStatus.ACCEPTED, True), ("refuse", AbsenceStatus.REFUSED, False)],
)
def test_absence_actions(agent_client, absence, tenant_a, in_tenant, action, status, cancelled):
    listing = page(agent_client.get(f"{ABSENCES}?status__exact=pending&q=ROUX"))
    assert "Lina ROUX" in listing
    response = agent_client.post(
        ABSENCES, {"action": action, "_selected_action": [absence.pk]}, follow=True
    )
    assert "les familles sont prévenues" in page(response)
    with in_tenant(tenant_a):
        absence.refresh_from_db()
        assert absence.status == status
        states = booking_states(absence)
        assert (states[15] == BookingState.CANCELLED) is cancelled
        assert states[19] == BookingState.VALIDATED
    # Deciding again changes nothing and says why.
    again = agent_client.post(
        ABSENCES, {"action": "refuse", "_selected_action": [absence.pk]}, follow=True
    )
    assert escape("La mairie a déjà répondu") in page(again)
    assert page(agent_client.get(f"{ABSENCES}{absence.pk}/change/"))


def test_the_attachment_link_of_the_admin_serves_the_file(
    agent_client, thread, tenant_a, in_tenant
):
    with in_tenant(tenant_a):
        attachment = thread.messages.get().attachments.get()
    response = agent_client.get(f"/demandes/pieces-jointes/{attachment.pk}/")
    assert b"".join(response.streaming_content) == minimal_pdf()
