"""Test settings: the development settings with fast hashing and in-memory e-mail."""

import os
import uuid

os.environ.setdefault("DJANGO_ENV", "test")

from portal.settings import *  # noqa: F403
from portal.settings import ALLOWED_HOSTS, DATABASES

# Argon2 costs ~50 ms per hash; tests hash hundreds of passwords.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Tests that need the real broker start their own worker on a queue of their own.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_URL = "memory://localhost/"
CELERY_RESULT_BACKEND = None
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver", ".testserver"]
# A test database of this run's own (xdist adds _gw0, _gw1): two suites running at once on
# one server never drop each other's database.
DATABASES["default"]["TEST"] = {"NAME": f"test_espacefamille_{os.getpid()}"}
# Threads of the race and browser tests close what they open: no connection outlives them.
DATABASES["default"].update(CONN_MAX_AGE=0, CONN_HEALTH_CHECKS=False)
# A queue of this test process's own: a development worker on the same Redis never takes
# a test's task, and two xdist workers never take each other's.
CELERY_TASK_DEFAULT_QUEUE = f"test-{uuid.uuid4().hex[:12]}"
