"""A step's result against its kind and limits: which value a kind takes, and when a result
fails the inspection (and so opens a notice)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from shared.enums import StepKind


@dataclass(frozen=True)
class StepSpec:
    """What an order's step expects."""

    kind: StepKind
    min_value: Decimal | None
    max_value: Decimal | None


def value_error(kind: StepKind, value: int | float | str | None) -> str | None:
    """Why `value` does not fit a step of `kind` (None when it fits): a number for MEDICION,
    text for TEXTO, nothing for CHECK."""
    if value is None:
        return None
    if kind == StepKind.MEDICION and isinstance(value, str):
        return "a MEDICION step takes a number"
    if kind == StepKind.TEXTO and not isinstance(value, str):
        return "a TEXTO step takes text"
    if kind == StepKind.CHECK:
        return "a CHECK step takes no value (use ok)"
    return None


def in_range(spec: StepSpec, value: Decimal) -> bool:
    return (spec.min_value is None or value >= spec.min_value) and (
        spec.max_value is None or value <= spec.max_value
    )


def failed(spec: StepSpec, ok: bool | None, value: Decimal | None) -> bool:
    """A CHECK marked not ok, or a MEDICION measured outside `[min_value, max_value]`."""
    if spec.kind == StepKind.CHECK:
        return ok is False
    if spec.kind == StepKind.MEDICION:
        return value is not None and not in_range(spec, value)
    return False
