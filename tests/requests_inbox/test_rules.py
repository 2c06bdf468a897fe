"""What a request may hold and how its status moves: pure rules, no database."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest

from requests_inbox import rules
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
from tests.requests_inbox.files import EXE, image, minimal_pdf


def check(content: bytes, size: int | None = None):
    return rules.attachment_type(head=content[: rules.HEAD_BYTES], size=size or len(content))


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (minimal_pdf(), ("application/pdf", "pdf")),
        (image("PNG"), ("image/png", "png")),
        (image("JPEG"), ("image/jpeg", "jpg")),
    ],
)
def test_pdf_png_and_jpeg_are_recognised_from_their_bytes(content, expected):
    assert check(content) == expected


@pytest.mark.parametrize(
    "content",
    [EXE, b"Bonjour, voici mon justificatif.", b"<html><script>alert(1)</script></html>"],
)
def test_other_contents_are_refused_whatever_their_name(content):
    with pytest.raises(AttachmentTypeRefused):
        check(content)


def test_size_limits():
    pdf = minimal_pdf()
    assert check(pdf, size=rules.MAX_ATTACHMENT_BYTES) == ("application/pdf", "pdf")
    with pytest.raises(AttachmentTooLarge):
        check(pdf, size=rules.MAX_ATTACHMENT_BYTES + 1)
    with pytest.raises(AttachmentEmpty):
        check(b"", size=0)


class Named(io.BytesIO):
    def __init__(self, content: bytes, name: str):
        super().__init__(content)
        self.name, self.size = name, len(content)


def test_the_stored_name_keeps_the_senders_stem_with_the_real_type():
    upload = rules.attachment_check(Named(minimal_pdf(), "../../dossier/certificat.exe"))
    assert upload.display_name == "certificat.pdf"
    assert rules.attachment_check(Named(image(), "\x00\n.png")).display_name == "piece-jointe.png"
    assert rules.attachment_check(None) is None


def test_a_refused_file_names_its_reason():
    with pytest.raises(AttachmentTypeRefused, match="PDF, une photo JPEG ou une image PNG"):
        rules.attachment_check(Named(EXE, "facture.pdf"))


@pytest.mark.parametrize("status", [rules.OPEN, rules.WAITING_FAMILY, rules.CLOSED])
def test_a_family_message_opens_the_thread_whatever_its_status(status):
    assert rules.status_after_family_message(status) == rules.OPEN


def test_a_staff_answer_waits_for_the_family_unless_staff_chose():
    assert rules.status_after_staff_message(None) == rules.WAITING_FAMILY
    assert rules.status_after_staff_message(rules.CLOSED) == rules.CLOSED
    assert rules.status_after_staff_message(rules.OPEN) == rules.OPEN


def test_subjects_become_one_line():
    assert rules.subject_clean("  Facture\r\nBcc: x@y.z  ") == "Facture Bcc: x@y.z"
    assert len(rules.subject_clean("a" * 500)) == rules.MAX_SUBJECT_CHARS


def test_bodies_are_stripped_and_bounded():
    assert rules.body_check("  Bonjour\n") == "Bonjour"
    with pytest.raises(MessageEmpty):
        rules.body_check(" \n\t ")
    assert rules.body_check("x" * rules.MAX_BODY_CHARS)
    with pytest.raises(MessageTooLong):
        rules.body_check("x" * (rules.MAX_BODY_CHARS + 1))


def test_absence_periods():
    today = date(2026, 1, 10)
    rules.absence_period_check(date(2026, 1, 15), date(2026, 1, 15), today=today)
    with pytest.raises(AbsencePeriodReversed):
        rules.absence_period_check(date(2026, 1, 15), date(2026, 1, 14), today=today)
    rules.absence_period_check(date(2026, 1, 1), date(2026, 12, 31), today=today)
    with pytest.raises(AbsenceTooLong):
        rules.absence_period_check(date(2026, 1, 1), date(2027, 1, 2), today=today)


def test_absences_are_declared_from_a_year_back_to_a_year_ahead():
    """Issue 12 item 6: 0001-01-01 was accepted (and 500ed the admin's drill-down)."""
    today = date(2026, 1, 10)
    year = rules.ABSENCE_WINDOW
    rules.absence_period_check(today - year, today - year, today=today)
    rules.absence_period_check(today + year, today + year, today=today)
    too_old = today - year - timedelta(days=1)
    with pytest.raises(AbsenceTooOld):
        rules.absence_period_check(too_old, too_old, today=today)
    with pytest.raises(AbsenceTooOld):
        rules.absence_period_check(date(1, 1, 1), date(1, 1, 1), today=today)
    too_far = today + year + timedelta(days=1)
    with pytest.raises(AbsenceTooFar):
        rules.absence_period_check(too_far, too_far, today=today)
    with pytest.raises(AbsenceTooFar):
        rules.absence_period_check(date(9999, 12, 31), date(9999, 12, 31), today=today)
