"""Celery application, tenant-aware: a task runs in the schema it was sent from."""

import os

from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = CeleryApp("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# One log line per task, with the id of the request that queued it (portal.observability).
from portal.observability import celery_signals_connect  # noqa: E402

celery_signals_connect()
