"""What families type in « Mes demandes », and the staff's answer form in the admin."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from portal.forms import DatePicker
from requests_inbox import rules
from requests_inbox.exceptions import AttachmentRefused, RequestsError
from requests_inbox.models import Category, Thread

ATTACHMENT_HELP = "PDF, photo JPEG ou image PNG, 5 Mo au plus."
ACCEPTED_FILES = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"
ATTACHMENT_WITHOUT_TEXT = "Écrivez un message pour accompagner la pièce jointe."


class AttachmentField(forms.FileField):
    """A file whose type is read from its bytes (PDF, JPEG, PNG), 5 Mo at most."""

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", ATTACHMENT_HELP)
        kwargs.setdefault("widget", forms.ClearableFileInput(attrs={"accept": ACCEPTED_FILES}))
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        file = super().clean(data, initial)
        if file:
            try:
                rules.attachment_check(file)
            except AttachmentRefused as error:
                raise forms.ValidationError(error.message, code="attachment") from error
        return file


def _body_field(label: str, **kwargs) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=rules.MAX_BODY_CHARS,
        widget=forms.Textarea(attrs={"rows": 6}),
        **kwargs,
    )


class ThreadForm(forms.Form):
    """« Nouvelle demande »."""

    category = forms.ChoiceField(
        label="Catégorie", choices=[("", "Choisissez une catégorie"), *Category.choices]
    )
    subject = forms.CharField(label="Objet", max_length=rules.MAX_SUBJECT_CHARS)
    body = _body_field("Message")
    attachment = AttachmentField(label="Pièce jointe (facultative)", required=False)


class ReplyForm(forms.Form):
    """The family's answer at the bottom of a thread."""

    body = _body_field("Votre message")
    attachment = AttachmentField(label="Pièce jointe (facultative)", required=False)


DATE_WIDGET = DatePicker()


class AbsenceForm(forms.Form):
    """« Déclarer une absence »: one of the foyer's children, the days, the motif, the proof."""

    child = forms.TypedChoiceField(label="Enfant", coerce=int)
    start = forms.DateField(label="Absent à partir du", widget=DATE_WIDGET)
    end = forms.DateField(label="Jusqu'au (inclus)", widget=DATE_WIDGET)
    motif = _body_field("Motif")
    justificatif = AttachmentField(
        label="Justificatif",
        help_text=f"Certificat médical, attestation… {ATTACHMENT_HELP}",
        error_messages={"required": "Joignez le justificatif de l'absence."},
    )

    def __init__(self, *args, children, **kwargs):
        super().__init__(*args, **kwargs)
        self.children = {child.pk: child for child in children}
        self.fields["child"].choices = [
            (child.pk, f"{child.first_name} {child.last_name}") for child in children
        ]

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            try:
                rules.absence_period_check(start, end, today=timezone.localdate())
            except RequestsError as error:
                self.add_error("end", error.message)
        if cleaned.get("child") is not None:
            cleaned["child"] = self.children[cleaned["child"]]
        return cleaned


class Decision:
    ACCEPT = "accept"
    REFUSE = "refuse"


class ThreadAdminForm(forms.ModelForm):
    """The staff's side of a thread: status, assignee, an answer with a file, a decision."""

    reply = forms.CharField(
        label="Votre réponse",
        required=False,
        max_length=rules.MAX_BODY_CHARS,
        widget=forms.Textarea(attrs={"rows": 6, "cols": 80}),
        help_text="Envoyée à la famille par e-mail (un lien vers la demande, pas le texte).",
    )
    reply_attachment = AttachmentField(label="Pièce jointe", required=False)
    absence_decision = forms.ChoiceField(
        label="Décision sur l'absence",
        required=False,
        choices=[
            ("", "Pas encore de décision"),
            (Decision.ACCEPT, "Accepter : absence justifiée, réservations de ces dates annulées"),
            (Decision.REFUSE, "Refuser : les réservations sont maintenues"),
        ],
        help_text="La famille reçoit la décision dans la demande, suivie de votre réponse.",
    )

    class Meta:
        model = Thread
        fields = ["status", "assigned_to"]
        help_texts = {
            "status": (
                "Une réponse sans changement de statut met la demande « en attente de la "
                "famille » ; une décision sur l'absence la clôt."
            )
        }

    def clean(self):
        cleaned = super().clean()
        reply = (cleaned.get("reply") or "").strip()
        cleaned["reply"] = reply
        if cleaned.get("reply_attachment") and not reply and not cleaned.get("absence_decision"):
            self.add_error("reply", ATTACHMENT_WITHOUT_TEXT)
        return cleaned
