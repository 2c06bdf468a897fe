"""What a request may contain and how its status moves. Pure: no Django imports.

Status decision: a family's message always puts its thread back to « ouverte », including a
closed one: a family answering a closed request still has something to say, and the mairie
sees it again in its open requests with an unread mark (a family that wants a new subject
opens a new request). Staff choose the status of each answer; by default an answer waits
for the family.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, timedelta

from portal import attachments
from requests_inbox.exceptions import (
    AbsencePeriodReversed,
    AbsenceTooFar,
    AbsenceTooLong,
    AbsenceTooOld,
    AttachmentEmpty,
    AttachmentTooLarge,
    AttachmentTypeRefused,
    MessageEmpty,
    MessageTooLong,
)

OPEN = "ouverte"
WAITING_FAMILY = "attente_famille"
CLOSED = "close"

MAX_SUBJECT_CHARS = 150
MAX_BODY_CHARS = 5000
MAX_ATTACHMENT_BYTES = attachments.MAX_BYTES
HEAD_BYTES = attachments.HEAD_BYTES
# The type is read from the bytes; the stored file is named from it, never from the upload.
ALLOWED_TYPES = attachments.TYPES
MAX_ABSENCE_DAYS = 366
# An absence is declared from a year back (a justificatif found late) to a year ahead (a
# planned operation): 0001-01-01 or 9999-12-31 are typing mistakes or crafted requests.
ABSENCE_WINDOW = timedelta(days=366)


def status_after_family_message(status: str) -> str:
    """Return the status of a thread once the family wrote in it (see the module's decision)."""
    return OPEN


def status_after_staff_message(requested: str | None) -> str:
    """Return the status of a thread once staff answered: theirs, or waiting for the family."""
    return requested or WAITING_FAMILY


def subject_clean(subject: str) -> str:
    """Collapse whitespace (line breaks included): a subject becomes an e-mail header."""
    return " ".join(subject.split())[:MAX_SUBJECT_CHARS]


def body_check(body: str) -> str:
    """Return ``body`` stripped, or raise if it is empty or too long."""
    body = body.strip()
    if not body:
        raise MessageEmpty()
    if len(body) > MAX_BODY_CHARS:
        raise MessageTooLong()
    return body


def attachment_type(*, head: bytes, size: int) -> tuple[str, str]:
    """Return (content type, extension) of a file from its first bytes, or raise if refused.

    ``head`` holds the file's first HEAD_BYTES bytes; its name is never trusted (an .exe
    renamed .pdf starts with « MZ » and is refused).
    """
    if size <= 0:
        raise AttachmentEmpty()
    if size > MAX_ATTACHMENT_BYTES:
        raise AttachmentTooLarge()
    found = attachments.sniff(head)
    if found is None:
        raise AttachmentTypeRefused()
    return found


@dataclass(frozen=True)
class Upload:
    """An uploaded file whose type was read from its bytes."""

    file: object
    content_type: str
    extension: str

    @property
    def display_name(self) -> str:
        """The sender's file name without folders or control characters, with our extension."""
        stem = os.path.splitext(os.path.basename(str(getattr(self.file, "name", "") or "")))[0]
        stem = "".join(c for c in stem if c.isprintable()).strip()[:200] or "piece-jointe"
        return f"{stem}.{self.extension}"


def attachment_check(file) -> Upload | None:
    """Read the first bytes of an uploaded ``file`` and return it typed, or raise if refused."""
    if file is None:
        return None
    file.seek(0)
    head = file.read(HEAD_BYTES)
    file.seek(0)
    content_type, extension = attachment_type(head=head, size=file.size)
    return Upload(file=file, content_type=content_type, extension=extension)


def absence_period_check(start: date, end: date, *, today: date) -> None:
    """Raise if an absence's period is reversed, longer than MAX_ABSENCE_DAYS days, or
    outside ABSENCE_WINDOW around ``today`` (a local date, Paris)."""
    if end < start:
        raise AbsencePeriodReversed()
    if (end - start).days + 1 > MAX_ABSENCE_DAYS:
        raise AbsenceTooLong()
    if start < today - ABSENCE_WINDOW:
        raise AbsenceTooOld()
    if end > today + ABSENCE_WINDOW:
        raise AbsenceTooFar()
