"""Errors of « Mes demandes », with the French message families and staff see."""

from __future__ import annotations


class RequestsError(Exception):
    """Base of the domain errors of the requests_inbox app; ``message`` is shown to the user."""

    message = "La demande n'a pas pu être enregistrée."

    def __init__(self, message: str | None = None):
        self.message = message or self.message
        super().__init__(self.message)


class AttachmentRefused(RequestsError):
    message = "Ce fichier ne peut pas être joint."


class AttachmentEmpty(AttachmentRefused):
    message = "Le fichier joint est vide."


class AttachmentTooLarge(AttachmentRefused):
    message = "Le fichier joint dépasse 5 Mo : réduisez-le (ou photographiez moins de pages)."


class AttachmentTypeRefused(AttachmentRefused):
    message = (
        "Ce type de fichier n'est pas accepté : joignez un PDF, une photo JPEG ou une image PNG."
    )


class MessageEmpty(RequestsError):
    message = "Écrivez votre message."


class MessageTooLong(RequestsError):
    message = "Votre message est trop long (5 000 caractères au plus)."


class AbsencePeriodReversed(RequestsError):
    message = "La fin de l'absence précède son début."


class AbsenceTooLong(RequestsError):
    message = "Une absence ne peut pas dépasser un an : déclarez-la en plusieurs fois."


class AbsenceTooOld(RequestsError):
    message = "Cette absence est trop ancienne : une absence se déclare au plus un an après."


class AbsenceTooFar(RequestsError):
    message = "Cette absence est trop lointaine : une absence se déclare au plus un an à l'avance."


class AbsenceNotYourChild(RequestsError):
    message = "Cet enfant ne fait pas partie de votre foyer."


class AbsenceAlreadyDecided(RequestsError):
    message = "La mairie a déjà répondu à cette déclaration d'absence."


class AbsenceDecisionNotAllowed(RequestsError):
    message = "Votre rôle ne permet pas de décider des déclarations d'absence."


class SubjectEmpty(RequestsError):
    message = "Indiquez l'objet de votre demande."


class JustificatifRequired(RequestsError):
    message = "Joignez le justificatif de l'absence (certificat, attestation…)."
