"""The `guanxi` command: one entry point for people and scripts (see DESIGN.md)."""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _django():
    for p in (str(ROOT / "src"), str(ROOT)):
        if p not in sys.path:
            sys.path.insert(0, p)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django

    django.setup()


def _fail(message: str, code: int = 2):
    print(f"guanxi: {message}", file=sys.stderr)
    raise SystemExit(code)


def _org(slug: str | None):
    from guanxi.core.models import Organization

    orgs = Organization.objects.order_by("pk")
    if slug:
        org = orgs.filter(slug=slug).first()
        if org is None:
            _fail(f"no organisation with slug {slug!r}")
        return org
    if orgs.count() != 1:
        _fail("several organisations exist: name one with --org SLUG")
    return orgs.first()


def _user(username: str):
    from guanxi.core.models import User

    user = User.objects.filter(username=username).select_related("organization", "store").first()
    if user is None:
        _fail(f"no user {username!r}")
    return user


def _read_password(args) -> str | None:
    if getattr(args, "password_stdin", False):
        return sys.stdin.readline().rstrip("\n")
    return None


def cmd_init(args):
    from django.core.management import call_command

    from guanxi.core import services
    from guanxi.core.models import Organization
    from guanxi.core.roles import Role
    from guanxi.core.tenancy import unscoped

    call_command("migrate", interactive=False, verbosity=0)
    print("database migrated")
    with unscoped():
        if Organization.objects.exists():
            return
        if args.demo:
            from guanxi import demo

            demo.load()
            print("demo loaded")
            return
        org = services.organization_create(name=args.org_name, slug=args.org_slug, language=args.language)
        store = services.store_create(organization=org, code="HQ", name=args.hq_name, is_headquarters=True)
        password = _read_password(args) or secrets.token_urlsafe(12)
        services.user_create(actor=None, organization=org, username=args.admin, role=Role.OWNER, password=password,
                             store=store)
    print(f"created organisation {org.slug} and owner {args.admin!r} with password: {password}")


def cmd_demo(args):
    from guanxi import demo

    created = demo.load(customers=args.customers)
    print(demo.logins_text() if created or args.show else "demo already loaded (guanxi demo --show lists the logins)")


def cmd_createuser(args):
    from django.core.exceptions import ValidationError

    from guanxi.core import services
    from guanxi.core.models import Store, Team
    from guanxi.core.roles import Role
    from guanxi.core.tenancy import tenant_scope

    if args.role not in Role.values:
        _fail(f"unknown role {args.role!r}; choose one of: {', '.join(Role.values)}")
    org = _org(args.org)
    with tenant_scope(org):
        store = team = None
        if args.store:
            store = Store.objects.filter(code=args.store).first() or _fail(f"no store with code {args.store!r}")
        if args.team:
            team = Team.objects.filter(name=args.team).first() or _fail(f"no team named {args.team!r}")
        password = _read_password(args)
        generated = password is None
        password = password or secrets.token_urlsafe(12)
        try:
            user = services.user_create(actor=None, organization=org, username=args.name, role=args.role,
                                        password=password, store=store, team=team, email=args.email or "")
        except ValidationError as exc:
            _fail("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items()) if hasattr(exc, "message_dict")
                  else " ".join(exc.messages))
    print(f"created {user.username} ({user.role}) in {org.slug}" + (f" with password: {password}" if generated else ""))


def cmd_token(args):
    from guanxi.core import services

    user = _user(args.name)
    _token, secret = services.token_create(actor=None, user=user, name=args.label)
    print(secret)


def _scoped_actor(username: str | None):
    from guanxi.core.models import User
    from guanxi.core.roles import Role

    if username:
        return _user(username)
    user = User.objects.filter(role=Role.OWNER, is_active=True).order_by("pk").first()
    return user or _fail("no owner account: pass --as USERNAME")


def cmd_import(args):
    from guanxi.core.tenancy import tenant_scope

    try:
        from guanxi.imports.services import import_file_sync
    except ImportError:
        _fail("the import engine is not installed in this build", 1)
    actor = _scoped_actor(args.as_user)
    with tenant_scope(actor.organization_id):
        job = import_file_sync(actor=actor, kind=args.kind, path=args.file, key=args.key, dry_run=args.dry_run)
    print(f"import {job.status}: {job.summary()}" if hasattr(job, "summary") else f"import {job.status}")
    for error in (getattr(job, "errors", None) or [])[:200]:
        print(f"  row {error.get('row')}: {error.get('field', '')} {error.get('message', '')}")
    raise SystemExit(0 if job.status in ("done", "validated", "checked") else 1)


def cmd_export(args):
    from guanxi.core.tenancy import tenant_scope
    from guanxi.customers.exports import export_customers

    actor = _scoped_actor(args.as_user)
    fmt = args.format or (Path(args.file).suffix.lstrip(".") or "csv")
    with tenant_scope(actor.organization_id):
        content, _ctype, _name = export_customers(actor=actor, fmt=fmt)
    Path(args.file).write_bytes(content)
    print(f"wrote {args.file} ({len(content)} bytes)")


def cmd_backup(args):
    from guanxi.core.backup import BackupError, backup

    try:
        result = backup(args.path)
    except BackupError as exc:
        _fail(str(exc), 1)
    print(f"backup of the {result['engine']} database written to {result['path']} "
          f"({result['bytes']:,} bytes, {result['seconds']:.1f} s)")


def cmd_restore(args):
    from guanxi.core.backup import BackupError, restore

    try:
        result = restore(args.path, force=args.force)
    except BackupError as exc:
        _fail(str(exc), 1)
    print(f"restored {result['path']} into the {result['engine']} database ({result['seconds']:.1f} s); "
          "run `guanxi init` if this version has newer migrations")


def cmd_bench(args):
    """The bench/ workloads (import, search, list API, peer, sales), each against its yardstick in the same run."""
    raise SystemExit(subprocess.call([sys.executable, "-m", "bench", args.name, "--rows", str(args.rows), "--db", args.db], cwd=ROOT))


def cmd_worker(args):
    from django.core.management import call_command

    call_command("run_huey")


def cmd_serve(args):
    """gunicorn (gthread) for the pages and API, plus one job worker; both end together."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT), os.environ.get("PYTHONPATH", "")]))
    gunicorn = [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--chdir", str(ROOT),
                "--bind", f"{args.host}:{args.port}", "--workers", str(args.workers), "--worker-class", "gthread",
                "--threads", "4", "--access-logfile", "-"]
    worker = [sys.executable, "-m", "guanxi.cli", "worker"]
    procs = [subprocess.Popen(worker, env=env), subprocess.Popen(gunicorn, env=env)]
    print(f"Guanxi is serving on http://{args.host}:{args.port}/ (Ctrl-C stops it)", flush=True)

    def stop(*_):
        for p in procs:
            if p.poll() is None:
                p.terminate()

    signal.signal(signal.SIGTERM, stop)
    try:
        while all(p.poll() is None for p in procs):
            try:
                procs[1].wait(timeout=1)
            except subprocess.TimeoutExpired:
                pass
    except KeyboardInterrupt:
        pass
    finally:
        stop()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="guanxi", description="Guanxi CRM")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("init", help="migrate; create the first organisation and its owner if none exists")
    p.add_argument("--org-name", default="我的公司")
    p.add_argument("--org-slug", default="main")
    p.add_argument("--hq-name", default="总部")
    p.add_argument("--language", default="zh-hans", choices=["zh-hans", "en"])
    p.add_argument("--admin", default="admin")
    p.add_argument("--password-stdin", action="store_true")
    p.add_argument("--demo", action="store_true", help="on an empty database, load the demo instead")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("demo", help="load the demo chain (once)")
    p.add_argument("--customers", type=int, default=2000)
    p.add_argument("--show", action="store_true", help="print the demo logins")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("serve", help="serve pages and API with gunicorn, plus a job worker")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=2)
    p.set_defaults(func=cmd_serve, django=False)

    p = sub.add_parser("bench", help="run the benchmarks (ours vs. the raw engine)")
    p.add_argument("name", nargs="?", default="all", help="all, or workloads separated by commas: import, search, "
                   "list_api, peer, sales")
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--db", default="both", choices=["sqlite", "pg", "both"])
    p.set_defaults(func=cmd_bench, django=False)

    p = sub.add_parser("backup", help="write a consistent backup of the database to a new file (online)")
    p.add_argument("path")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("restore", help="load a backup into the configured database (empty, or --force)")
    p.add_argument("path")
    p.add_argument("--force", action="store_true", help="replace a database that is not empty (stop the server first)")
    p.set_defaults(func=cmd_restore)

    p = sub.add_parser("worker", help="run the background job consumer")
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("createuser", help="create a member of staff")
    p.add_argument("name")
    p.add_argument("--role", required=True)
    p.add_argument("--store")
    p.add_argument("--team")
    p.add_argument("--org")
    p.add_argument("--email")
    p.add_argument("--password-stdin", action="store_true")
    p.set_defaults(func=cmd_createuser)

    p = sub.add_parser("token", help="print a new API token for a user")
    p.add_argument("name")
    p.add_argument("--label", default="cli")
    p.set_defaults(func=cmd_token)

    p = sub.add_parser("import", help="import customers or contacts from CSV/XLSX")
    p.add_argument("kind", choices=["customers", "contacts"])
    p.add_argument("file")
    p.add_argument("--key", default="phone", choices=["phone", "email", "external_id"])
    p.add_argument("--as", dest="as_user")
    p.add_argument("--dry-run", action="store_true")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("export", help="export customers to CSV/XLSX")
    p.add_argument("kind", choices=["customers"])
    p.add_argument("file")
    p.add_argument("--format", choices=["csv", "xlsx"])
    p.add_argument("--as", dest="as_user")
    p.set_defaults(func=cmd_export)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not getattr(args, "django", True):  # serve only starts processes
        args.func(args)
        return 0
    _django()
    from guanxi.core.tenancy import unscoped
    from django.core.exceptions import PermissionDenied, ValidationError

    with unscoped():  # the command line acts as the operator of the machine; commands narrow the scope
        try:
            args.func(args)
        except PermissionDenied:
            _fail("permission denied for this user", 3)
        except ValidationError as exc:
            _fail(" ".join(exc.messages))
    return 0


if __name__ == "__main__":
    sys.exit(main())
