"""Configuration hygiene (research T19): deploy checks clean with production settings, no missing migrations."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args, env=None):
    # A production-like environment: nothing the test run itself sets (the browser tests allow
    # async-unsafe ORM calls in their process) leaks into the deployment check.
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "GUANXI_", "DATABASE_URL"))}
    return subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], cwd=ROOT, capture_output=True, text=True,
                          env={**base, "DJANGO_SETTINGS_MODULE": "config.settings.base", **(env or {})}, timeout=120)


def test_deploy_check_has_no_warnings_with_production_settings(tmp_path):
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env={
        "GUANXI_HTTPS": "1", "GUANXI_SECRET_KEY": secrets.token_urlsafe(60), "GUANXI_ALLOWED_HOSTS": "crm.example.com",
        "GUANXI_EMAIL_URL": "smtp://mailer:secret@127.0.0.1:2525", "GUANXI_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
    })
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_no_model_change_lacks_a_migration(tmp_path):
    result = _manage("makemigrations", "--check", "--dry-run",
                     env={"GUANXI_VAR_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3"})
    assert result.returncode == 0, result.stdout + result.stderr
