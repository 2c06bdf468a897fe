"""Pure rules of the news: the body's HTML, attachments, publication, who gets the e-mail.

No Django here: Markdown, nh3 and portal.attachments only, each rule tested without a database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

import markdown
import nh3

from news.exceptions import AttachmentTooBig, AttachmentTypeRefused
from portal import attachments

PARIS = ZoneInfo("Europe/Paris")

# BODY
# Staff write Markdown; whatever HTML it holds or produces, only these tags and attributes
# reach a page. Headings start at h2: the page's h1 is the post's title.
BODY_TAGS = frozenset(
    {
        "p",
        "br",
        "strong",
        "em",
        "a",
        "ul",
        "ol",
        "li",
        "h2",
        "h3",
        "h4",
        "blockquote",
        "hr",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
    }
)
BODY_ATTRIBUTES = {"a": {"href", "title"}}
BODY_URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
# Line breaks typed in the admin's text area stay line breaks (nl2br); menus are tables.
MARKDOWN_EXTENSIONS = ["tables", "sane_lists", "nl2br"]


def body_html(text: str) -> str:
    """Render the Markdown ``text`` to HTML and keep only the allow-listed tags.

    Scripts and styles go with their content, event attributes (``onerror=``) and
    ``javascript:`` links are dropped.
    """
    rendered = markdown.markdown(text, extensions=MARKDOWN_EXTENSIONS)
    return nh3.clean(
        rendered, tags=set(BODY_TAGS), attributes=BODY_ATTRIBUTES, url_schemes=set(BODY_URL_SCHEMES)
    )


# ATTACHMENTS (what may be attached: portal.attachments)
ATTACHMENT_MAX_MB = attachments.MAX_MB
ATTACHMENT_MAX_BYTES = attachments.MAX_BYTES
ATTACHMENT_HEAD_BYTES = attachments.HEAD_BYTES


def attachment_type(head: bytes) -> str | None:
    """Return the MIME type the bytes ``head`` announce if it is an accepted one, else None."""
    found = attachments.sniff(head)
    return found[0] if found else None


def attachment_check(*, head: bytes, size: int) -> str:
    """Return the MIME type of an attachment read from its first bytes, or raise why not.

    The name the file came with is never trusted: an .exe renamed .pdf is refused.
    """
    if size > ATTACHMENT_MAX_BYTES:
        raise AttachmentTooBig(ATTACHMENT_MAX_MB)
    mime = attachment_type(head)
    if mime is None:
        raise AttachmentTypeRefused()
    return mime


# PUBLICATION
class PublicationState(StrEnum):
    DRAFT = "brouillon"
    SCHEDULED = "programmee"
    PUBLISHED = "publiee"
    WITHDRAWN = "retiree"


PUBLICATION_LABELS = {
    PublicationState.DRAFT: "Brouillon",
    PublicationState.SCHEDULED: "Programmée",
    PublicationState.PUBLISHED: "En ligne",
    PublicationState.WITHDRAWN: "Retirée",
}


def publication_state(
    *, publish_at: datetime | None, unpublish_at: datetime | None, now: datetime
) -> PublicationState:
    """Say where a post stands at ``now``: no publication date is a draft.

    Online from ``publish_at`` included to ``unpublish_at`` excluded (selectors.published_q
    says the same to the database).
    """
    if publish_at is None:
        return PublicationState.DRAFT
    if now < publish_at:
        return PublicationState.SCHEDULED
    if unpublish_at is not None and unpublish_at <= now:
        return PublicationState.WITHDRAWN
    return PublicationState.PUBLISHED


# AUDIENCE
# A site's families are those with a booking there holding a place (reservations.places:
# not a cart never sent, nor an expired hold) for a day of the last twelve months or to come:
# a family that left the site long ago is no longer told about its closures.
AUDIENCE_LOOKBACK_DAYS = 365


def audience_since(now: datetime) -> date:
    """Return the first booking day (Paris calendar) that puts a foyer in a site's audience."""
    return now.astimezone(PARIS).date() - timedelta(days=AUDIENCE_LOOKBACK_DAYS)


@dataclass(frozen=True)
class Contact:
    """An address and whether its owner chose to be notified by e-mail (vs « Courrier »)."""

    email: str
    wants_email: bool


def news_recipient(
    *, responsables: Sequence[Contact], account: Contact | None, foyer_email: str
) -> str | None:
    """Return the one address a foyer's news e-mail goes to, or None if it wants none.

    The responsables' choices, made in this collectivité, decide (``responsables`` in rank
    order): the first who chose « E-mail » receives it, at their own address or else the
    foyer's. When every responsable chose « Courrier » nothing is sent. Only a foyer whose
    responsables were never recorded falls back on its account's choice.
    """
    fallback = foyer_email or (account.email if account else "")
    if responsables:
        chosen = next((r for r in responsables if r.wants_email), None)
        if chosen is None:
            return None
        return chosen.email or fallback or None
    if account is not None and not account.wants_email:
        return None
    return fallback or None
