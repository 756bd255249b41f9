"""The bench plant: generated from a seed, sized by `scale`, loaded with COPY.

At scale 1: 60 locations, 40 categories, 8 maintenance types, 10,000 assets, 500 routines of
5–15 steps, 5,000 programs over 1–5 assets (weekly to yearly, a third with one order per asset),
100 technicians, and one year (2026) of generated orders with their assets and step copies
(about 100,000 orders, a million steps).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

import asyncpg

from shared.passwords import HASHER

YEAR = 2026
# Orders due before this day are mostly done; later ones mostly pending. Fixed, not "today",
# so that a seed always gives the same data.
AS_OF = date(YEAR, 7, 1)
SEED = 20260101
BENCH_USERNAME = "bench_planner"
BENCH_TOKEN = "bench-token-not-a-secret"
BENCH_PASSWORD = "bench-password"

# (name, interval, unit, days between orders, weight among programs)
FREQUENCIES = (
    ("Semanal", 1, "SEMANA", 7, 10),
    ("Quincenal", 2, "SEMANA", 14, 15),
    ("Mensual", 1, "MES", 30, 20),
    ("Trimestral", 3, "MES", 91, 25),
    ("Semestral", 6, "MES", 182, 15),
    ("Anual", 1, "ANIO", 365, 15),
)
STEP_KINDS = ("CHECK", "CHECK", "MEDICION", "TEXTO")


@dataclass(frozen=True)
class Sizes:
    locations: int
    categories: int
    maintenance_types: int
    assets: int
    routines: int
    programs: int
    technicians: int

    @classmethod
    def at(cls, scale: float) -> Sizes:
        def n(base: int, least: int) -> int:
            return max(least, round(base * scale))

        # The catalogs are the plant's shape: they grow with the scale, but never below a
        # useful minimum, so that a tiny scale still exercises every join.
        return cls(
            locations=n(60, 6),
            categories=n(40, 4),
            maintenance_types=8,
            assets=n(10_000, 50),
            routines=n(500, 10),
            programs=n(5_000, 40),
            technicians=n(100, 5),
        )


@dataclass(frozen=True)
class Loaded:
    """What the scenarios need to know about the loaded data."""

    scale: float
    orders: int
    steps: int
    first_order_id: int
    last_order_id: int
    token: str


def _utc(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), timezone.utc)


class _Plant:
    """Rows of every table, generated in dependency order from one random stream."""

    def __init__(self, scale: float, seed: int) -> None:
        self.rng = random.Random(seed)
        self.sizes = Sizes.at(scale)
        self.tables: dict[str, tuple[Sequence[str], list[tuple[Any, ...]]]] = {}

    def add(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        self.tables[table] = (columns, rows)

    def build(self) -> _Plant:
        s, rng = self.sizes, self.rng
        # Location tree: one plant, a few areas under it, lines under the areas.
        areas = max(2, s.locations // 12)
        locations: list[tuple[Any, ...]] = [(1, "PL", "Planta", None)]
        locations += [(i, f"AR{i:02d}", f"Área {i}", 1) for i in range(2, areas + 2)]
        locations += [
            (i, f"LN{i:03d}", f"Línea {i}", rng.randint(2, areas + 1))
            for i in range(areas + 2, s.locations + 1)
        ]
        self.add("locations", ("id", "code", "name", "parent_id"), locations)
        self.add(
            "maintenance_types",
            ("id", "name"),
            [(i, f"Tipo {i}") for i in range(1, s.maintenance_types + 1)],
        )
        self.add(
            "asset_categories",
            ("id", "name"),
            [(i, f"Categoría {i}") for i in range(1, s.categories + 1)],
        )
        self.add(
            "category_maintenance_types",
            ("category_id", "maintenance_type_id"),
            [
                (c, t)
                for c in range(1, s.categories + 1)
                for t in rng.sample(range(1, s.maintenance_types + 1), 3)
            ],
        )
        self.add(
            "assets",
            ("id", "code", "name", "location_id", "category_id", "active"),
            [
                (
                    i,
                    f"ACT-{i:06d}",
                    f"{rng.choice(('Bomba', 'Motor', 'Compresor', 'Válvula', 'Cinta'))} {i}",
                    rng.randint(1, s.locations),
                    rng.randint(1, s.categories),
                    True,
                )
                for i in range(1, s.assets + 1)
            ],
        )
        self.add(
            "frequencies",
            ("id", "name", "interval", "unit"),
            [(i, f[0], f[1], f[2]) for i, f in enumerate(FREQUENCIES, 1)],
        )
        password_hash = HASHER.hash(BENCH_PASSWORD)
        users: list[tuple[Any, ...]] = [
            (1, BENCH_USERNAME, "Planificador de prueba", "PLANIFICADOR", password_hash, True)
        ]
        users += [
            (i, f"tecnico{i:04d}", f"Técnico {i}", "TECNICO", None, True)
            for i in range(2, s.technicians + 2)
        ]
        self.add("users", ("id", "username", "full_name", "role", "password_hash", "active"), users)
        self.add(
            "api_tokens",
            ("id", "token_hash", "user_id", "expires_at"),
            [(1, hashlib.sha256(BENCH_TOKEN.encode()).hexdigest(), 1, _utc(date(2100, 1, 1), 0))],
        )
        self._routines()
        self._programs_and_orders()
        return self

    def _routines(self) -> None:
        s, rng = self.sizes, self.rng
        routines: list[tuple[Any, ...]] = []
        steps: list[tuple[Any, ...]] = []
        self.routine_steps: dict[int, list[tuple[Any, ...]]] = {}
        self.routine_minutes: dict[int, int] = {}
        for r in range(1, s.routines + 1):
            minutes = rng.choice((30, 60, 90, 120, 240))
            self.routine_minutes[r] = minutes
            routines.append(
                (
                    r,
                    f"Rutina {r}",
                    "",
                    rng.randint(1, s.maintenance_types),
                    rng.randint(1, 6),
                    minutes,
                )
            )
            own = []
            for position in range(1, rng.randint(5, 15) + 1):
                kind = rng.choice(STEP_KINDS)
                measured = kind == "MEDICION"
                own.append(
                    (
                        position,
                        f"Paso {position} de la rutina {r}",
                        kind,
                        "bar" if measured else None,
                        Decimal(1) if measured else None,
                        Decimal(9) if measured else None,
                    )
                )
            self.routine_steps[r] = own
            steps += [(len(steps) + i + 1, r, *step) for i, step in enumerate(own)]
        self.add(
            "routines",
            (
                "id",
                "name",
                "description",
                "maintenance_type_id",
                "frequency_id",
                "estimated_duration_min",
            ),
            routines,
        )
        self.add(
            "routine_steps",
            (
                "id",
                "routine_id",
                "position",
                "description",
                "kind",
                "unit",
                "min_value",
                "max_value",
            ),
            steps,
        )

    def _programs_and_orders(self) -> None:
        s, rng = self.sizes, self.rng
        weights = [f[4] for f in FREQUENCIES]
        programs: list[tuple[Any, ...]] = []
        program_assets: list[tuple[Any, ...]] = []
        generations: list[tuple[Any, ...]] = []
        orders: list[tuple[Any, ...]] = []
        order_assets: list[tuple[Any, ...]] = []
        order_steps: list[tuple[Any, ...]] = []
        for p in range(1, s.programs + 1):
            routine = rng.randint(1, s.routines)
            frequency = rng.choices(range(len(FREQUENCIES)), weights)[0]
            every = FREQUENCIES[frequency][3]
            start = date(YEAR, 1, 1) + timedelta(days=rng.randrange(min(every, 60)))
            technician = rng.randint(2, s.technicians + 1)
            per_asset = p % 3 == 0
            assets = rng.sample(range(1, s.assets + 1), rng.randint(1, 5))
            programs.append((p, routine, start, frequency + 1, technician, per_asset, "FIJA", True))
            program_assets += [(p, a) for a in assets]
            due = start
            while due.year == YEAR:
                for group in [[a] for a in assets] if per_asset else [assets]:
                    order_id = len(orders) + 1
                    orders.append(self._order(order_id, p, routine, technician, due))
                    order_assets += [(order_id, a) for a in group]
                    generations += [(p, a, due, order_id) for a in group]
                    done = orders[-1][3] == "COMPLETADA"
                    order_steps += [
                        (len(order_steps) + i + 1, order_id, *step, done, True if done else None)
                        for i, step in enumerate(self.routine_steps[routine])
                    ]
                due += timedelta(days=every)
        self.add(
            "programs",
            (
                "id",
                "routine_id",
                "start_date",
                "frequency_id",
                "technician_id",
                "one_order_per_asset",
                "basis",
                "active",
            ),
            programs,
        )
        self.add("program_assets", ("program_id", "asset_id"), program_assets)
        self.add(
            "work_orders",
            (
                "id",
                "code",
                "type",
                "status",
                "title",
                "scheduled_start",
                "scheduled_end",
                "actual_start",
                "actual_end",
                "technician_id",
                "notes",
                "routine_id",
                "program_id",
                "due_date",
            ),
            orders,
        )
        self.add("work_order_assets", ("work_order_id", "asset_id"), order_assets)
        self.add(
            "work_order_steps",
            (
                "id",
                "work_order_id",
                "position",
                "description",
                "kind",
                "unit",
                "min_value",
                "max_value",
                "done",
                "ok",
            ),
            order_steps,
        )
        self.add(
            "program_generations",
            ("program_id", "asset_id", "due_date", "work_order_id"),
            generations,
        )

    def _order(
        self, order_id: int, program: int, routine: int, technician: int, due: date
    ) -> tuple[Any, ...]:
        roll = self.rng.random()
        start = _utc(due, 8)
        end = start + timedelta(minutes=self.routine_minutes[routine])
        if due < AS_OF:
            status = "COMPLETADA" if roll < 0.85 else "CANCELADA" if roll < 0.9 else "PENDIENTE"
        else:
            status = "EN_PROGRESO" if roll < 0.05 else "PENDIENTE"
        actual_start = start if status in ("COMPLETADA", "EN_PROGRESO") else None
        actual_end = end if status == "COMPLETADA" else None
        return (
            order_id,
            f"OT-{YEAR}-{order_id:07d}",
            "PREVENTIVA",
            status,
            f"Rutina {routine} (programa {program})",
            start,
            end,
            actual_start,
            actual_end,
            technician,
            "",
            routine,
            program,
            due,
        )


def _chunks(rows: list[tuple[Any, ...]], size: int = 200_000) -> Iterator[list[tuple[Any, ...]]]:
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


async def load(dsn: str, scale: float, seed: int = SEED) -> Loaded:
    """Generate the plant for `scale` and COPY it into the (migrated, empty) database at `dsn`."""
    plant = _Plant(scale, seed).build()
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            for table, (columns, rows) in plant.tables.items():
                for chunk in _chunks(rows):
                    await conn.copy_records_to_table(table, records=chunk, columns=list(columns))
                if "id" in columns:
                    await conn.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
            await conn.execute(
                "SELECT setval('work_order_code_seq', (SELECT count(*) FROM work_orders))"
            )
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()
    orders = plant.tables["work_orders"][1]
    return Loaded(
        scale=scale,
        orders=len(orders),
        steps=len(plant.tables["work_order_steps"][1]),
        first_order_id=1,
        last_order_id=len(orders),
        token=BENCH_TOKEN,
    )
