"""`make run`: database, migrations, demo data, then the web server and (with Redis) a worker.

Ctrl-C stops everything this started, the embedded PostgreSQL included when this run started
it. Run with ``python -m portal.devserver``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from portal import embedded_db

PYTHON = sys.executable


def _manage(*args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], check=True)


def _spawn(args: list[str]) -> subprocess.Popen:
    # A session of its own, so that Ctrl-C reaches us first and we stop each group in turn.
    return subprocess.Popen(args, start_new_session=True)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(process.pid, signal.SIGKILL)


# Every login the README's demo table promises, printed once the demo is loaded (seed_demo
# prints its own part; this list is the launcher's, so nothing is left out).
DEMO_PASSWORD = "Demo-Espace-2026"
DEMO_LOGINS = [
    (
        "admin@espace-famille.demo",
        "superutilisateur de la plateforme (http://localhost:{port}/admin/)",
    ),
    ("agent@valdurenque.demo", "agent de Valdurenque"),
    ("regisseur@valdurenque.demo", "régisseur de Valdurenque"),
    ("comptable@valdurenque.demo", "comptable de Valdurenque"),
    ("administrateur@valdurenque.demo", "administrateur de Valdurenque"),
    ("agent@malemort.demo", "agent de Malemort"),
    ("regisseur@malemort.demo", "régisseur de Malemort"),
    ("comptable@malemort.demo", "comptable de Malemort"),
    ("administrateur@malemort.demo", "administrateur de Malemort"),
    ("famille.testmp@valdurenque.demo", "famille TESTMP à Valdurenque"),
    ("famille.durand@valdurenque.demo", "famille DURAND à Valdurenque"),
    ("famille.x@malemort.demo", "FAMILLE X à Malemort"),
    ("famille.martin@espace-famille.demo", "famille MARTIN, dans les deux collectivités"),
]


def demo_logins_text(port: str) -> str:
    """Return the demo accounts as printed by `make run`."""
    width = max(len(email) for email, _ in DEMO_LOGINS)
    lines = [f"Comptes de démonstration (mot de passe {DEMO_PASSWORD}) :"]
    lines += [f"  {email:<{width}}  {role.format(port=port)}" for email, role in DEMO_LOGINS]
    return "\n".join(lines)


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main() -> int:
    # Explicit handlers: a launcher started in the background inherits an ignored SIGINT, and
    # SIGTERM (a supervisor, `kill`) must stop the children too.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    started_db = False
    if not os.environ.get("DATABASE_URL"):
        url, started_db = embedded_db.start()
        print(f"PostgreSQL embarqué : {url}")
    processes: list[subprocess.Popen] = []
    try:
        _manage("migrate_schemas", "--executor=standard", "-v", "0")
        _manage("seed_demo")
        from portal.settings import REDIS_URL, redis_reachable

        port = os.environ.get("PORT", "8000")
        processes.append(_spawn([PYTHON, "manage.py", "runserver", f"127.0.0.1:{port}"]))
        if REDIS_URL and redis_reachable(REDIS_URL):
            worker = [PYTHON, "-m", "celery", "-A", "portal", "worker", "-l", "INFO", "-c", "2"]
            beat = ["-B", "-s", str(embedded_db.DATA_DIR / "celerybeat-schedule")]
            processes.append(_spawn(worker + beat))
            print(f"Worker Celery démarré (broker {REDIS_URL}).")
        else:
            print("Pas de Redis joignable (REDIS_URL) : tâches exécutées dans le serveur web.")
        print("\n" + demo_logins_text(port))
        print(
            f"\nPortail : http://localhost:{port}/  ·  "
            f"Valdurenque : http://valdurenque.localhost:{port}/  ·  "
            f"Malemort : http://malemort.localhost:{port}/\n"
            "E-mails envoyés : .data/outbox/  ·  Ctrl-C pour tout arrêter.\n"
        )
        while all(p.poll() is None for p in processes):
            time.sleep(0.5)
        return max((p.returncode or 0) for p in processes)
    except KeyboardInterrupt:
        return 0
    finally:
        for process in processes:
            _stop(process)
        if started_db:
            embedded_db.stop()
            print("PostgreSQL embarqué arrêté.")


if __name__ == "__main__":
    sys.exit(main())
