"""Requests between a foyer and its collectivité: threads, messages, attachments, absences."""

from __future__ import annotations

import uuid

from django.db import connection, models
from django.db.models import F, Q
from django.utils import timezone

from portal.storage import private_storage
from requests_inbox import rules


class Category(models.TextChoices):
    RESERVATIONS = "reservations", "Réservations"
    FACTURATION = "facturation", "Facturation"
    ABSENCES = "absences", "Absences et justificatifs"
    AUTRE = "autre", "Autre"


class ThreadStatus(models.TextChoices):
    OPEN = rules.OPEN, "Ouverte"
    WAITING_FAMILY = rules.WAITING_FAMILY, "En attente de la famille"
    CLOSED = rules.CLOSED, "Close"


class Thread(models.Model):
    """One request of a foyer: a subject, its messages, a status, and each side's read mark.

    A side has read every message of the other side written up to its ``*_read_at``: the
    unread counts are those of the other side's messages written after it (one query for
    any number of threads, see selectors).
    """

    foyer = models.ForeignKey(
        "families.Foyer",
        verbose_name="foyer",
        on_delete=models.CASCADE,
        related_name="request_threads",
    )
    category = models.CharField("catégorie", max_length=20, choices=Category.choices)
    subject = models.CharField("objet", max_length=rules.MAX_SUBJECT_CHARS)
    status = models.CharField(
        "statut", max_length=20, choices=ThreadStatus.choices, default=ThreadStatus.OPEN
    )
    # Bare id: staff accounts live in the public schema (see reservations.BookingEvent.by_user).
    assigned_to = models.ForeignKey(
        "portal.User",
        verbose_name="attribuée à",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField("créée le", default=timezone.now)
    last_message_at = models.DateTimeField("dernier message le", default=timezone.now)
    family_read_at = models.DateTimeField("lue par la famille jusqu'au", null=True, blank=True)
    # Read by someone at the mairie; each staff member's own mark is a ThreadRead.
    staff_read_at = models.DateTimeField("lue par la mairie jusqu'au", null=True, blank=True)

    class Meta:
        verbose_name = "demande"
        verbose_name_plural = "demandes"
        ordering = ["-last_message_at", "-pk"]
        indexes = [
            models.Index(fields=["foyer", "-last_message_at"], name="thread_foyer_recent"),
            models.Index(fields=["status", "-last_message_at"], name="thread_status_recent"),
        ]

    def __str__(self) -> str:
        return self.subject


class ThreadRead(models.Model):
    """How far one staff member has read a thread: « non lu » is per person.

    One colleague opening a request does not hide it from the others: each has read the
    family's messages written up to their own ``read_at``.
    """

    thread = models.ForeignKey(
        Thread, verbose_name="demande", on_delete=models.CASCADE, related_name="reads"
    )
    # Bare id: staff accounts live in the public schema.
    user = models.ForeignKey(
        "portal.User",
        verbose_name="lue par",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    read_at = models.DateTimeField("lue jusqu'au")

    class Meta:
        verbose_name = "lecture d'une demande"
        verbose_name_plural = "lectures des demandes"
        constraints = [
            models.UniqueConstraint(fields=["thread", "user"], name="thread_read_once_per_staff")
        ]

    def __str__(self) -> str:
        return f"{self.thread} lue jusqu'au {timezone.localtime(self.read_at):%d/%m/%Y %H:%M}"


class Message(models.Model):
    thread = models.ForeignKey(
        Thread, verbose_name="demande", on_delete=models.CASCADE, related_name="messages"
    )
    body = models.TextField("message", max_length=rules.MAX_BODY_CHARS)
    from_staff = models.BooleanField("de la mairie", default=False)
    author = models.ForeignKey(
        "portal.User",
        verbose_name="auteur",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField("écrit le", default=timezone.now)

    class Meta:
        verbose_name = "message"
        verbose_name_plural = "messages"
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["thread", "created_at"], name="message_thread_time")]

    def __str__(self) -> str:
        return f"Message du {timezone.localtime(self.created_at):%d/%m/%Y %H:%M}"


def attachment_upload_to(instance: Attachment, filename: str) -> str:
    """Name the file from the collectivité's schema, the thread and a random id.

    The upload's own name is kept in ``Attachment.name`` for display only: it never reaches
    the file system, and the extension comes from the type read in the bytes.
    """
    extension = rules.ALLOWED_TYPES[instance.content_type]
    return (
        f"{connection.schema_name}/demandes/{instance.message.thread_id}/"
        f"{uuid.uuid4().hex}.{extension}"
    )


class Attachment(models.Model):
    message = models.ForeignKey(
        Message, verbose_name="message", on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(
        "fichier", upload_to=attachment_upload_to, storage=private_storage, max_length=255
    )
    name = models.CharField("nom du fichier", max_length=255)
    content_type = models.CharField("type", max_length=50)
    size = models.PositiveIntegerField("taille (octets)")

    class Meta:
        verbose_name = "pièce jointe"
        verbose_name_plural = "pièces jointes"
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name


class AbsenceStatus(models.TextChoices):
    PENDING = "pending", "En attente"
    ACCEPTED = "accepted", "Acceptée"
    REFUSED = "refused", "Refusée"


class Absence(models.Model):
    """A child's absence declared with a justificatif; once accepted it is justified.

    Accepted absences cancel the child's bookings of those days and are not charged the
    unjustified-absence price (``selectors.justified_absence_days``).
    """

    thread = models.OneToOneField(
        Thread, verbose_name="demande", on_delete=models.CASCADE, related_name="absence"
    )
    # PROTECT, like bookings: an accepted absence is evidence for the invoices.
    child = models.ForeignKey(
        "families.Child", verbose_name="enfant", on_delete=models.PROTECT, related_name="absences"
    )
    start = models.DateField("du")
    end = models.DateField("au")
    motif = models.TextField("motif", max_length=rules.MAX_BODY_CHARS)
    status = models.CharField(
        "décision", max_length=10, choices=AbsenceStatus.choices, default=AbsenceStatus.PENDING
    )
    decided_by = models.ForeignKey(
        "portal.User",
        verbose_name="décidée par",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField("décidée le", null=True, blank=True)
    created_at = models.DateTimeField("déclarée le", default=timezone.now)

    class Meta:
        verbose_name = "absence"
        verbose_name_plural = "absences"
        ordering = ["-start", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=F("start")), name="absence_period_ordered")
        ]
        indexes = [models.Index(fields=["child", "status", "start"], name="absence_child_status")]

    def __str__(self) -> str:
        return f"{self.child} du {self.start:%d/%m/%Y} au {self.end:%d/%m/%Y}"
