"""The `mantenimiento` command line: migrate, users, demo data, and the service's processes."""
from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import subprocess
import sys
from collections.abc import Sequence

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


def _demo_data(settings: Settings, args: argparse.Namespace) -> int:
    from shared.demo_loader import load_if_empty

    logins = asyncio.run(load_if_empty(settings, force=args.force))
    if logins is None:
        print("the database already has data; demo data not loaded (use --force to add it)")
        return 0
    print("Demo plant loaded. Logins:")
    for login in logins:
        print(f"  {login.role:<13} {login.username:<14} {login.password}")
    return 0


def _gateway(settings: Settings, _: argparse.Namespace) -> int:
    from aiohttp import web

    from gateway.app import create_app

    web.run_app(
        create_app(settings), host=settings.http_host, port=settings.http_port, print=None
    )
    return 0


def _worker(settings: Settings, args: argparse.Namespace) -> int:
    from workers.main import run_worker

    groups = [group.strip() for group in args.queues.split(",") if group.strip()]
    asyncio.run(run_worker(settings, groups))
    return 0


def _run(settings: Settings, _: argparse.Namespace) -> int:
    """Gateway and workers as child processes; Ctrl-C (or SIGTERM) stops them all."""
    from workers.runner import COMMAND_GROUPS

    children = [
        subprocess.Popen([sys.executable, "-m", "shared.cli", "gateway"]),
        subprocess.Popen(
            [sys.executable, "-m", "shared.cli", "worker", "--queues", ",".join(COMMAND_GROUPS)]
        ),
    ]
    print(f"Serving on http://{settings.http_host}:{settings.http_port}/mantenimiento/ "
          "(Ctrl-C stops)", flush=True)

    def stop(*_: object) -> None:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    try:
        while all(child.poll() is None for child in children):
            try:
                children[0].wait(timeout=0.5)
            except subprocess.TimeoutExpired:
                pass
    except KeyboardInterrupt:
        pass
    stop()
    return max((child.wait() or 0) for child in children)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mantenimiento", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="upgrade the database schema to the latest revision")
    user = sub.add_parser("create-user", help="create a user")
    user.add_argument("--username", required=True)
    user.add_argument("--password", required=True)
    user.add_argument("--role", required=True,
                      choices=["ADMIN", "PLANIFICADOR", "TECNICO", "SOLICITANTE"])
    user.add_argument("--full-name")
    demo = sub.add_parser("demo-data", help="load a demo plant into an empty database")
    demo.add_argument("--force", action="store_true", help="load even if data exists")
    sub.add_parser("gateway", help="serve the HTTP gateway")
    worker = sub.add_parser("worker", help="consume command queues")
    worker.add_argument("--queues", default="ordenes,generacion",
                        help="comma-separated queue groups (ordenes, generacion)")
    sub.add_parser("run", help="gateway and workers as child processes")
    return parser


COMMANDS = {
    "migrate": _migrate,
    "create-user": _create_user,
    "demo-data": _demo_data,
    "gateway": _gateway,
    "worker": _worker,
    "run": _run,
}


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    settings = Settings()
    configure(settings.log_level)
    sys.exit(COMMANDS[args.command](settings, args))


if __name__ == "__main__":
    main()
