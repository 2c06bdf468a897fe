"""Pure rules of the news, without a database: HTML, attachments, dates, e-mail recipient."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from news import rules
from news.exceptions import AttachmentTooBig, AttachmentTypeRefused
from news.rules import Contact, PublicationState
from tests.news.conftest import EXE, NOW, PDF, PNG

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + b"\x00" * 32


def test_markdown_is_rendered():
    html = rules.body_html("## Menu\n\n**Lundi** : *frites*\n\n- pain\n- fromage")
    assert "<h2>Menu</h2>" in html
    assert "<strong>Lundi</strong>" in html
    assert "<em>frites</em>" in html
    assert "<li>pain</li>" in html


def test_a_table_and_a_line_break_stay():
    html = rules.body_html("| Lundi | Mardi |\n|---|---|\n| Soupe | Poisson |\n\nun\ndeux")
    assert "<td>Soupe</td>" in html
    assert "un<br>" in html


@pytest.mark.parametrize(
    ("body", "gone"),
    [
        ("Bonjour <script>alert('pirate')</script>", ["<script", "alert"]),
        ('<img src="x" onerror="alert(1)">', ["onerror", "alert", "<img"]),
        ("[cliquez](javascript:alert(1))", ["javascript:", "alert"]),
        ('<a href="https://exemple.fr" onclick="voler()">lien</a>', ["onclick", "voler"]),
        ('<p style="position:fixed">x</p><iframe src="https://x.test">', ["style", "iframe"]),
        ("<h1>Gros titre</h1>", ["<h1"]),
    ],
)
def test_html_and_scripts_are_neutralised(body, gone):
    html = rules.body_html(body)
    for needle in gone:
        assert needle not in html


def test_safe_links_keep_their_address_and_get_noopener():
    html = rules.body_html("[Le site de la mairie](https://mairie.exemple.fr)")
    assert 'href="https://mairie.exemple.fr"' in html
    assert 'rel="noopener noreferrer"' in html


@pytest.mark.parametrize(
    ("head", "mime"),
    [(PDF, "application/pdf"), (PNG, "image/png"), (JPEG, "image/jpeg")],
)
def test_accepted_attachment_types_are_read_from_the_bytes(head, mime):
    assert rules.attachment_check(head=head, size=len(head)) == mime


@pytest.mark.parametrize(
    "head",
    [EXE, b"GIF89a" + b"\x00" * 32, b"PK\x03\x04" + b"\x00" * 32, b"Juste du texte", b""],
)
def test_other_types_are_refused_whatever_their_name(head):
    with pytest.raises(AttachmentTypeRefused):
        rules.attachment_check(head=head, size=len(head))


def test_size_limit():
    assert rules.attachment_check(head=PDF, size=rules.ATTACHMENT_MAX_BYTES)
    with pytest.raises(AttachmentTooBig, match="5 Mo"):
        rules.attachment_check(head=PDF, size=rules.ATTACHMENT_MAX_BYTES + 1)


@pytest.mark.parametrize(
    ("publish", "unpublish", "state"),
    [
        (None, None, PublicationState.DRAFT),
        (None, NOW - timedelta(days=1), PublicationState.DRAFT),
        (NOW + timedelta(seconds=1), None, PublicationState.SCHEDULED),
        (NOW, None, PublicationState.PUBLISHED),
        (NOW - timedelta(days=9), NOW + timedelta(seconds=1), PublicationState.PUBLISHED),
        (NOW - timedelta(days=9), NOW, PublicationState.WITHDRAWN),
    ],
)
def test_publication_state(publish, unpublish, state):
    assert rules.publication_state(publish_at=publish, unpublish_at=unpublish, now=NOW) == state


def test_audience_since_counts_paris_days():
    # 23:30 UTC on 31/12 is already 1 January in Paris.
    late = datetime.fromisoformat("2025-12-31T23:30:00+00:00")
    assert rules.audience_since(late) == date(2026, 1, 1) - timedelta(days=365)


EMAIL, COURRIER = True, False


@pytest.mark.parametrize(
    ("responsables", "account", "foyer_email", "expected"),
    [
        # The first responsable who chose e-mail receives it, at their own address.
        ([Contact("r1@x.test", EMAIL)], None, "foyer@x.test", "r1@x.test"),
        ([Contact("r1@x.test", COURRIER), Contact("r2@x.test", EMAIL)], None, "", "r2@x.test"),
        ([Contact("r1@x.test", EMAIL), Contact("r2@x.test", EMAIL)], None, "", "r1@x.test"),
        # ... at the foyer's address when they recorded none, else the account's.
        ([Contact("", EMAIL)], None, "foyer@x.test", "foyer@x.test"),
        ([Contact("", EMAIL)], Contact("compte@x.test", EMAIL), "", "compte@x.test"),
        # Every responsable chose « Courrier »: nothing, whatever the account says.
        ([Contact("r1@x.test", COURRIER)], Contact("compte@x.test", EMAIL), "f@x.test", None),
        (
            [Contact("r1@x.test", COURRIER), Contact("r2@x.test", COURRIER)],
            None,
            "f@x.test",
            None,
        ),
        # No responsable recorded: the account decides.
        ([], Contact("compte@x.test", EMAIL), "foyer@x.test", "foyer@x.test"),
        ([], Contact("compte@x.test", EMAIL), "", "compte@x.test"),
        ([], Contact("compte@x.test", COURRIER), "foyer@x.test", None),
        ([], None, "foyer@x.test", "foyer@x.test"),
        # No address anywhere.
        ([Contact("", EMAIL)], None, "", None),
        ([], None, "", None),
    ],
)
def test_news_recipient(responsables, account, foyer_email, expected):
    assert (
        rules.news_recipient(responsables=responsables, account=account, foyer_email=foyer_email)
        == expected
    )
