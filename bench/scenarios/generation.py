"""G1: `POST /programas/generar/` over every program up to one year ahead, in rows written per
second, beside COPY of the same rows into the same tables.

What is generated: every due date from today to today + 365 days. The plant holds its year
(`bench.dataset.YEAR`) already generated, with its dedup keys; the part of that year still ahead
of today is skipped by the service (that check is part of its work) and the rest is new. The
forecast (`GET /programas/pronostico/`, asked per slice of programs) says which orders are due;
the ceiling writes exactly those rows, and the service must write exactly as many (counted in the
database afterwards, table by table).

The ceiling runs first, in a transaction that is rolled back: the real tables, with every index,
constraint and foreign key check, and the same column defaults (codes, ids of steps and history
lines). Timed up to the rollback (a commit would add one WAL flush). The tables are vacuumed
afterwards (not timed), so that the service writes into tables as clean as the ceiling's.

The command takes longer than COMMAND_TIMEOUT_S: the gateway answers 202 and the time runs until
`GET /comandos/{id}/` tells the outcome (polled every `registry.POLL_S`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from typing import Any

import asyncpg
import orjson

from bench.registry import Goal, Row, Run, WrongAnswer, scenario

AHEAD = timedelta(days=365)
# Programs per forecast request: every page of it computes the slice's whole forecast.
FORECAST_SLICE = 200
# The bench runs the service with PLANT_TZ=UTC and the default GENERATION_START_TIME.
START_HOUR = 8
CREATED = orjson.dumps({"type": "PREVENTIVA", "status": "PENDIENTE"}).decode()

Forecast = list[tuple[int, date, list[int]]]


async def _forecast(run: Run, programs: list[int], until: date) -> Forecast:
    due: Forecast = []
    for i in range(0, len(programs), FORECAST_SLICE):
        ids = ",".join(map(str, programs[i : i + FORECAST_SLICE]))
        items = await run.pages(
            "/mantenimiento/programas/pronostico/", until=until.isoformat(), program_ids=ids
        )
        due += [
            (item["program_id"], date.fromisoformat(item["date"]), item["asset_ids"])
            for item in items
        ]
    return due


class _Rows:
    """The rows a generation of `due` writes, table by table, as COPY records."""

    def __init__(self, due: Forecast, first_id: int, plant: dict[str, Any]) -> None:
        self.due = due
        self.first_id = first_id
        self.plant = plant

    def orders(self) -> Iterator[tuple[Any, ...]]:
        programs, routines, codes = (
            self.plant["programs"],
            self.plant["routines"],
            self.plant["codes"],
        )
        for n, (program, day, assets) in enumerate(self.due):
            routine, technician = programs[program]
            name, minutes = routines[routine]
            title = f"{name} - " + (
                codes[assets[0]] if len(assets) == 1 else f"{len(assets)} equipos"
            )
            start = datetime.combine(day, datetime.min.time(), timezone.utc) + timedelta(
                hours=START_HOUR
            )
            yield (
                self.first_id + n,
                "PREVENTIVA",
                "PENDIENTE",
                title,
                start,
                start + timedelta(minutes=minutes),
                technician,
                routine,
                program,
                day,
            )

    def assets(self) -> Iterator[tuple[Any, ...]]:
        for n, (_, _, assets) in enumerate(self.due):
            yield from ((self.first_id + n, asset) for asset in assets)

    def generations(self) -> Iterator[tuple[Any, ...]]:
        for n, (program, day, assets) in enumerate(self.due):
            yield from ((program, asset, day, self.first_id + n) for asset in assets)

    def steps(self) -> Iterator[tuple[Any, ...]]:
        programs, steps = self.plant["programs"], self.plant["steps"]
        for n, (program, _, _) in enumerate(self.due):
            routine, _ = programs[program]
            yield from ((self.first_id + n, *step) for step in steps.get(routine, ()))

    def history(self) -> Iterator[tuple[Any, ...]]:
        for n in range(len(self.due)):
            yield (self.first_id + n, 1, "creacion", CREATED)


COPIES = (
    (
        "work_orders",
        _Rows.orders,
        (
            "id",
            "type",
            "status",
            "title",
            "scheduled_start",
            "scheduled_end",
            "technician_id",
            "routine_id",
            "program_id",
            "due_date",
        ),
    ),
    ("work_order_assets", _Rows.assets, ("work_order_id", "asset_id")),
    (
        "work_order_steps",
        _Rows.steps,
        ("work_order_id", "position", "description", "kind", "unit", "min_value", "max_value"),
    ),
    ("work_order_events", _Rows.history, ("work_order_id", "user_id", "event", "data")),
    (
        "program_generations",
        _Rows.generations,
        ("program_id", "asset_id", "due_date", "work_order_id"),
    ),
)


async def _plant(connection: asyncpg.Connection) -> dict[str, Any]:
    """What the ceiling's rows copy from: programs, routines, their steps, asset codes."""
    steps: dict[int, list[tuple[Any, ...]]] = {}
    for row in await connection.fetch(
        "SELECT routine_id, position, description, kind, unit, min_value, max_value"
        " FROM routine_steps ORDER BY routine_id, position"
    ):
        steps.setdefault(row[0], []).append(tuple(row[1:]))
    return {
        "programs": {
            row[0]: (row[1], row[2])
            for row in await connection.fetch("SELECT id, routine_id, technician_id FROM programs")
        },
        "routines": {
            row[0]: (row[1], row[2])
            for row in await connection.fetch(
                "SELECT id, name, estimated_duration_min FROM routines"
            )
        },
        "codes": dict(await connection.fetch("SELECT id, code FROM assets")),
        "steps": steps,
    }


async def _ceiling(connection: asyncpg.Connection, rows: _Rows) -> tuple[float, dict[str, int]]:
    """Seconds to COPY every table's rows (rolled back), and the rows per table."""
    counts: dict[str, int] = {}
    # Built before the clock starts: the ceiling times the database's writes, not Python's.
    tables = [(name, list(build(rows)), columns) for name, build, columns in COPIES]
    transaction = connection.transaction()
    await transaction.start()
    try:
        began = time.perf_counter()
        for name, records, columns in tables:
            status = await connection.copy_records_to_table(
                name, records=records, columns=list(columns)
            )
            counts[name] = int(status.split()[-1])
        seconds = time.perf_counter() - began
    finally:
        await transaction.rollback()
    await connection.execute(f"VACUUM {', '.join(name for name, _, _ in COPIES)}")
    return seconds, counts


async def _written(connection: asyncpg.Connection, after: int) -> dict[str, int]:
    """The rows of the orders made after id `after`, per table (the service's writes)."""
    row = await connection.fetchrow(
        "SELECT (SELECT count(*) FROM work_orders WHERE id > $1),"
        " (SELECT count(*) FROM work_order_assets WHERE work_order_id > $1),"
        " (SELECT count(*) FROM work_order_steps WHERE work_order_id > $1),"
        " (SELECT count(*) FROM work_order_events WHERE work_order_id > $1"
        "   AND event = 'creacion'),"
        " (SELECT count(*) FROM program_generations WHERE work_order_id > $1)",
        after,
    )
    return dict(zip((name for name, _, _ in COPIES), row, strict=True))


@scenario("G1", "POST /programas/generar/ one year ahead over every program: rows/s")
async def generate_year(run: Run) -> list[Row]:
    until = datetime.now(timezone.utc).date() + AHEAD
    async with run.database() as connection:
        programs = [row[0] for row in await connection.fetch("SELECT id FROM programs ORDER BY id")]
        due = await _forecast(run, programs, until)
        if not due:
            raise WrongAnswer(f"G1: nothing due up to {until}")
        last_id = await connection.fetchval("SELECT max(id) FROM work_orders")
        rows = _Rows(due, last_id + 1, await _plant(connection))
        ceiling_s, expected = await _ceiling(connection, rows)
        print(f"  ceiling: {sum(expected.values()):,} rows in {ceiling_s:.1f}s", flush=True)
        await run.quiet()
        answer = await run.command(
            "/mantenimiento/programas/generar/", {"until": until.isoformat()}
        )
        if answer.status != 200 or answer.body.get("generated") != len(due):
            raise WrongAnswer(
                f"G1: {answer.status} {str(answer.body)[:300]}, {len(due)} orders forecast"
            )
        written = await _written(connection, last_id)
    if written != expected:
        raise WrongAnswer(f"G1: the service wrote {written}, the forecast's rows are {expected}")
    total = sum(written.values())
    return [
        Row(
            "G1",
            f"{len(due):,} orders, {total:,} rows",
            "rows/s",
            total / answer.seconds,
            total / ceiling_s,
            Goal(">=", 0.33),
            detail={
                "until": until.isoformat(),
                "rows": written,
                "service_s": round(answer.seconds, 2),
                "ceiling_s": round(ceiling_s, 2),
            },
        )
    ]
