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


@app.task
def closure_apply_task(*, closure_id: int) -> int:
    """Apply a closure: cancel its days' bookings, credit, tell the families (once)."""
    from reservations.services.closure_job import closure_apply

    closure = closure_apply(closure_id=closure_id)
    return closure.bookings_done if closure else 0
