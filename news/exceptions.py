"""Errors of the news app, with the French message staff see."""

from __future__ import annotations


class NewsError(Exception):
    """Base of the domain errors of the news app; ``message`` is shown to the user."""

    message = "L'opération n'a pas pu être réalisée."

    def __init__(self, message: str | None = None):
        super().__init__(message or self.message)
        self.message = message or self.message


class AttachmentTypeRefused(NewsError):
    message = (
        "Ce fichier n'a pas été enregistré : seuls les documents PDF et les images JPEG ou PNG "
        "peuvent être joints (le type est lu dans le contenu du fichier, pas dans son nom)."
    )


class AttachmentTooBig(NewsError):
    def __init__(self, max_mb: int):
        super().__init__(
            f"Ce fichier n'a pas été enregistré : une pièce jointe ne doit pas dépasser "
            f"{max_mb} Mo. Réduisez-la (PDF compressé, photo redimensionnée) puis recommencez."
        )


class PostNotPublished(NewsError):
    def __init__(self, title: str):
        super().__init__(
            f"« {title} » n'est pas en ligne : une actualité ne peut être envoyée par e-mail "
            "qu'une fois publiée."
        )


class PostAlreadyEmailed(NewsError):
    def __init__(self, title: str, on: str):
        super().__init__(f"« {title} » a déjà été envoyée par e-mail le {on}.")
