"""Security headers, private caching, no inline script, and database timeouts answering 503."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, connections, transaction
from django.template import engines
from django.test import Client
from django_tenants.utils import tenant_context

from families.models import Foyer
from portal.middleware import DATABASE_BUSY
from tenants.models import Collectivite
from tests.conftest import SESSION_PARENT, TEST_COLLECTIVITES

ROOT = Path(__file__).resolve().parents[2]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
# Templates of installed packages that no URL of ours renders (no admin uses ExportMixin).
NOT_SERVED = {("admin", "import_export", "export.html")}


def _template_files():
    folders = {Path(d) for d in engines["django"].engine.dirs}
    for loader in engines["django"].engine.template_loaders:
        for origin_dir in getattr(loader, "get_dirs", lambda: [])():
            folders.add(Path(origin_dir))
    for folder in folders:
        if folder.is_dir():
            yield from folder.rglob("*.html")


def test_no_template_has_an_inline_script_or_event_handler():
    files = list(_template_files())
    assert len(files) > 100  # ours, the admin's, import-export's and crispy's
    offending = [
        str(path)
        for path in files
        if (INLINE_SCRIPT.search(path.read_text()) or INLINE_HANDLER.search(path.read_text()))
        and path.parts[-3:] not in NOT_SERVED
    ]
    assert offending == []


@pytest.mark.django_db
@pytest.mark.parametrize("host", ["localhost", TEST_COLLECTIVITES["alpha"]["domain"]])
def test_pages_send_csp_and_permissions_policy(host):
    response = Client(HTTP_HOST=host).get("/")
    csp = response["Content-Security-Policy"]
    assert (
        "script-src 'self'" in csp
        and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    )
    assert "frame-ancestors 'none'" in csp
    assert "camera=()" in response["Permissions-Policy"]


@pytest.mark.django_db
def test_logged_in_pages_are_private_and_not_stored(client_a, tenant_a):
    from tests.families.test_account import make_family

    family = make_family(tenant_a, tenant_context)
    client_a.force_login(family.user)
    for path in ("/", "/mon-compte/", "/actualites/", "/demandes/", "/donnees-personnelles/"):
        response = client_a.get(path)
        assert response.status_code == 200, path
        cache_control = response["Cache-Control"]
        assert "private" in cache_control and "no-store" in cache_control, path
    anonymous = Client(HTTP_HOST=TEST_COLLECTIVITES["alpha"]["domain"]).get("/")
    assert "private" not in anonymous.get("Cache-Control", "")


@pytest.mark.django_db
def test_every_connection_has_lock_and_statement_timeouts():
    with connection.cursor() as cursor:
        cursor.execute("SHOW lock_timeout")
        lock = cursor.fetchone()[0]
        cursor.execute("SHOW statement_timeout")
        statement = cursor.fetchone()[0]
    assert lock == f"{settings.DB_LOCK_TIMEOUT_MS // 1000}s"
    assert statement == f"{settings.DB_STATEMENT_TIMEOUT_MS // 1000}s"


@pytest.mark.django_db
def test_a_held_lock_answers_a_clear_503_not_a_long_wait(django_db_blocker):
    """Another transaction holds the foyer's row; the profile's save cannot wait for it."""
    alpha = Collectivite.objects.get(schema_name="alpha")
    holding, release = threading.Event(), threading.Event()

    def hold_the_foyer_row():
        try:
            with django_db_blocker.unblock():
                connection.set_tenant(alpha)
                with transaction.atomic():
                    Foyer.objects.select_for_update().filter(name="FAMILLE PARENT").first()
                    holding.set()
                    release.wait(timeout=30)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold_the_foyer_row)
    holder.start()
    try:
        assert holding.wait(timeout=10)
        with connection.cursor() as cursor:  # this test's own transaction: rolled back after
            cursor.execute("SET lock_timeout = '300ms'")
        from django.contrib.auth import get_user_model

        client = Client(HTTP_HOST=TEST_COLLECTIVITES["alpha"]["domain"])
        client.force_login(get_user_model().objects.get(email=SESSION_PARENT))
        response = client.post("/mon-compte/", {})
        assert response.status_code == 503
        assert DATABASE_BUSY.replace("'", "&#x27;") in response.content.decode() or (
            DATABASE_BUSY in response.content.decode()
        )
        assert response["Retry-After"] == "10"
    finally:
        release.set()
        holder.join(timeout=30)


def test_payment_pages_may_send_the_browser_to_the_providers(settings):
    # « Payer » is a form posted here then redirected to the provider: Chromium checks that
    # redirect against form-action.
    sources = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"]
    assert sources == ["'self'", "https://checkout.stripe.com", "https://www.payfip.gouv.fr"]
