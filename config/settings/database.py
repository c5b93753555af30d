"""Database connection settings for SQLite (embedded default) and PostgreSQL."""

import environ

SQLITE_OPTIONS = {
    # Writers queue on the lock instead of failing with "database is locked" (research/reliability.md §4.1).
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": (
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=20000; "
        "PRAGMA secure_delete=ON; PRAGMA foreign_keys=ON;"
    ),
}


def database_settings(url: str) -> dict:
    config = environ.Env.db_url_config(url)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["OPTIONS"] = {**SQLITE_OPTIONS, **config.get("OPTIONS", {})}
    # WSGI workers keep their connection: reopening it per request halved list throughput.
    config["CONN_MAX_AGE"] = 600
    config["CONN_HEALTH_CHECKS"] = True
    return {"default": config}
