"""Errors about a collectivité's staff, with the French message the administrateur reads."""

from __future__ import annotations


class StaffError(Exception):
    """Base of the staff errors; ``message`` is shown to the user."""

    message = "L'opération sur le personnel n'a pas pu être réalisée."

    def __init__(self, message: str | None = None):
        super().__init__(message or self.message)
        self.message = message or self.message


class LastAdministrateur(StaffError):
    message = (
        "La collectivité doit garder au moins un administrateur : nommez-en un autre avant "
        "de changer le rôle de celui-ci ou de le retirer."
    )


class AlreadyStaff(StaffError):
    message = "Cette personne fait déjà partie du personnel."


class InvitationInvalid(StaffError):
    message = (
        "Ce lien d'invitation n'est plus valable : il a déjà servi, a expiré ou a été "
        "annulé. Demandez à l'administrateur de la collectivité de vous inviter à nouveau."
    )
