"""Which value a step kind takes, and when a step's result fails the inspection."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shared.domain.inspection import StepSpec, failed, value_error
from shared.enums import StepKind

CHECK = StepSpec(StepKind.CHECK, None, None)
TEXT = StepSpec(StepKind.TEXTO, None, None)
MEASURE = StepSpec(StepKind.MEDICION, Decimal("2"), Decimal("4.5"))
AT_MOST = StepSpec(StepKind.MEDICION, None, Decimal("80"))


@pytest.mark.parametrize(
    ("kind", "value", "fits"),
    [
        (StepKind.MEDICION, 3, True),
        (StepKind.MEDICION, 3.5, True),
        (StepKind.MEDICION, "3.5", False),
        (StepKind.TEXTO, "holgura", True),
        (StepKind.TEXTO, 3, False),
        (StepKind.CHECK, 1, False),
        (StepKind.CHECK, "ok", False),
        (StepKind.CHECK, None, True),
        (StepKind.MEDICION, None, True),
        (StepKind.TEXTO, None, True),
    ],
)
def test_value_fits_the_kind(kind: StepKind, value: int | float | str | None, fits: bool) -> None:
    assert (value_error(kind, value) is None) is fits


@pytest.mark.parametrize(
    ("spec", "ok", "value", "fails"),
    [
        (CHECK, False, None, True),
        (CHECK, True, None, False),
        (CHECK, None, None, False),
        (MEASURE, None, Decimal("2"), False),
        (MEASURE, None, Decimal("4.5"), False),
        (MEASURE, None, Decimal("4.51"), True),
        (MEASURE, None, Decimal("1.99"), True),
        (MEASURE, True, Decimal("9"), True),  # the measurement decides, not `ok`
        (MEASURE, False, None, False),  # nothing measured
        (AT_MOST, None, Decimal("-100"), False),
        (AT_MOST, None, Decimal("81"), True),
        (TEXT, False, None, False),
    ],
)
def test_failed(spec: StepSpec, ok: bool | None, value: Decimal | None, fails: bool) -> None:
    assert failed(spec, ok, value) is fails
