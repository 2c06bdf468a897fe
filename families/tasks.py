"""Celery tasks of the families app: thin wrappers around its services."""

from __future__ import annotations

from portal.celery import app
from tenants.models import Collectivite


@app.task
def retention_purge_task() -> dict[str, int]:
    """Anonymise, collectivité by collectivité, the foyers past their retention period."""
    from families.services_privacy import foyers_purge

    return {
        collectivite.schema_name: foyers_purge(collectivite=collectivite)
        for collectivite in Collectivite.objects.collectivites()
    }


@app.task
def import_run_task(*, job_id: int) -> str:
    """Run a confirmed import of foyers and children (in the sender's schema)."""
    from families.services_import import import_run

    return import_run(job_id=job_id).status
