"""docker-compose.yml read as Compose reads it, for the tests of its services and profiles."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from tests.unit.container_files import ROOT

COMPOSE_FILE = ROOT / "docker-compose.yml"
# Where each server image keeps its data.
DATA_DIRS = {"postgres": "/var/lib/postgresql/data", "rabbitmq": "/var/lib/rabbitmq"}


def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def services() -> dict[str, dict[str, Any]]:
    return compose()["services"]


def worker_service(group: str) -> str:
    return f"worker-{group}"


def app_services() -> dict[str, dict[str, Any]]:
    """The services that run this project's image (built from the Dockerfile)."""
    return {name: spec for name, spec in services().items() if "build" in spec}


def argv(command: str | list[str]) -> list[str]:
    return shlex.split(command) if isinstance(command, str) else [str(part) for part in command]


def environment(spec: dict[str, Any]) -> dict[str, str]:
    env = spec.get("environment") or {}
    if isinstance(env, list):  # the `- NAME=value` form
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(name): "" if value is None else str(value) for name, value in env.items()}


def interpolate(value: str, variables: Mapping[str, str] | None = None) -> str:
    """Compose's `${NAME:-default}` / `${NAME-default}`: NAME's value in `variables` (an
    `--env-file`'s), else the default."""
    known = variables or {}

    def value_of(match: re.Match[str]) -> str:
        return known.get(match[1]) or match[2]

    value = re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*):?-([^}]*)\}", value_of, value)
    assert "$" not in value.replace("$$", ""), f"variable without a default in {value!r}"
    return value.replace("$$", "$")


def env_file(path: Path) -> dict[str, str]:
    """The `NAME=value` lines of a file for `docker compose --env-file`."""
    lines = [line.strip() for line in path.read_text().splitlines()]
    pairs = [line.split("=", 1) for line in lines if line and not line.startswith("#")]
    return {name.strip(): value.strip() for name, value in pairs}


def mounts(spec: dict[str, Any]) -> dict[str, str]:
    """A service's volumes, by the path they are mounted at: the named volume or `./` path."""
    return {volume.split(":")[1]: volume.split(":")[0] for volume in spec.get("volumes", [])}


def depends_on(spec: dict[str, Any]) -> dict[str, str]:
    deps = spec.get("depends_on") or {}
    if isinstance(deps, list):  # short form: no condition, i.e. service_started
        return {name: "service_started" for name in deps}
    return {
        name: (options or {}).get("condition", "service_started") for name, options in deps.items()
    }


def comment_lines(path: Path) -> list[str]:
    return [
        line.lstrip()[1:] for line in path.read_text().splitlines() if line.lstrip().startswith("#")
    ]


def assert_data_in_named_volumes(names: Iterable[str]) -> None:
    """Each server keeps its data in a named volume (other mounts are files of the repository,
    `test_every_bind_mount_is_a_file_of_the_repository`)."""
    named_volumes = (compose().get("volumes") or {}).keys()
    for name in names:
        spec = services()[name]
        data = DATA_DIRS[spec["image"].split(":")[0]]
        assert mounts(spec).get(data) in named_volumes, f"{name} keeps {data} in no named volume"
