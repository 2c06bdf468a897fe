"""Celery through a real Redis broker and a real worker, in the sender's tenant schema."""

from __future__ import annotations

import os
import threading

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.core import mail
from django.db import connection, connections
from django_tenants.utils import tenant_context

from families.models import Foyer
from portal.celery import app
from portal.models import OutgoingEmail
from portal.services import email_queue
from portal.settings import redis_reachable
from tenants.models import Collectivite

REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"


@app.task(name="tests.probe_schema")
def probe_schema_task() -> dict:
    """Report where the worker ran: its schema and the foyers it sees there."""
    return {
        "schema": connection.schema_name,
        "foyers": sorted(Foyer.objects.values_list("name", flat=True)),
    }


def _drop_broker_pools() -> None:
    """Forget pooled broker connections: eager calls in earlier tests opened memory:// ones."""
    from kombu import pools

    if app._pool is not None:
        app._pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None
    pools.reset()  # kombu's registry would hand the closed pools out again


@pytest.fixture
def redis_worker(django_db_setup, django_db_blocker):
    if not redis_reachable(REDIS_URL):
        message = f"No Redis at {REDIS_URL}: the Celery-through-Redis test needs one."
        if os.environ.get("CI"):
            pytest.fail(message + " CI provides Redis; it must run there.")
        pytest.skip(message + " Start redis-server or set REDIS_URL to run it.")
    saved = {k: app.conf[k] for k in ("broker_url", "task_always_eager", "result_backend")}
    app.conf.update(broker_url=REDIS_URL, task_always_eager=False, result_backend=None)
    _drop_broker_pools()
    results: dict[str, object] = {}
    done = threading.Event()

    def record(sender=None, task_id=None, retval=None, **kwargs):
        results[sender.name] = retval
        results.setdefault("threads", set()).add(threading.current_thread().name)
        # Runs in the worker thread: close its connection so the test database can be dropped.
        connections.close_all()
        if {"tests.probe_schema", "portal.tasks.email_send_task"} <= results.keys():
            done.set()

    task_postrun.connect(record, weak=False)
    try:
        with (
            django_db_blocker.unblock(),
            start_worker(
                app, pool="solo", perform_ping_check=False, queues=[app.conf.task_default_queue]
            ),
        ):
            yield results, done
    finally:
        task_postrun.disconnect(record)
        app.conf.update(saved)
        _drop_broker_pools()


@pytest.mark.redis
def test_tasks_run_through_redis_in_the_senders_schema(redis_worker, django_db_blocker):
    results, done = redis_worker
    with django_db_blocker.unblock():
        alpha = Collectivite.objects.get(schema_name="alpha")
        beta = Collectivite.objects.get(schema_name="beta")
        try:
            with tenant_context(beta):
                Foyer.objects.create(name="FOYER BETA REDIS")
            with tenant_context(alpha):
                Foyer.objects.create(name="FOYER ALPHA REDIS")
                # Autocommit: on_commit runs at once and publishes to Redis.
                email_queue(to="parent@exemple.test", subject="Test", body="Bonjour", key="redis")
                probe_schema_task.delay()
            assert done.wait(timeout=60), f"worker did not run both tasks: {results}"
            assert results["tests.probe_schema"] == {
                "schema": "alpha",
                "foyers": ["FAMILLE PARENT", "FOYER ALPHA REDIS"],
            }
            assert results["portal.tasks.email_send_task"] is True
            # Both ran in the worker's thread, not eagerly in this one.
            assert threading.current_thread().name not in results["threads"]
            assert [m.reply_to for m in mail.outbox] == [["mairie@alpha.test"]]
            assert OutgoingEmail.objects.get(key="redis").sent_at is not None
        finally:
            OutgoingEmail.objects.filter(key="redis").delete()
            for tenant in (alpha, beta):
                with tenant_context(tenant):
                    Foyer.objects.filter(name__endswith=" REDIS").delete()
            connection.set_schema_to_public()
