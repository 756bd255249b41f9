"""The Dockerfile, checked without a Docker engine: the image runs the gateway through the CLI as
a non-root user on every interface, installs the project without test extras, and copies every
package and nothing .dockerignore leaves out."""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
import tomllib

from tests.unit.container_files import (
    ROOT,
    SETTINGS_FIELDS,
    dockerfile_env,
    dockerfile_instructions,
    final_stage,
    parse_cli,
)

DOCKERIGNORE = ROOT / ".dockerignore"


# --- reading the files ---------------------------------------------------------------------------


def exec_form(keyword: str, stage: list[tuple[str, str]]) -> list[str] | None:
    found = [rest for kw, rest in stage if kw == keyword]
    if not found:
        return None
    value = json.loads(found[-1])  # the exec (JSON) form: signals reach the process itself
    assert isinstance(value, list) and all(isinstance(part, str) for part in value)
    return value


def image_argv(stage: list[tuple[str, str]]) -> list[str]:
    return (exec_form("ENTRYPOINT", stage) or []) + (exec_form("CMD", stage) or [])


def project_packages() -> set[str]:
    """Top-level packages that pyproject's package discovery includes."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    include = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    return {
        path.name
        for path in ROOT.iterdir()
        if path.is_dir()
        and (path / "__init__.py").exists()
        and any(fnmatch.fnmatch(path.name, pattern) for pattern in include)
    }


# --- Dockerfile ----------------------------------------------------------------------------------


def test_the_image_runs_the_gateway_as_a_non_root_user_on_every_interface() -> None:
    instructions = dockerfile_instructions()
    for keyword, rest in instructions:
        if keyword == "FROM":
            assert rest.split()[0] == "python:3.11-slim", rest
    stage = final_stage()
    args = image_argv(stage)
    assert args[0] == "mantenimiento", f"the image runs {args}"
    assert parse_cli(args[1:]).command == "gateway"
    users = [rest for keyword, rest in stage if keyword == "USER"]
    assert users and users[-1].split(":")[0] not in {"root", "0"}, "the image runs as root"
    env = dockerfile_env(stage)
    assert env.get("HTTP_HOST") == "0.0.0.0", "inside a container, listen on every interface"
    app_env = {name for name in env if name != "PATH" and not name.startswith(("PYTHON", "PIP_"))}
    assert app_env <= SETTINGS_FIELDS, f"{sorted(app_env - SETTINGS_FIELDS)} are not settings"


def test_the_image_installs_the_project_without_test_extras() -> None:
    runs = " ".join(rest for keyword, rest in dockerfile_instructions() if keyword == "RUN")
    assert re.search(r"pip install (--\S+ )*\.(\s|$)", runs), "the project is not pip-installed"
    assert "[test]" not in runs


def test_the_image_copies_every_package_and_nothing_ignored() -> None:
    ignored = [
        line.strip().rstrip("/")
        for line in DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert {".venv", ".git"} <= set(ignored)
    copied: set[str] = set()
    for keyword, rest in dockerfile_instructions():
        if keyword != "COPY" or "--from=" in rest:
            continue
        *sources, _destination = shlex.split(rest)
        for source in sources:
            name = source.rstrip("/")
            if not any(char in name for char in "*?["):  # a wildcard may match nothing
                assert (ROOT / name).exists(), f"the Dockerfile copies {source}, which is absent"
            assert not any(fnmatch.fnmatch(name, pattern) for pattern in ignored), (
                f"the Dockerfile copies {source}, which .dockerignore leaves out"
            )
            copied.add(name)
    missing = project_packages() - copied
    assert not missing, f"pyproject installs {sorted(missing)}, which the image does not copy"
    assert "pyproject.toml" in copied
