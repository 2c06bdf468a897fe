"""Saving a post, and e-mailing it once to each foyer of its audience that wants e-mails."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError

from news.exceptions import (
    AttachmentTooBig,
    AttachmentTypeRefused,
    PostAlreadyEmailed,
    PostNotPublished,
)
from news.models import Post
from news.rules import ATTACHMENT_MAX_BYTES, ATTACHMENT_MAX_MB
from news.services import post_email_request, post_email_send, post_write
from news.tasks import post_email_task
from portal.models import NotificationPreference
from tests.conftest import SESSION_PARENT
from tests.factories import FoyerFactory, ResponsableFactory
from tests.news.conftest import (
    EXE,
    NOW,
    PDF,
    book,
    make_family,
    make_post,
    make_site,
    stored_files,
    upload,
)

pytestmark = pytest.mark.django_db
EMAIL, COURRIER = NotificationPreference.EMAIL, NotificationPreference.COURRIER


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def families(tenant_a, in_tenant):
    """Foyers of alpha and the address each should get the news at (None: no e-mail).

    The session's committed foyer (no responsable recorded, an account that kept the
    default « E-mail ») is one of them.
    """
    by_email = make_family(tenant_a, in_tenant)
    by_post = make_family(tenant_a, in_tenant)
    second = make_family(tenant_a, in_tenant)
    account_only = make_family(tenant_a, in_tenant)
    with in_tenant(tenant_a):
        ResponsableFactory(foyer=by_email.foyer, email="r1@exemple.test", notification="email")
        ResponsableFactory(
            foyer=by_post.foyer, email="courrier@exemple.test", notification="courrier"
        )
        ResponsableFactory(
            foyer=second.foyer, email="r1-courrier@exemple.test", notification="courrier"
        )
        ResponsableFactory(foyer=second.foyer, rank=2, email="r2@second.test", notification="email")
        FoyerFactory(email="pas-active@exemple.test")  # not activated: not a portal family yet
    return {
        "by_email": (by_email, "r1@exemple.test"),
        "by_post": (by_post, None),
        "second": (second, "r2@second.test"),
        "account_only": (account_only, account_only.user.email),
    }


def expected(families) -> set[str]:
    return {SESSION_PARENT} | {to for _, to in families.values() if to}


def recipients() -> list[str]:
    return sorted(to for message in mail.outbox for to in message.to)


def test_each_foyer_gets_the_post_once_as_it_chose(
    tenant_a, in_tenant, families, django_capture_on_commit_callbacks
):
    with in_tenant(tenant_a):
        post = make_post(title="Menus de janvier", body="**Lundi** : soupe")
        with django_capture_on_commit_callbacks(execute=True):
            post_email_request(post=post)
        post.refresh_from_db()
    assert recipients() == sorted(expected(families))
    message = mail.outbox[0]
    assert message.subject == "Actualité : Menus de janvier"
    assert "COMMUNE D'ALPHA a publié une actualité" in message.body
    assert f"/actualites/{post.pk}/" in message.body
    assert post.emailed_at == NOW


def test_run_twice_even_with_a_new_address_sends_nothing_more(
    tenant_a, in_tenant, families, django_capture_on_commit_callbacks
):
    with in_tenant(tenant_a):
        post = make_post()
        with django_capture_on_commit_callbacks(execute=True):
            post_email_request(post=post)
        sent = len(mail.outbox)
        foyer = families["by_email"][0].foyer
        foyer.responsables.update(email="nouvelle@exemple.test")
        with django_capture_on_commit_callbacks(execute=True):
            assert post_email_task.delay(post_id=post.pk).get() == 0
            assert post_email_send(post_id=post.pk, batch_size=1) == 0
        with pytest.raises(PostAlreadyEmailed, match="déjà été envoyée par e-mail le 12/01/2026"):
            post_email_request(post=post)
    assert len(mail.outbox) == sent == len(expected(families))


def test_small_batches_reach_everyone_once(
    tenant_a, in_tenant, families, django_capture_on_commit_callbacks
):
    with in_tenant(tenant_a):
        post = make_post(emailed_at=NOW)
        with django_capture_on_commit_callbacks(execute=True):
            queued = post_email_send(post_id=post.pk, batch_size=2)
    assert queued == len(expected(families))
    assert recipients() == sorted(expected(families))


def test_a_site_post_goes_to_the_sites_families_only(
    tenant_a, in_tenant, families, django_capture_on_commit_callbacks
):
    with in_tenant(tenant_a):
        site, cantine = make_site()
        book(families["second"][0].child, cantine)
        book(families["by_post"][0].child, cantine)  # chose « Courrier »: still nothing
        post = make_post(service=site)
        with django_capture_on_commit_callbacks(execute=True):
            post_email_request(post=post)
    assert recipients() == ["r2@second.test"]


@pytest.mark.parametrize(
    "fields",
    [
        {"publish_at": None},
        {"publish_at": NOW + timedelta(hours=1)},
        {"publish_at": NOW - timedelta(days=3), "unpublish_at": NOW - timedelta(days=1)},
    ],
)
def test_a_post_not_online_is_not_sent(
    tenant_a, in_tenant, families, django_capture_on_commit_callbacks, fields
):
    with in_tenant(tenant_a):
        post = make_post(**fields)
        with django_capture_on_commit_callbacks(execute=True), pytest.raises(PostNotPublished):
            post_email_request(post=post)
        assert post_email_send(post_id=post.pk) == 0
        post.refresh_from_db()
    assert post.emailed_at is None
    assert mail.outbox == []


def test_an_attachment_is_stored_privately(tenant_a, in_tenant, _private_files):
    with in_tenant(tenant_a):
        post = post_write(post=Post(title="Menu", body="Menu", attachment=upload(PDF, "menu.pdf")))
    (stored,) = stored_files(_private_files)
    assert stored.read_bytes() == PDF
    assert stored.relative_to(_private_files).parts[:2] == ("alpha", "news")
    assert post.attachment_filename == "menu.pdf"
    assert post.attachment.url == f"/actualites/{post.pk}/piece-jointe/"


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (EXE, AttachmentTypeRefused().message),
        (PDF + b"0" * ATTACHMENT_MAX_BYTES, AttachmentTooBig(ATTACHMENT_MAX_MB).message),
    ],
)
def test_a_refused_attachment_stores_nothing(tenant_a, in_tenant, _private_files, content, error):
    with in_tenant(tenant_a):
        post = Post(title="Menu", body="Menu", attachment=upload(content, "menu.pdf"))
        with pytest.raises(ValidationError) as refused:
            post_write(post=post)
        assert Post.objects.count() == 0
    assert refused.value.message_dict == {"attachment": [error]}
    assert stored_files(_private_files) == []


def test_withdrawal_must_follow_publication(tenant_a, in_tenant):
    with in_tenant(tenant_a), pytest.raises(ValidationError, match="doit suivre"):
        post_write(post=Post(title="T", body="B", publish_at=NOW, unpublish_at=NOW))
