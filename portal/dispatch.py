"""Hand a task to Celery without ever failing the request that asked for it."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import connection, transaction
from django_tenants.utils import tenant_context

logger = logging.getLogger(__name__)


def task_dispatch(task, **kwargs) -> str:
    """Queue ``task(**kwargs)``; return "queued", "in-process" or "deferred".

    Called from ``transaction.on_commit``: the action is already saved, so nothing here may
    raise or make the parent wait. When the broker refuses the message, the task runs
    in-process where CELERY_INPROCESS_FALLBACK allows it (development), else it is left for
    the periodic requeue, which finds its work in the database (the e-mail journal).
    """
    if task.app.conf.task_always_eager:
        task.apply_async(kwargs=kwargs)
        return "in-process"
    try:
        task.apply_async(kwargs=kwargs, retry=False)
        return "queued"
    except Exception as error:  # kombu's OperationalError, socket errors: the broker is down
        logger.warning("Broker unavailable, %s(%s) not queued: %s", task.name, kwargs, error)
    if getattr(settings, "CELERY_INPROCESS_FALLBACK", False):
        try:
            task.apply(kwargs=kwargs)
            return "in-process"
        except Exception:
            logger.exception("%s(%s) failed in-process; left for the requeue", task.name, kwargs)
    return "deferred"


def task_dispatch_on_commit(task, **kwargs) -> None:
    """``task_dispatch(task, **kwargs)`` once the current transaction commits, sent from the
    collectivité current now.

    A tenant task takes its collectivité from the schema it is sent from. When the
    transaction outlives the schema (a command that leaves a collectivité's context before
    its outer transaction commits, as seed_demo does), a plain ``transaction.on_commit``
    would send it from « public ».
    """
    tenant = connection.tenant

    def in_schema() -> None:
        with tenant_context(tenant):
            task_dispatch(task, **kwargs)

    transaction.on_commit(in_schema)
