"""The maintenance plans of the demo plant: one routine per admitted (category, type), its
steps drawn from the type's pool, and programs putting routines on assets with a technician.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from shared.db.models import Program, Routine, RoutineStep, program_assets
from shared.demo.batch import Row, insert_ids, insert_rows
from shared.demo.catalog import CATEGORIES, FIRST_STEP, LAST_STEP, PROGRAMS, ROTATING, STEPS, TYPES
from shared.enums import StepKind


@dataclass(frozen=True)
class DemoRoutine:
    id: int
    name: str
    prefix: str  # the asset category it is for
    type: str  # its maintenance type, a TYPES key
    frequency: str  # a FREQUENCIES key
    minutes: int
    steps: list[Row]  # routine_steps rows, without routine_id


@dataclass(frozen=True)
class DemoProgram:
    id: int
    routine: DemoRoutine
    assets: list[int]
    start: date
    technician: int
    one_order_per_asset: bool


async def load_routines(
    session: AsyncSession,
    rng: random.Random,
    type_ids: dict[str, int],
    frequency_ids: dict[str, int],
) -> list[DemoRoutine]:
    """The routines and their steps; ids of types by TYPES key, of frequencies by name."""
    # One routine per admitted (category, type): its type is admitted by construction.
    drafts = [
        (
            f"{TYPES[t].routine} de {c.name.lower()}",
            c.prefix,
            t,
            rng.choice(TYPES[t].frequencies),
            rng.choice(TYPES[t].minutes),
        )
        for c in CATEGORIES
        for t in c.types
    ]
    ids = await insert_ids(
        session,
        Routine,
        [
            {
                "name": name,
                "description": f"Rutina de mantenimiento {TYPES[t].name.lower()}.",
                "maintenance_type_id": type_ids[t],
                "frequency_id": frequency_ids[f],
                "estimated_duration_min": m,
            }
            for name, _, t, f, m in drafts
        ],
    )
    steps = [_steps(rng, prefix, t) for _, prefix, t, _, _ in drafts]
    await insert_rows(
        session,
        RoutineStep,
        [{"routine_id": r, **s} for r, ss in zip(ids, steps, strict=True) for s in ss],
    )
    return [
        DemoRoutine(i, name, prefix, t, f, m, ss)
        for i, (name, prefix, t, f, m), ss in zip(ids, drafts, steps, strict=True)
    ]


def _steps(rng: random.Random, prefix: str, type_key: str) -> list[Row]:
    """A few steps of the type's pool, in the pool's order, between lockout and remarks."""
    pool = [
        s
        for s in STEPS[type_key].split(";")  # no bearings on a valve or an exchanger
        if prefix in ROTATING or not ("rodamiento" in s or "acople" in s)
    ]
    picked = sorted(rng.sample(range(len(pool)), rng.randint(2, min(8, len(pool)))))
    specs = [FIRST_STEP, *(pool[i] for i in picked), LAST_STEP]
    return [_step(position, spec) for position, spec in enumerate(specs, 1)]


def _step(position: int, spec: str) -> Row:
    text, *measure = spec[2:].split("|")
    unit, low, high = (measure[0], *map(Decimal, measure[1:])) if measure else (None, None, None)
    kind = {"C": StepKind.CHECK, "M": StepKind.MEDICION, "T": StepKind.TEXTO}[spec[0]]
    return {
        "position": position,
        "description": text,
        "kind": kind.value,
        "unit": unit,
        "min_value": low,
        "max_value": high,
    }


async def load_programs(
    session: AsyncSession,
    rng: random.Random,
    routines: list[DemoRoutine],
    usable: dict[str, list[int]],
    frequency_ids: dict[str, int],
    technicians: list[int],
    today: date,
) -> list[DemoProgram]:
    """PROGRAMS programs on active assets (`usable`, by category prefix) of their routine's
    category, starting around `today`."""
    drafts: list[tuple[DemoRoutine, list[int], date, int, bool]] = []
    # Every routine gets a program; any left over repeat random routines.
    for routine in [*routines, *rng.choices(routines, k=PROGRAMS)][:PROGRAMS]:
        pool = usable[routine.prefix]
        assets = sorted(rng.sample(pool, rng.randint(1, min(5, len(pool)))))
        start, technician = today + timedelta(rng.randint(-40, 7)), rng.choice(technicians)
        drafts.append((routine, assets, start, technician, len(assets) > 1 and rng.random() < 0.35))
    ids = await insert_ids(
        session,
        Program,
        [
            {
                "routine_id": r.id,
                "frequency_id": frequency_ids[r.frequency],
                "start_date": start,
                "technician_id": technician,
                "one_order_per_asset": per_asset,
            }
            for r, _, start, technician, per_asset in drafts
        ],
    )
    programs = [DemoProgram(i, *draft) for i, draft in zip(ids, drafts, strict=True)]
    await insert_rows(
        session,
        program_assets,
        [{"program_id": p.id, "asset_id": a} for p in programs for a in p.assets],
    )
    return programs
