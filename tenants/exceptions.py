"""Errors about collectivités and their staff, with the French message people read."""

from __future__ import annotations


class TenantsError(Exception):
    message = "Opération impossible."

    def __init__(self, message: str | None = None, **params) -> None:
        self.message = (message or self.message).format(**params)
        super().__init__(self.message)


class TransferError(TenantsError):
    """An export or import of a collectivité that was refused or undone: nothing changed."""

    NOT_FOUND = "La collectivité « {slug} » n'existe pas."
    SLUG_INVALID = (
        "« {slug} » n'est pas un identifiant de collectivité valable : lettres minuscules, "
        "chiffres et tirets, ni au début ni à la fin, 63 caractères au plus."
    )
    UNREADABLE = (
        "L'archive {name} est illisible, tronquée ou modifiée ({detail}) : rien n'a été importé."
    )
    FORMAT = (
        "L'archive {name} est au format {version}, que cette version d'Espace Famille ne lit "
        "pas : rien n'a été importé."
    )
    NEWER = (
        "L'archive vient d'une version plus récente d'Espace Famille (migration {migration} "
        "inconnue ici) : mettez cette installation à jour avant de l'importer. Rien n'a été "
        "importé."
    )
    EXISTS = (
        "La collectivité « {slug} » existe déjà : choisissez un autre identifiant avec --as. "
        "Rien n'a été importé."
    )
    DOMAIN_EXISTS = (
        "Le domaine {domain} est déjà utilisé : choisissez un autre identifiant avec --as. "
        "Rien n'a été importé."
    )
    FILES_EXIST = (
        "Des fichiers existent déjà pour « {slug} » ({where}) : déplacez-les ou choisissez un "
        "autre identifiant. Rien n'a été importé."
    )
    LOAD_FAILED = (
        "L'import a échoué ({detail}) : la collectivité « {slug} », son schéma et ses fichiers "
        "ont été supprimés, rien n'a été importé."
    )


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
