"""Production settings pass Django's deployment checklist."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "k3v$9!vQ2#pL8@zR5^tW1&yU7*iO4(aS6)dF0_gH3+jK9=lZ2-xC8~bN5",
    "DATABASE_URL": "postgres://espace:secret@db.example.invalid:5432/espacefamille",
    "REDIS_URL": "redis://redis.example.invalid:6379/0",
    "ALLOWED_HOSTS": ".espace-famille.fr,espace-famille.fr",
    "PORTAL_DOMAIN": "espace-famille.fr",
    "EMAIL_HOST": "smtp.example.invalid",
}


def _manage(*args: str, **extra_env: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(PRODUCTION_ENV, **extra_env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_has_no_warning_in_production():
    result = _manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = _manage("check", SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY must be set in production" in result.stderr
