"""What the compose and Dockerfile tests share: where the files are, the variables Settings reads,
the Dockerfile's instructions (its final stage, that stage's ENV), and the CLI's verdict on a
command either file runs."""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path
from typing import Any

import pytest

from shared.cli import build_parser
from shared.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"

SETTINGS_FIELDS = {name.upper() for name in Settings.model_fields}


def parse_cli(args: list[str]) -> Any:
    """The CLI parser's verdict on `mantenimiento <args>`; a failure instead of SystemExit."""
    parser = build_parser()
    try:
        parsed = parser.parse_args(args)
    except SystemExit as exc:
        pytest.fail(f"`mantenimiento {shlex.join(args)}` is rejected by the CLI (exit {exc.code})")
    # argparse also takes unambiguous abbreviations (`--queue`); a file should spell options out.
    subparsers = next(
        action for action in parser._actions if isinstance(action, argparse._SubParsersAction)
    )
    spelled = subparsers.choices[parsed.command]._option_string_actions
    for arg in args[1:]:
        option = arg.split("=", 1)[0]
        if option.startswith("-"):
            assert option in spelled, f"`{option}` is not an option of `{parsed.command}`"
    return parsed


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for line in DOCKERFILE.read_text().splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        keyword, _, rest = (pending + stripped).partition(" ")
        instructions.append((keyword.upper(), rest.strip()))
        pending = ""
    assert not pending, "the Dockerfile ends inside a continued line"
    return instructions


def final_stage() -> list[tuple[str, str]]:
    instructions = dockerfile_instructions()
    last_from = max(i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM")
    return instructions[last_from:]


def dockerfile_env(stage: list[tuple[str, str]]) -> dict[str, str]:
    env: dict[str, str] = {}
    for keyword, rest in stage:
        if keyword == "ENV":
            for item in shlex.split(rest):
                name, sep, value = item.partition("=")
                assert sep, f"use ENV NAME=value, not the legacy form: ENV {rest}"
                env[name] = value
    return env
