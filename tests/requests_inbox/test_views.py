"""« Mes demandes » pages: forms and their errors, escaping, who may read what, query counts."""

from __future__ import annotations

import datetime as dt
from html import escape

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from requests_inbox import rules, services
from requests_inbox.exceptions import AttachmentTooLarge, AttachmentTypeRefused
from requests_inbox.models import Absence, Attachment, Category, Message, Thread, ThreadStatus
from requests_inbox.selectors import unread_cache_key
from requests_inbox.views import ABSENCE_SENT, SENT
from tests.factories import MembershipFactory
from tests.requests_inbox.conftest import make_family, pdf_upload, stored_files
from tests.requests_inbox.files import EXE, image, minimal_pdf

pytestmark = pytest.mark.django_db

INDEX = reverse("requests_inbox:index")
NEW = reverse("requests_inbox:new")
ABSENCE = reverse("requests_inbox:absence")


def detail(pk: int) -> str:
    return reverse("requests_inbox:detail", args=[pk])


def download(pk: int) -> str:
    return reverse("requests_inbox:attachment", args=[pk])


def new_request(client, *, body="Bonjour, une question sur ma facture.", attachment=None):
    data = {"category": Category.FACTURATION, "subject": "Facture de janvier", "body": body}
    if attachment is not None:
        data["attachment"] = attachment
    return client.post(NEW, data)


def thread_with_file(family, collectivite, in_tenant, *, staff=None):
    """A thread of ``family`` with a PDF, answered by ``staff`` when given."""
    with in_tenant(collectivite):
        thread = services.thread_open(
            foyer=family.foyer,
            category=Category.AUTRE,
            subject="Question",
            body="Bonjour",
            attachment=pdf_upload(),
            user=family.user,
        )
        if staff is not None:
            services.message_post(thread=thread, body="Réponse", user=staff, from_staff=True)
        return thread, Attachment.objects.get(message__thread=thread)


def body_of(response) -> str:
    return response.content.decode()


# Writing


def test_a_family_writes_a_request_with_a_pdf_and_downloads_it(
    family, client_a, tenant_a, in_tenant, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = new_request(client_a, attachment=pdf_upload("Facture janvier.pdf"))
    with in_tenant(tenant_a):
        thread = Thread.objects.get()
        attachment = Attachment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == detail(thread.pk)
    page = body_of(client_a.get(detail(thread.pk)))
    assert SENT in page
    assert "Bonjour, une question sur ma facture." in page
    assert f'href="{download(attachment.pk)}">Facture janvier.pdf</a>' in page
    file = client_a.get(download(attachment.pk))
    assert file.status_code == 200
    assert file["Content-Type"] == "application/pdf"
    assert file["Content-Disposition"] == 'attachment; filename="Facture janvier.pdf"'
    assert b"".join(file.streaming_content) == minimal_pdf()
    assert mail.outbox[-1].to == ["mairie@alpha.test"]


def test_a_png_is_accepted(family, client_a, tenant_a, in_tenant):
    response = new_request(client_a, attachment=SimpleUploadedFile("photo.png", image("PNG")))
    assert response.status_code == 302
    with in_tenant(tenant_a):
        assert Attachment.objects.get().content_type == "image/png"


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("certificat.pdf", EXE), AttachmentTypeRefused.message),
        (
            SimpleUploadedFile("scan.pdf", minimal_pdf() + b"0" * rules.MAX_ATTACHMENT_BYTES),
            AttachmentTooLarge.message,
        ),
    ],
)
def test_a_refused_file_is_a_form_error_and_nothing_is_stored(
    family, client_a, tenant_a, in_tenant, private_root, upload, message
):
    response = new_request(client_a, attachment=upload)
    assert response.status_code == 200
    assert escape(message) in body_of(response)
    with in_tenant(tenant_a):
        assert not Thread.objects.exists()
        assert not Message.objects.exists()
    assert stored_files(private_root) == []


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("   ", "Ce champ est obligatoire."),
        ("x" * (rules.MAX_BODY_CHARS + 1), "au plus 5000 caractères"),
    ],
)
def test_empty_or_oversized_messages_are_refused(
    family, client_a, tenant_a, in_tenant, body, error
):
    response = new_request(client_a, body=body)
    assert response.status_code == 200
    assert error in body_of(response)
    with in_tenant(tenant_a):
        assert not Thread.objects.exists()


def test_html_in_a_message_is_shown_as_text(family, client_a, tenant_a, in_tenant):
    script = '<script>alert("x")</script><b>gras</b>'
    new_request(client_a, body=script)
    with in_tenant(tenant_a):
        thread = Thread.objects.get()
    page = body_of(client_a.get(detail(thread.pk)))
    assert script not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;b&gt;gras&lt;/b&gt;" in page


def test_a_reply_on_a_thread_waiting_for_the_family_reopens_it(
    family, client_a, tenant_a, in_tenant
):
    staff = MembershipFactory(collectivite=tenant_a).user
    thread, _ = thread_with_file(family, tenant_a, in_tenant, staff=staff)
    with in_tenant(tenant_a):
        assert Thread.objects.get().status == ThreadStatus.WAITING_FAMILY
    response = client_a.post(detail(thread.pk), {"body": "Merci, voici le document."})
    assert response.status_code == 302
    with in_tenant(tenant_a):
        thread.refresh_from_db()
        assert thread.status == ThreadStatus.OPEN
        assert thread.messages.last().body == "Merci, voici le document."


# Reading


def test_unread_answers_show_in_the_list_the_navbar_and_the_thread_until_read(
    family, client_a, tenant_a, in_tenant, django_capture_on_commit_callbacks
):
    staff = MembershipFactory(collectivite=tenant_a).user
    thread, _ = thread_with_file(family, tenant_a, in_tenant, staff=staff)
    listing = body_of(client_a.get(INDEX))
    assert "1 non lu" in listing
    assert 'id="demandes-non-lues">1<span class="visually-hidden"> message non lu</span>' in listing
    # The cached navbar count is dropped when the read mark is committed.
    with django_capture_on_commit_callbacks(execute=True):
        first = body_of(client_a.get(detail(thread.pk)))
    assert "Nouveau</span>" in first
    # The visit read it: neither the thread, the list nor the navbar show it any more.
    assert "Nouveau</span>" not in body_of(client_a.get(detail(thread.pk)))
    listing = body_of(client_a.get(INDEX))
    assert "non lu" not in listing
    assert 'id="demandes-non-lues"' not in listing


def test_the_list_runs_the_same_queries_for_1_or_20_threads(
    tenant_a, in_tenant, client_a, django_assert_max_num_queries
):
    counts = []
    for size in (1, 20):
        member = make_family(tenant_a, in_tenant, name=f"TAILLE {size}")
        staff = MembershipFactory(collectivite=tenant_a).user
        with in_tenant(tenant_a):
            for _ in range(size):
                thread = services.thread_open(
                    foyer=member.foyer,
                    category=Category.AUTRE,
                    subject="Question",
                    body="Bonjour",
                    user=member.user,
                )
                services.message_post(thread=thread, body="Oui", user=staff, from_staff=True)
        client_a.force_login(member.user)
        client_a.get(INDEX)  # the host lookup and the navbar count are cached from here on
        # search_path, account (the session is cached), adhesion (family_required), the
        # foyer, its threads with their unread counts and absences in one statement.
        with django_assert_max_num_queries(5) as captured:
            page = body_of(client_a.get(INDEX))
        assert page.count("1 non lu") == size
        counts.append(len(captured.captured_queries))
    assert len(set(counts)) == 1, counts


def test_a_thread_runs_the_same_queries_for_1_or_10_messages(
    family, client_a, tenant_a, in_tenant, django_assert_max_num_queries
):
    staff = MembershipFactory(collectivite=tenant_a).user
    counts = []
    for size in (1, 10):
        thread, _ = thread_with_file(family, tenant_a, in_tenant)
        with in_tenant(tenant_a):
            for _ in range(size - 1):
                services.message_post(
                    thread=thread,
                    body="Réponse",
                    attachment=pdf_upload(),
                    user=staff,
                    from_staff=True,
                )
        client_a.get(detail(thread.pk))
        # search_path, account, adhesion, foyer, the thread (with its absence), its messages,
        # their attachments, the read mark; the navbar count is cached.
        with django_assert_max_num_queries(8) as captured:
            assert body_of(client_a.get(detail(thread.pk))).count("Pièce jointe :") == size
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1], counts


def test_the_navbar_count_costs_one_query_then_none(
    family, client_a, tenant_a, in_tenant, django_assert_num_queries
):
    client_a.get("/contacts/")  # the host lookup is cached from here on
    with in_tenant(tenant_a):
        cache.delete(unread_cache_key(user_id=family.user.pk))
    # search_path, the account, the count; then the count comes from the cache.
    with django_assert_num_queries(3):
        assert 'id="demandes-non-lues"' not in body_of(client_a.get("/contacts/"))
    with django_assert_num_queries(2):
        client_a.get("/contacts/")


def test_anonymous_visitors_are_sent_to_the_login_page(client_a, family, tenant_a, in_tenant):
    _, attachment = thread_with_file(family, tenant_a, in_tenant)
    client_a.logout()
    for url in (INDEX, NEW, ABSENCE, download(attachment.pk)):
        response = client_a.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/connexion/")


# Who may read what


def test_another_foyer_gets_404_for_the_thread_its_reply_and_its_file(
    family, other_family, client_a, tenant_a, in_tenant
):
    thread, attachment = thread_with_file(family, tenant_a, in_tenant)
    client_a.force_login(other_family.user)
    assert client_a.get(detail(thread.pk)).status_code == 404
    assert client_a.post(detail(thread.pk), {"body": "Intrusion"}).status_code == 404
    assert client_a.get(download(attachment.pk)).status_code == 404
    assert "Question" not in body_of(client_a.get(INDEX))
    with in_tenant(tenant_a):
        assert thread.messages.count() == 1


def test_another_collectivite_gets_404_for_the_thread_and_its_file(
    family, client_b, tenant_a, tenant_b, in_tenant
):
    thread, attachment = thread_with_file(family, tenant_a, in_tenant)
    beta_family = make_family(tenant_b, in_tenant, name="BETA")
    client_b.force_login(beta_family.user)
    assert client_b.get(detail(thread.pk)).status_code == 404
    assert client_b.get(download(attachment.pk)).status_code == 404


def test_staff_read_their_collectivites_files_only(
    family, client_a, client_b, tenant_a, tenant_b, in_tenant
):
    _, attachment = thread_with_file(family, tenant_a, in_tenant)
    comptable = MembershipFactory(collectivite=tenant_a, role="comptable").user
    client_a.force_login(comptable)
    response = client_a.get(download(attachment.pk))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == minimal_pdf()

    beta_agent = MembershipFactory(collectivite=tenant_b, role="agent").user
    client_a.force_login(beta_agent)
    assert client_a.get(download(attachment.pk)).status_code == 404
    client_b.force_login(beta_agent)
    assert client_b.get(download(attachment.pk)).status_code == 404


# Absences


def declare(client, child_id, *, start="2026-01-15", end="2026-01-16", justificatif="pdf"):
    data = {"child": child_id, "start": start, "end": end, "motif": "Varicelle"}
    if justificatif == "pdf":
        data["justificatif"] = pdf_upload()
    elif justificatif is not None:
        data["justificatif"] = justificatif
    return client.post(ABSENCE, data)


def test_a_parent_declares_an_absence_with_its_justificatif(family, client_a, tenant_a, in_tenant):
    form = body_of(client_a.get(ABSENCE))
    assert f'<option value="{family.child.pk}">Lina {family.child.last_name}</option>' in form
    response = declare(client_a, family.child.pk)
    with in_tenant(tenant_a):
        absence = Absence.objects.select_related("thread").get()
    assert response["Location"] == detail(absence.thread_id)
    assert (absence.child_id, absence.start, absence.end) == (
        family.child.pk,
        dt.date(2026, 1, 15),
        dt.date(2026, 1, 16),
    )
    assert absence.thread.category == Category.ABSENCES
    page = body_of(client_a.get(detail(absence.thread_id)))
    assert escape(ABSENCE_SENT) in page
    assert "du 15/01/2026 au 16/01/2026" in page
    assert "En attente" in page


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"end": "2026-01-14"}, "La fin de l&#x27;absence précède son début."),
        ({"justificatif": None}, "Joignez le justificatif de l&#x27;absence."),
        (
            {"justificatif": SimpleUploadedFile("scan.pdf", EXE)},
            escape(AttachmentTypeRefused.message),
        ),
        ({"child": "other"}, "Sélectionnez un choix valide."),
    ],
)
def test_a_bad_absence_is_refused_with_a_french_error(
    family, other_family, client_a, tenant_a, in_tenant, private_root, change, error
):
    child_id = other_family.child.pk if change.pop("child", None) else family.child.pk
    response = declare(client_a, child_id, **change)
    assert response.status_code == 200
    assert error in body_of(response)
    with in_tenant(tenant_a):
        assert not Absence.objects.exists()
        assert not Thread.objects.exists()
    assert stored_files(private_root) == []
