"""Writes of « Mes demandes »: threads, messages and attachments, read marks, absences.

Every check (text, file type read from the bytes, dates, child) runs before anything is
written; the rows are written in one transaction, and a file stored before a failure is
removed: a refused request leaves no thread, no message and no file behind.

Lock order: the thread, then its absence.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from billing.services.attendance import absence_marks
from families.models import Child, Foyer
from portal.links import site_url
from portal.services import email_queue
from portal.storage import private_storage
from requests_inbox import rules
from requests_inbox.exceptions import (
    AbsenceAlreadyDecided,
    AbsenceDecisionNotAllowed,
    AbsenceNotYourChild,
    JustificatifRequired,
    SubjectEmpty,
)
from requests_inbox.models import (
    Absence,
    AbsenceStatus,
    Attachment,
    Category,
    Message,
    Thread,
    ThreadRead,
    ThreadStatus,
)
from requests_inbox.selectors import unread_cache_key
from reservations.services.absences import bookings_cancel_for_absence


@contextmanager
def _files_removed_on_error() -> Iterator[list[str]]:
    """Yield a list to record stored file names in; remove those files if the block fails."""
    stored: list[str] = []
    try:
        yield stored
    except BaseException:
        storage = private_storage()
        for name in stored:
            storage.delete(name)
        raise


def _message_add(
    *,
    thread: Thread,
    body: str,
    from_staff: bool,
    author,
    upload: rules.Upload | None,
    now: datetime,
    stored: list[str],
) -> Message:
    message = Message(
        thread=thread, body=body, from_staff=from_staff, author=author, created_at=now
    )
    message.full_clean(exclude=["thread", "author"])
    message.save()
    if upload is not None:
        attachment = Attachment(
            message=message,
            name=upload.display_name,
            content_type=upload.content_type,
            size=upload.file.size,
        )
        attachment.file.save(upload.display_name, upload.file, save=False)
        stored.append(attachment.file.name)
        attachment.save()
    return message


def _unread_changed(*, user_id: int | None) -> None:
    """Drop the family's cached navbar count once the change is committed."""
    if user_id is not None:
        key = unread_cache_key(user_id=user_id)
        transaction.on_commit(lambda: cache.delete(key))


def _notify(*, thread: Thread, message: Message, new: bool = False) -> None:
    """E-mail the other side that ``message`` was written, with a link to the thread.

    The message itself is not copied into the e-mail: motifs and justificatifs may be
    health data, read only behind a login.
    """
    collectivite = connection.tenant
    domain = collectivite.get_primary_domain().domain
    if message.from_staff:
        foyer = thread.foyer
        to = foyer.email or (foyer.user.email if foyer.user_id else "")
        path = reverse("requests_inbox:detail", args=[thread.pk])
        subject = f"Réponse de la mairie : {thread.subject}"
        template = "requests_inbox/emails/to_family.txt"
    else:
        to = thread.assigned_to.email if thread.assigned_to_id else collectivite.email
        path = reverse("admin:requests_inbox_thread_change", args=[thread.pk])
        subject = f"{'Nouvelle demande' if new else 'Nouveau message'} : {thread.subject}"
        template = "requests_inbox/emails/to_staff.txt"
    if not to:
        return
    email_queue(
        to=to,
        subject=subject[:255],
        body=render_to_string(
            template,
            {
                "thread": thread,
                "collectivite": collectivite,
                "link": site_url(domain, path),
                "new": new,
            },
        ),
        key=f"request-message:{message.pk}",
    )


def thread_open(
    *,
    foyer: Foyer,
    category: str,
    subject: str,
    body: str,
    user,
    attachment=None,
    now: datetime | None = None,
) -> Thread:
    """« Nouvelle demande »: open a thread with the family's first message; tell the mairie."""
    now = now or timezone.now()
    subject = rules.subject_clean(subject)
    if not subject:
        raise SubjectEmpty()
    body = rules.body_check(body)
    upload = rules.attachment_check(attachment)
    with _files_removed_on_error() as stored, transaction.atomic():
        thread = Thread(
            foyer=foyer, category=category, subject=subject, created_at=now, last_message_at=now
        )
        thread.full_clean()
        thread.save()
        message = _message_add(
            thread=thread,
            body=body,
            from_staff=False,
            author=user,
            upload=upload,
            now=now,
            stored=stored,
        )
        _notify(thread=thread, message=message, new=True)
    return thread


def _thread_locked(pk: int) -> Thread:
    """Return thread ``pk`` locked until the transaction ends, with its foyer and assignee."""
    return (
        Thread.objects.select_for_update(of=("self",))
        .select_related("foyer__user", "assigned_to")
        .get(pk=pk)
    )


def _answered(*, thread: Thread, message: Message, status: str | None) -> None:
    """Move the thread's status and activity after ``message``, and tell the other side.

    Caller must hold the thread's lock (``_thread_locked``).
    """
    if message.from_staff:
        thread.status = rules.status_after_staff_message(status)
        _unread_changed(user_id=thread.foyer.user_id)
    else:
        thread.status = rules.status_after_family_message(thread.status)
    thread.last_message_at = message.created_at
    thread.save(update_fields=["status", "last_message_at"])
    _notify(thread=thread, message=message)


def message_post(
    *,
    thread: Thread,
    body: str,
    user,
    from_staff: bool,
    attachment=None,
    status: str | None = None,
    now: datetime | None = None,
) -> Message:
    """Add a message to ``thread`` from the family or from staff; e-mail the other side.

    A family message reopens the thread (see rules); a staff message sets ``status``, by
    default « en attente de la famille ».
    """
    now = now or timezone.now()
    body = rules.body_check(body)
    upload = rules.attachment_check(attachment)
    with _files_removed_on_error() as stored, transaction.atomic():
        thread = _thread_locked(thread.pk)
        message = _message_add(
            thread=thread,
            body=body,
            from_staff=from_staff,
            author=user,
            upload=upload,
            now=now,
            stored=stored,
        )
        _answered(thread=thread, message=message, status=status)
    return message


def thread_mark_read(
    *, thread: Thread, by_staff: bool, upto: datetime | None = None, user=None
) -> None:
    """Mark read, for one side, the other side's messages written up to ``upto``.

    On the mairie's side the mark is ``user``'s own (ThreadRead): a colleague's glance hides
    nothing from the others; the thread also keeps when anyone at the mairie read it.
    Pages pass the thread's ``last_message_at`` as they loaded it: a message written while
    the page was open stays unread. A read mark never moves back.
    """
    upto = upto or timezone.now()
    field = "staff_read_at" if by_staff else "family_read_at"
    behind = Thread.objects.filter(
        Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__lt": upto}), pk=thread.pk
    )
    if behind.update(**{field: upto}) and not by_staff:
        _unread_changed(user_id=thread.foyer.user_id)
    if by_staff and user is not None:
        # Two tabs of one agent may race: the update moves an existing mark forward only,
        # the insert of a first mark gives way to the other's (unique thread × person).
        moved = ThreadRead.objects.filter(thread_id=thread.pk, user_id=user.pk, read_at__lt=upto)
        if not moved.update(read_at=upto):
            ThreadRead.objects.bulk_create(
                [ThreadRead(thread_id=thread.pk, user_id=user.pk, read_at=upto)],
                ignore_conflicts=True,
            )


def thread_staff_save(*, thread: Thread, changed: Iterable[str]) -> Thread:
    """Save what staff changed on a thread in the admin (its status, its assignee)."""
    fields = [name for name in ("status", "assigned_to") if name in changed]
    if fields:
        thread.full_clean(exclude=["foyer"])
        thread.save(update_fields=fields)
    return thread


def threads_assign(*, threads, user) -> int:
    """Assign ``threads`` to the staff account ``user``; return how many."""
    return Thread.objects.filter(pk__in=[t.pk for t in threads]).update(assigned_to=user)


def threads_close(*, threads) -> int:
    """Close ``threads``; return how many were not closed yet."""
    return (
        Thread.objects.filter(pk__in=[t.pk for t in threads])
        .exclude(status=ThreadStatus.CLOSED)
        .update(status=ThreadStatus.CLOSED)
    )


def _period(start: date, end: date) -> str:
    if start == end:
        return f"le {start:%d/%m/%Y}"
    return f"du {start:%d/%m/%Y} au {end:%d/%m/%Y}"


def absence_declare(
    *,
    foyer: Foyer,
    child: Child,
    start: date,
    end: date,
    motif: str,
    attachment,
    user,
    now: datetime | None = None,
) -> Absence:
    """Declare ``child``'s absence with its justificatif: a thread « Absences et justificatifs »
    holding the motif and the file, and the absence awaiting the mairie's decision."""
    now = now or timezone.now()
    if child.foyer_id != foyer.pk:
        raise AbsenceNotYourChild()
    rules.absence_period_check(start, end, today=timezone.localdate(now))
    motif = rules.body_check(motif)
    if attachment is None:
        raise JustificatifRequired()
    upload = rules.attachment_check(attachment)
    with _files_removed_on_error() as stored, transaction.atomic():
        thread = Thread(
            foyer=foyer,
            category=Category.ABSENCES,
            subject=rules.subject_clean(f"Absence de {child.first_name} {_period(start, end)}"),
            created_at=now,
            last_message_at=now,
        )
        thread.full_clean()
        thread.save()
        message = _message_add(
            thread=thread,
            body=motif,
            from_staff=False,
            author=user,
            upload=upload,
            now=now,
            stored=stored,
        )
        absence = Absence(
            thread=thread, child=child, start=start, end=end, motif=motif, created_at=now
        )
        absence.full_clean()
        absence.save()
        _notify(thread=thread, message=message, new=True)
    return absence


def _decision_text(*, absence: Absence, accepted: bool, cancelled: int) -> str:
    who_when = f"{absence.child.first_name} {_period(absence.start, absence.end)}"
    if not accepted:
        return (
            f"La mairie n'a pas accepté la déclaration d'absence de {who_when} : "
            "les réservations de ces dates sont maintenues."
        )
    if cancelled:
        done = f"{cancelled} réservation{'s' if cancelled > 1 else ''} de ces dates annulée"
        done += "s." if cancelled > 1 else "."
    else:
        done = "Aucune réservation n'était enregistrée à ces dates."
    return f"La mairie a accepté la déclaration d'absence de {who_when} : absence justifiée. {done}"


DECIDE_ABSENCE = "requests_inbox.decide_absence"


def absence_decide(
    *,
    absence: Absence,
    accept: bool,
    user,
    body: str = "",
    attachment=None,
    status: str | None = None,
    now: datetime | None = None,
) -> Absence:
    """Accept or refuse a declared absence and tell the family in its thread.

    Only a role holding requests_inbox.decide_absence decides (tenants.rules): an accepted
    absence cancels bookings. Accepted: the child's bookings of those days are cancelled,
    past their deadlines too (``reservations.services.absences``), in this transaction,
    with the reason « absence justifiée », and the absence stays recorded for invoicing.
    The days already past are pointed « absent justifié » (billing.services.attendance).
    Refused: nothing is cancelled. The decision's message opens with the decision, followed
    by staff's ``body`` if any; the thread is closed unless staff chose another ``status``.
    """
    if user is None or not user.has_perm(DECIDE_ABSENCE):
        raise AbsenceDecisionNotAllowed()
    now = now or timezone.now()
    body = body.strip()
    upload = rules.attachment_check(attachment)
    with _files_removed_on_error() as stored, transaction.atomic():
        thread = _thread_locked(absence.thread_id)
        absence = (
            Absence.objects.select_for_update(of=("self",))
            .select_related("child")
            .get(pk=absence.pk)
        )
        if absence.status != AbsenceStatus.PENDING:
            raise AbsenceAlreadyDecided()
        absence.status = AbsenceStatus.ACCEPTED if accept else AbsenceStatus.REFUSED
        absence.decided_by, absence.decided_at = user, now
        absence.save(update_fields=["status", "decided_by", "decided_at"])
        cancelled = []
        if accept:
            cancelled = bookings_cancel_for_absence(
                child=absence.child,
                start=absence.start,
                end=absence.end,
                user=user,
                note=f"Absence justifiée acceptée (demande n° {thread.pk})",
                now=now,
            )
            # The days gone by are pointed « absent justifié », linked to the bookings and to
            # this absence (its thread is the evidence): billing charges nothing for them.
            absence_marks(absence=absence, bookings=cancelled, user=user, now=now)
        text = _decision_text(absence=absence, accepted=accept, cancelled=len(cancelled))
        message = _message_add(
            thread=thread,
            body=rules.body_check(f"{text}\n\n{body}") if body else text,
            from_staff=True,
            author=user,
            upload=upload,
            now=now,
            stored=stored,
        )
        _answered(thread=thread, message=message, status=status or ThreadStatus.CLOSED)
    return absence
