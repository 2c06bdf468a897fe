"""Import limits (size, rows, expanded XLSX) and the import as a Celery job with progress."""

from __future__ import annotations

import io
import time
import zipfile

import pytest
from django.core.cache import cache
from django.utils.html import escape

from families.import_limits import MAX_ROWS, TOO_BIG, TOO_MANY_ROWS, XLSX_TOO_BIG
from families.models import Foyer, ImportJob, ImportStatus
from families.services_import import import_run, progress_key
from tests.families.test_import import (
    GOOD_ROWS,
    XLSX_FORMAT,
    _csv,
    _dry_run,
    _import,
    agent_client,  # noqa: F401 (fixture)
)

pytestmark = pytest.mark.django_db


def _form_errors(response) -> str:
    return " ".join(response.context["form"].errors.get("import_file", []))


def test_a_file_over_5_mo_is_refused_before_it_is_read(agent_client):  # noqa: F811
    response = _dry_run(agent_client, b"x" * (5 * 1024 * 1024 + 1))
    assert response.status_code == 200
    assert TOO_BIG.message in _form_errors(response)


def test_more_than_5000_rows_are_refused(agent_client, tenant_a, in_tenant):  # noqa: F811
    rows = [GOOD_ROWS[2]] * (MAX_ROWS + 1)
    response = _dry_run(agent_client, _csv(rows))
    assert TOO_MANY_ROWS.message in _form_errors(response)
    with in_tenant(tenant_a):
        assert not Foyer.objects.filter(name="DURAND").exists()


def _xlsx_bomb() -> bytes:
    """A 40 Ko zip whose sheet expands to 48 Mo: refused from its directory, unread."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"<row/>" * 8_000_000)
    return buffer.getvalue()


def test_an_xlsx_bomb_is_refused_before_openpyxl_expands_it(agent_client):  # noqa: F811
    bomb = _xlsx_bomb()
    assert len(bomb) < 200_000
    start = time.monotonic()
    response = _dry_run(agent_client, bomb, name="familles.xlsx", format=XLSX_FORMAT)
    assert time.monotonic() - start < 2
    assert XLSX_TOO_BIG.message in _form_errors(response)


def test_the_confirmed_import_runs_as_a_job_once(agent_client, tenant_a, in_tenant):  # noqa: F811
    response = _import(agent_client, _csv(GOOD_ROWS))
    assert response.status_code == 302  # the job page sends back to the foyers when done
    with in_tenant(tenant_a):
        job = ImportJob.objects.get()
        assert (job.status, job.total_rows, job.summary["new"]) == (ImportStatus.DONE, 3, 3)
        # Handed out twice (a requeue, a redelivery): the second run does nothing.
        assert import_run(job_id=job.pk).status == ImportStatus.DONE
        assert Foyer.objects.filter(name="MARTIN").count() == 1


def test_a_running_job_shows_its_progress_and_refreshes(agent_client, tenant_a, in_tenant):  # noqa: F811
    with in_tenant(tenant_a):
        job = ImportJob.objects.create(
            file_name="familles.csv",
            storage_name="x",
            format_index=0,
            status=ImportStatus.RUNNING,
            total_rows=4000,
        )
        cache.set(progress_key(job.pk), 1250)
    body = agent_client.get(f"/admin/families/foyer/import/{job.pk}/").content.decode()
    assert "1250 lignes traitées sur 4000" in body
    assert '<meta http-equiv="refresh" content="2">' in body
    assert escape("Cette page se met à jour toute seule") in body
