"""Errors a family or a staff member may meet while joining a collectivité, in French."""

from __future__ import annotations


class FamiliesError(Exception):
    """Base of the domain errors of the families app; ``message`` is shown to the user."""

    message = "L'opération n'a pas pu être réalisée."

    def __init__(self, message: str | None = None):
        super().__init__(message or self.message)
        self.message = message or self.message


class CodeUnknown(FamiliesError):
    message = (
        "Ce code d'adhésion n'existe pas. Vérifiez les 10 caractères reçus par e-mail "
        "(les lettres O et I n'y figurent jamais)."
    )


class CodeAlreadyUsed(FamiliesError):
    message = "Ce code d'adhésion a déjà été utilisé : il n'est valable qu'une seule fois."


class CodeExpired(FamiliesError):
    def __init__(self, expired_on: str):
        super().__init__(
            f"Ce code d'adhésion a expiré le {expired_on}. Demandez-en un nouveau à votre mairie."
        )


class CodeRevoked(FamiliesError):
    message = (
        "Ce code d'adhésion a été remplacé par un code plus récent. Utilisez le dernier "
        "e-mail reçu de votre mairie."
    )


class CodeOtherCollectivite(FamiliesError):
    def __init__(self, other_name: str):
        super().__init__(
            f"Ce code d'adhésion a été délivré par {other_name}, pas par cette collectivité. "
            "Saisissez-le depuis « Gérer mes abonnements » sur la page d'accueil du portail."
        )


class FoyerTakenByAnotherAccount(FamiliesError):
    message = (
        "Ce foyer est déjà rattaché à un autre compte. Contactez votre mairie si vous pensez "
        "qu'il s'agit d'une erreur."
    )


class AccountAlreadyHasFoyer(FamiliesError):
    message = (
        "Votre compte est déjà rattaché à un autre foyer de cette collectivité. Contactez "
        "votre mairie pour regrouper vos enfants dans un seul foyer."
    )


class TooManyAttempts(FamiliesError):
    message = (
        "Trop de codes erronés ont été saisis. Par sécurité, la saisie est bloquée pendant "
        "une heure."
    )


class FoyerHasNoEmail(FamiliesError):
    message = "Ce foyer n'a pas d'adresse e-mail de connexion : renseignez-la avant l'envoi."


class ResponsableMissing(FamiliesError):
    message = "Indiquez au moins le responsable 1 du foyer."


class ActivationEmailMismatch(FamiliesError):
    message = (
        "Le compte se crée avec l'adresse e-mail à laquelle la mairie a envoyé le lien. "
        "Pour utiliser une autre adresse, demandez à votre mairie de la modifier."
    )


class FoyerEmailTaken(FamiliesError):
    def __init__(self):
        from families.models import FOYER_EMAIL_TAKEN

        super().__init__(FOYER_EMAIL_TAKEN)
