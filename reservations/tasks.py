"""Periodic work of the reservations app, run for every collectivité."""

from __future__ import annotations

from django_tenants.utils import tenant_context

from portal.celery import app
from reservations.services.lifecycle import holds_release
from tenants.models import Collectivite


@app.task
def holds_release_task() -> int:
    """Free, in every collectivité, the places of prépaiement carts left unpaid too long."""
    released = 0
    for collectivite in Collectivite.objects.collectivites():
        with tenant_context(collectivite):
            released += holds_release()
    return released
