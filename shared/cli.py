"""The `mantenimiento` command line: migrate, users, demo data, and the service's processes."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from shared import tracing
from shared.logs import configure
from shared.settings import Settings

log = logging.getLogger("mantenimiento")


def _migrate(settings: Settings, _: argparse.Namespace) -> int:
    from shared.migrate import upgrade

    upgrade(settings.database_url)
    return 0


def _create_user(settings: Settings, args: argparse.Namespace) -> int:
    from shared.users import create_user

    user_id = asyncio.run(
        create_user(settings, args.username, args.password, args.role, args.full_name)
    )
    print(f"user {args.username} created with id {user_id}")
    return 0


def _demo_data(settings: Settings, _: argparse.Namespace) -> int:
    from shared.demo import LOGINS
    from shared.demo_loader import load_if_empty

    if asyncio.run(load_if_empty(settings)) is None:
        print("The database already has data: demo plant not loaded.")
        print("Demo logins, if it was loaded before:")
    else:
        print("Demo plant loaded. Logins:")
    for login in LOGINS:
        print(f"  {login.role:<13} {login.username:<14} {login.password}")
    return 0


def _import(settings: Settings, args: argparse.Namespace) -> int:
    from shared.asset_import import ImportRefused, import_assets

    try:
        result = asyncio.run(import_assets(settings, args.file))
    except OSError as exc:
        print(f"{args.file}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    except ImportRefused as refused:
        for error in refused.errors:
            print(f"{args.file}: {error}", file=sys.stderr)
        print(f"{args.file}: nothing imported ({len(refused.errors)} errors)", file=sys.stderr)
        return 1
    print(
        f"Assets imported: {result.created} created, {result.updated} updated,"
        f" {result.unchanged} unchanged."
    )
    return 0


def _broker_user(settings: Settings, args: argparse.Namespace) -> int:
    import getpass
    import shlex
    from urllib.parse import unquote, urlsplit

    from shared.broker_users import create_publisher, rabbitmqctl_commands

    # The virtual host of AMQP_URL: its path without the leading slash ("/" when empty).
    vhost = args.vhost or unquote(urlsplit(settings.amqp_url).path[1:]) or "/"
    if args.print:
        for argv in rabbitmqctl_commands(args.username, vhost, settings.amqp_namespace):
            print(shlex.join(argv) + ("   # type the password" if argv[1] == "add_user" else ""))
        return 0
    password = args.password or getpass.getpass(f"password for broker user {args.username}: ")
    try:
        create_publisher(args.username, password, vhost, settings.amqp_namespace)
    except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
        print(f"broker-user: {exc}", file=sys.stderr)
        return 1
    print(f"broker user {args.username} may publish to the inbound exchanges of {vhost}, only")
    return 0


def _gateway(settings: Settings, _: argparse.Namespace) -> int:
    from aiohttp import web

    from gateway.app import create_app

    with tracing.configured(settings, "mantenimiento-gateway"):
        # The access log is the gateway's own (gateway/middlewares.py), one line per request.
        web.run_app(
            create_app(settings),
            host=settings.http_host,
            port=settings.http_port,
            print=None,
            access_log=None,
        )
    return 0


def _worker(settings: Settings, args: argparse.Namespace) -> int:
    from workers.main import run_worker

    groups = [group.strip() for group in args.queues.split(",") if group.strip()]
    with tracing.configured(settings, "mantenimiento-worker"):
        asyncio.run(run_worker(settings, groups, scheduler=args.scheduler))
    return 0


def _run(settings: Settings, _: argparse.Namespace) -> int:
    """Gateway and workers (with the scheduler) as child processes; Ctrl-C (or SIGTERM) stops
    them all."""
    from workers.runner import WORKER_GROUPS

    children: list[subprocess.Popen[bytes]] = []
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)

    # Set explicitly: a shell starting us in the background would have SIGINT ignored.
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    children.append(subprocess.Popen([sys.executable, "-m", "shared.cli", "gateway"]))
    children.append(
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "shared.cli",
                "worker",
                "--queues",
                ",".join(WORKER_GROUPS),
                "--scheduler",
            ]
        )
    )
    print(
        f"Serving on http://{settings.http_host}:{settings.http_port}/mantenimiento/ "
        "(Ctrl-C stops)",
        flush=True,
    )
    while all(child.poll() is None for child in children):
        time.sleep(0.5)
    stop()  # one child ended: stop the others too
    # A child that our SIGTERM ended before it could catch it (still starting) stopped as
    # asked; any other end but 0 is the exit status (a signal as the shell spells it, 128 + n).
    failures = [
        128 - code if code < 0 else code
        for code in (child.wait() for child in children)
        if code != 0 and not (stopping and code == -signal.SIGTERM)
    ]
    return failures[0] if failures else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mantenimiento", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="upgrade the database schema to the latest revision")
    user = sub.add_parser("create-user", help="create a user")
    user.add_argument("--username", required=True)
    user.add_argument("--password", required=True)
    user.add_argument(
        "--role", required=True, choices=["ADMIN", "PLANIFICADOR", "TECNICO", "SOLICITANTE"]
    )
    user.add_argument("--full-name")
    sub.add_parser("demo-data", help="load a demo plant into an empty database")
    importing = sub.add_parser("import", help="import plant data from a file")
    what = importing.add_subparsers(dest="what", required=True)
    assets = what.add_parser(
        "assets", help="create or update assets from a CSV file (code,name,location_code,category)"
    )
    assets.add_argument("file", type=Path, metavar="FILE.csv")
    broker_user = sub.add_parser(
        "broker-user",
        help="create a RabbitMQ user for an external system: it may publish notices, nothing else",
    )
    broker_user.add_argument("--username", required=True)
    broker_user.add_argument("--password", help="default: asked for")
    broker_user.add_argument("--vhost", help="default: the virtual host of AMQP_URL")
    broker_user.add_argument(
        "--print",
        action="store_true",
        help="print the rabbitmqctl commands instead of running them",
    )
    sub.add_parser("gateway", help="serve the HTTP gateway")
    worker = sub.add_parser("worker", help="consume command and event queues")
    worker.add_argument(
        "--queues",
        default="ordenes,generacion,notificaciones,avisos,lecturas",
        help="comma-separated queue groups (ordenes, generacion, notificaciones, avisos, lecturas)",
    )
    worker.add_argument(
        "--scheduler",
        action="store_true",
        help="also publish the daily order generation (safe to run in several workers)",
    )
    sub.add_parser("run", help="gateway, workers and scheduler as child processes")
    return parser


COMMANDS = {
    "migrate": _migrate,
    "create-user": _create_user,
    "demo-data": _demo_data,
    "import": _import,
    "broker-user": _broker_user,
    "gateway": _gateway,
    "worker": _worker,
    "run": _run,
}


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    settings = Settings()
    configure(settings.log_level, settings.log_format)
    sys.exit(COMMANDS[args.command](settings, args))


if __name__ == "__main__":
    main()
