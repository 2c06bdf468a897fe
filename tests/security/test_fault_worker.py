"""A Celery worker killed with SIGKILL in the middle of sending: the e-mail goes out once.

Real processes: a private Redis, a local SMTP stand-in that holds the first message without
answering, and `celery worker` subprocesses on the session's test database. The worker is
killed while it waits for the SMTP server's 250, restarted, and both the broker's
redelivery (acks_late, visibility timeout) and the journal's requeue hand the task out
again: the row lock and ``sent_at`` let exactly one of them send.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection, connections
from django_tenants.utils import tenant_context

from portal.celery import app
from portal.models import OutgoingEmail
from portal.services import email_queue
from portal.tasks import email_resend_pending_task
from tenants.models import Collectivite
from tests.security.servers import PrivateRedis, StubSMTP, connection_target
from tests.security.test_fault_redis import _drop_broker_pools

ROOT = Path(__file__).resolve().parents[2]
RECIPIENT = "sigkill@exemple.test"


def _database_url() -> str:
    """The session's test database as a URL (a socket folder is percent-encoded as host)."""
    from urllib.parse import quote

    target = connection_target(connections["default"].settings_dict)
    password = f":{quote(target['password'])}" if target["password"] else ""
    return (
        f"postgresql://{quote(target['user'])}{password}@{quote(target['host'], safe='')}"
        f":{target['port']}/{target['name']}"
    )


def _worker(redis_url: str, smtp_port: int, log: Path) -> subprocess.Popen:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_"))},
        "DJANGO_SETTINGS_MODULE": "tests.security.worker_settings",
        "DJANGO_ENV": "development",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": redis_url,
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        "EMAIL_USE_TLS": "false",
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "portal",
        "worker",
        "-P",
        "solo",
        "-l",
        "INFO",
        "-Q",
        app.conf.task_default_queue,
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "-n",
        f"kill-{os.getpid()}-{time.monotonic_ns()}@test",
    ]
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT
    )


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def rig(django_db_setup, django_db_blocker, tmp_path):
    redis, smtp = PrivateRedis(), StubSMTP(hold_first=True)
    redis.start()
    saved = {k: app.conf[k] for k in ("broker_url", "task_always_eager", "result_backend")}
    app.conf.update(broker_url=redis.url, task_always_eager=False, result_backend=None)
    _drop_broker_pools()
    workers: list[subprocess.Popen] = []
    with django_db_blocker.unblock():
        try:
            yield redis, smtp, workers, tmp_path / "worker.log"
        finally:
            for worker in workers:
                if worker.poll() is None:
                    worker.terminate()
                    try:
                        worker.wait(timeout=20)
                    except subprocess.TimeoutExpired:
                        worker.kill()
                        worker.wait()
            app.conf.update(saved)
            _drop_broker_pools()
            OutgoingEmail.objects.filter(recipient=RECIPIENT).delete()
            connections.close_all()
            smtp.close()
            redis.close()


def test_a_worker_killed_mid_send_sends_the_email_exactly_once(rig):
    redis, smtp, workers, log = rig
    alpha = Collectivite.objects.get(schema_name="alpha")
    with tenant_context(alpha):
        # Autocommit: the row is committed and the task published at once.
        email = email_queue(to=RECIPIENT, subject="Exactement une fois", body="B", key="sigkill")
    connection.set_schema_to_public()

    workers.append(_worker(redis.url, smtp.port, log))
    assert smtp.data_started.wait(timeout=90), log.read_text()[-3000:]
    os.kill(workers[0].pid, signal.SIGKILL)
    workers[0].wait(timeout=20)
    email.refresh_from_db()
    assert email.sent_at is None and smtp.delivered == []  # killed before the server's 250

    workers.append(_worker(redis.url, smtp.port, log))
    # The journal's requeue hands it out once more, while the broker redelivers the
    # original (visibility timeout): two tasks for one e-mail.
    assert email_resend_pending_task(older_than_seconds=0) == 1
    _wait(lambda: OutgoingEmail.objects.get(pk=email.pk).sent_at is not None, 90, "sending")
    _wait(
        lambda: log.read_text().count("portal.tasks.email_send_task[") >= 4,
        60,
        "the redelivered task to run too",
    )
    assert len(smtp.delivered) == 1
    assert b"Exactement une fois" in smtp.delivered[0]
