"""Broker users for external publishers (SCADA, sensors): they may publish to the inbound
exchanges and do nothing else — no command, no queue, no declaration.

RabbitMQ grants per virtual host three regular expressions over resource names: configure
(declare or delete), write (publish to an exchange) and read (consume from a queue, bind). An
external publisher gets `^$` (nothing) for configure and read, and for write exactly the inbound
exchanges of the namespace. It must publish without declaring (a passive declare is allowed).
The user is made with `rabbitmqctl`, run where it reaches the broker node.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass

from shared.messaging.topology import INBOUND_EXCHANGES, Names

NOTHING = "^$"


@dataclass(frozen=True)
class Permissions:
    configure: str
    write: str
    read: str


def publisher_permissions(namespace: str) -> Permissions:
    names = Names(namespace)
    exchanges = "|".join(re.escape(names(exchange)) for exchange in INBOUND_EXCHANGES)
    return Permissions(configure=NOTHING, write=f"^({exchanges})$", read=NOTHING)


def rabbitmqctl_commands(username: str, vhost: str, namespace: str) -> list[list[str]]:
    """The `rabbitmqctl` calls that make `username` an external publisher (its password is
    given on standard input, never on a command line)."""
    permissions = publisher_permissions(namespace)
    return [
        ["rabbitmqctl", "add_user", username],
        ["rabbitmqctl", "set_user_tags", username],
        [
            "rabbitmqctl",
            "set_permissions",
            "-p",
            vhost,
            username,
            permissions.configure,
            permissions.write,
            permissions.read,
        ],
    ]


def create_publisher(username: str, password: str, vhost: str, namespace: str) -> None:
    """Create (or, when it exists, re-password) `username` as an external publisher."""
    for argv in rabbitmqctl_commands(username, vhost, namespace):
        secret = password if argv[1] == "add_user" else None
        done = _run(argv, secret)
        if done.returncode != 0 and argv[1] == "add_user" and "already exists" in done.stderr:
            done = _run(["rabbitmqctl", "change_password", username], password)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)}: {done.stderr.strip() or done.stdout.strip()}")


def _run(argv: list[str], stdin: str | None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=60)
