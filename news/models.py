"""News posts of a collectivité, in its schema."""

from __future__ import annotations

import html
import uuid

from django.core.exceptions import ValidationError
from django.db import connection, models
from django.db.models.fields.files import FieldFile
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import strip_tags
from django.utils.text import Truncator

from news import rules
from news.exceptions import NewsError
from portal.storage import private_storage

EXCERPT_WORDS = 35


class Category(models.TextChoices):
    INFORMATION = "information", "Information"
    MENU = "menu", "Menu"
    FERMETURE = "fermeture", "Fermeture"
    EVENEMENT = "evenement", "Événement"
    INSCRIPTIONS = "inscriptions", "Inscriptions"


class AttachmentFieldFile(FieldFile):
    """A stored attachment whose URL is the view that checks who asks for it."""

    @property
    def url(self) -> str:
        self._require_file()
        return reverse("news:attachment", args=[self.instance.pk])


class AttachmentField(models.FileField):
    attr_class = AttachmentFieldFile


def attachment_upload_to(instance: Post, filename: str) -> str:
    # A folder of its own keeps the name the family will download, and no two files clash.
    return f"{connection.schema_name}/news/{uuid.uuid4().hex}/{filename}"


def validate_attachment(file) -> None:
    """Refuse a new attachment whose bytes are not PDF, JPEG or PNG, or that is too big."""
    if getattr(file, "_committed", False):
        return  # already stored: checked when it was uploaded
    file.seek(0)
    head = file.read(rules.ATTACHMENT_HEAD_BYTES)
    file.seek(0)
    try:
        rules.attachment_check(head=head, size=file.size)
    except NewsError as error:
        raise ValidationError(error.message, code="attachment") from error


class Post(models.Model):
    """A « Mes actualités » post: for every family, or for the families of one site."""

    title = models.CharField("titre", max_length=200)
    category = models.CharField(
        "catégorie", max_length=20, choices=Category.choices, default=Category.INFORMATION
    )
    body = models.TextField(
        "texte",
        help_text=(
            "Mise en forme Markdown : **gras**, *italique*, « - » en début de ligne pour une "
            "liste, ## pour un intertitre, [texte du lien](https://…). Le HTML est filtré."
        ),
    )
    attachment = AttachmentField(
        "pièce jointe",
        upload_to=attachment_upload_to,
        storage=private_storage,
        max_length=255,
        blank=True,
        validators=[validate_attachment],
        help_text=f"PDF, JPEG ou PNG, {rules.ATTACHMENT_MAX_MB} Mo au plus.",
    )
    service = models.ForeignKey(
        "reservations.Service",
        verbose_name="destinataires",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=(
            "Vide : toutes les familles. Un site : les familles dont un enfant y a une "
            "réservation validée ou en cours sur les douze derniers mois ou à venir."
        ),
    )
    pinned = models.BooleanField(
        "épinglée", default=False, help_text="Affichée en tête, avant les plus récentes."
    )
    publish_at = models.DateTimeField(
        "en ligne à partir du",
        null=True,
        blank=True,
        help_text="Vide : brouillon, que les familles ne voient pas.",
    )
    unpublish_at = models.DateTimeField(
        "retirée le", null=True, blank=True, help_text="Vide : reste en ligne."
    )
    emailed_at = models.DateTimeField("envoyée par e-mail le", null=True, blank=True)
    created_at = models.DateTimeField("créée le", auto_now_add=True)
    updated_at = models.DateTimeField("modifiée le", auto_now=True)

    class Meta:
        verbose_name = "actualité"
        verbose_name_plural = "actualités"
        # Pinned first, then the newest; drafts (no date) come first in the admin only,
        # families never see them.
        ordering = ["-pinned", "-publish_at", "-pk"]
        indexes = [models.Index(fields=["publish_at"], name="post_publish_at")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(publish_at__isnull=True)
                | models.Q(unpublish_at__isnull=True)
                | models.Q(unpublish_at__gt=models.F("publish_at")),
                name="post_unpublished_after_published",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("news:detail", args=[self.pk])

    def clean(self) -> None:
        if self.publish_at and self.unpublish_at and self.unpublish_at <= self.publish_at:
            raise ValidationError(
                {"unpublish_at": "La date de retrait doit suivre la date de mise en ligne."}
            )

    @cached_property
    def body_html(self) -> str:
        return rules.body_html(self.body)

    @cached_property
    def excerpt(self) -> str:
        """The body's first words as plain text, for lists."""
        return Truncator(html.unescape(strip_tags(self.body_html))).words(EXCERPT_WORDS)

    @property
    def attachment_filename(self) -> str:
        return self.attachment.name.rsplit("/", 1)[-1] if self.attachment else ""
