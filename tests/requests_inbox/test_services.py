"""Services of « Mes demandes »: unread counts, files, e-mails, and justified absences."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from requests_inbox import selectors, services
from requests_inbox.exceptions import (
    AbsenceAlreadyDecided,
    AbsenceNotYourChild,
    AbsencePeriodReversed,
    AttachmentTooLarge,
    AttachmentTypeRefused,
    JustificatifRequired,
)
from requests_inbox.models import (
    Absence,
    AbsenceStatus,
    Attachment,
    Category,
    Message,
    Thread,
    ThreadStatus,
)
from reservations.models import Booking, BookingEvent, BookingState, Prestation, Service
from tests.factories import ChildFactory, MembershipFactory
from tests.requests_inbox.conftest import pdf_upload, stored_files
from tests.requests_inbox.files import EXE, image, minimal_pdf

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")


def at(day: int, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 1, day, hour, minute, tzinfo=PARIS)


@pytest.fixture
def staff(tenant_a):
    return MembershipFactory(collectivite=tenant_a, role="agent").user


def open_thread(family, *, now=None, attachment=None, body="Bonjour, une question.") -> Thread:
    return services.thread_open(
        foyer=family.foyer,
        category=Category.FACTURATION,
        subject="Facture de janvier",
        body=body,
        attachment=attachment,
        user=family.user,
        now=now or at(5),
    )


def counts(thread: Thread) -> tuple[int, int]:
    """(the family's unread, the staff's unread) of ``thread``, as the pages count them."""
    family_side = next(
        t.family_unread for t in selectors.family_threads(foyer=thread.foyer) if t.pk == thread.pk
    )
    return family_side, Thread.objects.annotate(n=selectors.staff_unread()).get(pk=thread.pk).n


def test_both_sides_unread_counts_through_a_conversation(family, staff, tenant_a, in_tenant):
    with in_tenant(tenant_a):
        thread = open_thread(family, now=at(5, 9))
        assert counts(thread) == (0, 1)
        thread.refresh_from_db()
        services.thread_mark_read(thread=thread, by_staff=True, upto=thread.last_message_at)
        assert counts(thread) == (0, 0)

        for minute in (1, 2):
            services.message_post(
                thread=thread, body="Réponse", user=staff, from_staff=True, now=at(6, 10, minute)
            )
        thread.refresh_from_db()
        assert thread.status == ThreadStatus.WAITING_FAMILY
        assert counts(thread) == (2, 0)
        assert selectors.family_unread_total(user=family.user) == 2

        # The family opens the page after the first answer only: the second stays unread.
        services.thread_mark_read(thread=thread, by_staff=False, upto=at(6, 10, 1))
        assert counts(thread) == (1, 0)
        services.thread_mark_read(thread=thread, by_staff=False, upto=thread.last_message_at)
        assert counts(thread) == (0, 0)
        # A read mark never moves back.
        services.thread_mark_read(thread=thread, by_staff=False, upto=at(5))
        assert counts(thread) == (0, 0)

        services.message_post(
            thread=thread, body="Merci !", user=family.user, from_staff=False, now=at(7)
        )
        thread.refresh_from_db()
        assert thread.status == ThreadStatus.OPEN
        assert thread.last_message_at == at(7)
        assert counts(thread) == (0, 1)
        assert selectors.family_unread_total(user=family.user) == 0


def test_the_family_total_counts_every_thread_of_its_foyer_only(
    family, other_family, staff, tenant_a, in_tenant
):
    with in_tenant(tenant_a):
        for member in (family, family, other_family):
            thread = open_thread(member)
            services.message_post(
                thread=thread, body="Réponse", user=staff, from_staff=True, now=at(6)
            )
        assert selectors.family_unread_total(user=family.user) == 2
        assert selectors.family_unread_total(user=other_family.user) == 1


def test_a_reply_reopens_a_closed_thread(family, staff, tenant_a, in_tenant):
    with in_tenant(tenant_a):
        thread = open_thread(family)
        services.message_post(
            thread=thread,
            body="C'est réglé.",
            user=staff,
            from_staff=True,
            status=ThreadStatus.CLOSED,
            now=at(6),
        )
        thread.refresh_from_db()
        assert thread.status == ThreadStatus.CLOSED
        services.message_post(
            thread=thread, body="Encore une question", user=family.user, from_staff=False
        )
        thread.refresh_from_db()
        assert thread.status == ThreadStatus.OPEN


def test_an_attachment_is_stored_privately_under_the_schema(
    family, tenant_a, in_tenant, private_root, settings
):
    with in_tenant(tenant_a):
        thread = open_thread(family, attachment=pdf_upload("../mon certificat.pdf"))
        attachment = Attachment.objects.get(message__thread=thread)
    assert (attachment.name, attachment.content_type) == ("mon certificat.pdf", "application/pdf")
    assert attachment.size == len(minimal_pdf())
    assert attachment.file.name.startswith(f"alpha/demandes/{thread.pk}/")
    assert attachment.file.name.endswith(".pdf")
    (path,) = stored_files(private_root)
    assert path.read_bytes() == minimal_pdf()
    assert not str(path).startswith(str(settings.MEDIA_ROOT))
    with pytest.raises(ValueError):
        attachment.file.url  # noqa: B018 — no public URL exists


@pytest.mark.parametrize(
    ("upload", "error"),
    [
        (SimpleUploadedFile("certificat.pdf", EXE), AttachmentTypeRefused),
        (
            SimpleUploadedFile("gros.pdf", minimal_pdf() + b"0" * (5 * 1024 * 1024)),
            AttachmentTooLarge,
        ),
    ],
)
def test_a_refused_file_stores_nothing(
    family, tenant_a, in_tenant, private_root, upload, error, django_capture_on_commit_callbacks
):
    with in_tenant(tenant_a), django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(error):
            open_thread(family, attachment=upload)
        assert not Thread.objects.exists()
        assert not Message.objects.exists()
    assert stored_files(private_root) == []
    assert mail.outbox == []


def test_a_failure_after_the_file_was_written_removes_it(
    family, tenant_a, in_tenant, private_root, monkeypatch
):
    def broken(**kwargs):
        raise RuntimeError("SMTP journal down")

    monkeypatch.setattr(services, "_notify", broken)
    with in_tenant(tenant_a):
        with pytest.raises(RuntimeError):
            open_thread(family, attachment=pdf_upload())
        assert not Thread.objects.exists()
        assert not Attachment.objects.exists()
    assert stored_files(private_root) == []


def test_each_message_emails_the_other_side(
    family, staff, tenant_a, in_tenant, django_capture_on_commit_callbacks
):
    with in_tenant(tenant_a), django_capture_on_commit_callbacks(execute=True):
        thread = open_thread(family, body="Texte privé de la famille")
    to_mairie = mail.outbox[-1]
    assert to_mairie.to == ["mairie@alpha.test"]  # nobody assigned: the collectivité's address
    assert to_mairie.subject == "Nouvelle demande : Facture de janvier"
    assert f"http://alpha.localhost:8000/admin/requests_inbox/thread/{thread.pk}/change/" in (
        to_mairie.body
    )
    assert "Texte privé" not in to_mairie.body

    with in_tenant(tenant_a), django_capture_on_commit_callbacks(execute=True):
        services.message_post(thread=thread, body="Réponse", user=staff, from_staff=True)
    to_family = mail.outbox[-1]
    assert to_family.to == [family.foyer.email]
    assert to_family.subject == "Réponse de la mairie : Facture de janvier"
    assert f"http://alpha.localhost:8000/demandes/{thread.pk}/" in to_family.body

    with in_tenant(tenant_a), django_capture_on_commit_callbacks(execute=True):
        Thread.objects.filter(pk=thread.pk).update(assigned_to=staff)
        services.message_post(thread=thread, body="Merci", user=family.user, from_staff=False)
    assert mail.outbox[-1].to == [staff.email]
    assert mail.outbox[-1].subject == "Nouveau message : Facture de janvier"
    assert len(mail.outbox) == 3


def test_the_navbar_count_is_dropped_when_staff_write_or_the_family_reads(
    family, staff, tenant_a, in_tenant, django_capture_on_commit_callbacks
):
    with in_tenant(tenant_a):
        thread = open_thread(family)
        assert selectors.family_unread_total_cached(user=family.user) == 0
        with django_capture_on_commit_callbacks(execute=True):
            services.message_post(thread=thread, body="Réponse", user=staff, from_staff=True)
        assert selectors.family_unread_total_cached(user=family.user) == 1
        thread.refresh_from_db()
        with django_capture_on_commit_callbacks(execute=True):
            services.thread_mark_read(thread=thread, by_staff=False, upto=thread.last_message_at)
        assert selectors.family_unread_total_cached(user=family.user) == 0


# Justified absences


@pytest.fixture
def cantine(tenant_a, in_tenant):
    """« Non autorisé sans absence justifiée »: parents can never cancel it themselves."""
    with in_tenant(tenant_a):
        service = Service.objects.create(name="ECOLE", billing_mode="postfacturation")
        return Prestation.objects.create(
            service=service,
            name="CANTINE",
            weekdays=[1, 2, 4, 5],
            capacity=85,
            booking_rule="weekly",
            rule_weekday=2,
            rule_time=dt.time(12),
            cancellation_rule="not_allowed",
        )


def book(child, prestation, *days) -> list[Booking]:
    return [
        Booking.objects.create(
            child=child,
            prestation=prestation,
            day=dt.date(2026, 1, d),
            state=BookingState.VALIDATED,
        )
        for d in days
    ]


def declare(family, *, start=15, end=16, attachment="pdf", child=None) -> Absence:
    return services.absence_declare(
        foyer=family.foyer,
        child=child or family.child,
        start=dt.date(2026, 1, start),
        end=dt.date(2026, 1, end),
        motif="Varicelle",
        attachment=pdf_upload() if attachment == "pdf" else attachment,
        user=family.user,
        now=at(14),
    )


def test_a_declared_absence_opens_a_thread_with_its_justificatif(family, tenant_a, in_tenant):
    with in_tenant(tenant_a):
        absence = declare(family)
        thread = absence.thread
        assert thread.category == Category.ABSENCES
        assert thread.subject == "Absence de Lina du 15/01/2026 au 16/01/2026"
        assert absence.status == AbsenceStatus.PENDING
        (message,) = thread.messages.all()
        assert message.body == "Varicelle"
        assert message.attachments.get().content_type == "application/pdf"


def test_an_accepted_absence_cancels_those_days_past_the_deadline(
    family, staff, cantine, tenant_a, in_tenant, django_capture_on_commit_callbacks
):
    with in_tenant(tenant_a):
        inside = book(family.child, cantine, 15, 16)
        (after,) = book(family.child, cantine, 19)
        absence = declare(family)
        # Friday 16/01 at 10:00, long past « Mardi avant 12h » for those days.
        with django_capture_on_commit_callbacks(execute=True):
            services.absence_decide(absence=absence, accept=True, user=staff, now=at(16, 10))
        absence.refresh_from_db()
        assert (absence.status, absence.decided_by_id) == (AbsenceStatus.ACCEPTED, staff.pk)
        assert absence.decided_at == at(16, 10)
        for booking in inside:
            booking.refresh_from_db()
            assert booking.state == BookingState.CANCELLED
            event = BookingEvent.objects.filter(booking=booking).latest("at")
            assert (event.by_user_id, event.by_staff) == (staff.pk, True)
        after.refresh_from_db()
        assert after.state == BookingState.VALIDATED
        assert selectors.justified_absence_days(
            child=family.child, start=dt.date(2026, 1, 1), end=dt.date(2026, 1, 31)
        ) == {dt.date(2026, 1, 15), dt.date(2026, 1, 16)}
        thread = Thread.objects.get(pk=absence.thread_id)
        assert thread.status == ThreadStatus.CLOSED
        answer = thread.messages.last()
        assert answer.from_staff
        assert answer.body.startswith("La mairie a accepté la déclaration d'absence de Lina")
        assert "2 réservations de ces dates annulées." in answer.body
    assert mail.outbox[-1].to == [family.foyer.email]
    with in_tenant(tenant_a), pytest.raises(AbsenceAlreadyDecided):
        services.absence_decide(absence=absence, accept=False, user=staff)


def test_a_refused_absence_cancels_nothing_and_tells_the_family(
    family, staff, cantine, tenant_a, in_tenant, django_capture_on_commit_callbacks
):
    with in_tenant(tenant_a):
        (booking,) = book(family.child, cantine, 15)
        absence = declare(family, start=15, end=15)
        with django_capture_on_commit_callbacks(execute=True):
            services.absence_decide(
                absence=absence, accept=False, user=staff, body="Le certificat est illisible."
            )
        booking.refresh_from_db()
        assert booking.state == BookingState.VALIDATED
        absence.refresh_from_db()
        assert absence.status == AbsenceStatus.REFUSED
        answer = Thread.objects.get(pk=absence.thread_id).messages.last()
        assert "n'a pas accepté la déclaration d'absence de Lina le 15/01/2026" in answer.body
        assert answer.body.endswith("Le certificat est illisible.")
        assert (
            selectors.justified_absence_days(
                child=family.child, start=dt.date(2026, 1, 1), end=dt.date(2026, 1, 31)
            )
            == set()
        )
    assert mail.outbox[-1].to == [family.foyer.email]


def test_justified_days_are_clipped_to_the_asked_period_per_child(
    family, staff, tenant_a, in_tenant
):
    with in_tenant(tenant_a):
        sibling = ChildFactory(foyer=family.foyer)
        services.absence_decide(absence=declare(family, start=12, end=20), accept=True, user=staff)
        declare(family, start=26, end=27)  # still pending: not justified
        services.absence_decide(
            absence=declare(family, child=sibling, start=5, end=5), accept=True, user=staff
        )
        by_child = selectors.justified_absence_days_by_child(
            child_ids=[family.child.pk, sibling.pk],
            start=dt.date(2026, 1, 19),
            end=dt.date(2026, 1, 31),
        )
    assert by_child == {family.child.pk: {dt.date(2026, 1, 19), dt.date(2026, 1, 20)}}


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"start": 16, "end": 15}, AbsencePeriodReversed),
        ({"attachment": None}, JustificatifRequired),
        ({"attachment": SimpleUploadedFile("scan.pdf", EXE)}, AttachmentTypeRefused),
        ({"child": "other"}, AbsenceNotYourChild),
    ],
)
def test_a_bad_declaration_creates_nothing(
    family, other_family, tenant_a, in_tenant, private_root, kwargs, error
):
    if kwargs.get("child") == "other":
        kwargs = {"child": other_family.child}
    with in_tenant(tenant_a):
        with pytest.raises(error):
            declare(family, **kwargs)
        assert not Thread.objects.exists()
        assert not Absence.objects.exists()
    assert stored_files(private_root) == []


def test_a_png_is_accepted_as_a_justificatif(family, tenant_a, in_tenant):
    with in_tenant(tenant_a):
        absence = declare(family, attachment=SimpleUploadedFile("photo.PNG", image("PNG")))
        attachment = Attachment.objects.get(message__thread=absence.thread)
    assert (attachment.name, attachment.content_type) == ("photo.png", "image/png")
