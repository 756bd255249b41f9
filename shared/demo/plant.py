"""The equipment side of the demo: locations, maintenance catalogs, users and assets, drawn from
the catalog with the seeded rng and written table by table, then the plans on top of them.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from shared.db.models import (
    Asset,
    AssetCategory,
    Frequency,
    Location,
    MaintenanceType,
    User,
    category_maintenance_types,
)
from shared.demo.batch import Row, insert_ids, insert_rows
from shared.demo.catalog import AREAS, CATEGORIES, FREQUENCIES, LOGINS, ROTATING, TYPES
from shared.demo.plans import DemoProgram, DemoRoutine, load_programs, load_routines
from shared.enums import Role
from shared.passwords import HASHER


@dataclass(frozen=True)
class Plant:
    """What the work side needs to know about the plant."""

    programs: list[DemoProgram]
    routines: list[DemoRoutine]
    asset_codes: dict[int, str]
    usable: dict[str, list[int]]  # active assets by category prefix
    rotating: list[int]  # active assets with bearings and couplings, which notices are about
    technicians: list[int]
    reporters: list[int]  # who raises notices in the app
    planner: int


async def load_plant(session: AsyncSession, rng: random.Random, today: date) -> Plant:
    """Write the plant and its maintenance plans; `today` anchors the programs' start dates."""
    lines = await _locations(session, rng)
    type_ids, category_ids, frequency_ids = await _catalogs(session)
    users = await _users(session)
    technicians = [users[u.username] for u in LOGINS if u.role == Role.TECNICO]
    asset_codes, usable = await _assets(session, rng, lines, category_ids)
    routines = await load_routines(session, rng, type_ids, frequency_ids)
    programs = await load_programs(
        session, rng, routines, usable, frequency_ids, technicians, today
    )
    return Plant(
        programs=programs,
        routines=routines,
        asset_codes=asset_codes,
        usable=usable,
        rotating=[a for prefix in ROTATING for a in usable[prefix]],
        technicians=technicians,
        reporters=[users["solicitante"], *technicians],
        planner=users["planificador"],
    )


async def _locations(session: AsyncSession, rng: random.Random) -> list[int]:
    """A plant -> areas -> lines tree; returns the lines' ids, where assets hang."""
    plant = await insert_ids(
        session, Location, [{"code": "PLT-01", "name": "Planta Querétaro", "parent_id": None}]
    )
    chosen = rng.sample(AREAS, rng.randint(4, 6))
    areas = [a for a in AREAS if a in chosen]  # in the plant's own order
    area_ids = await insert_ids(
        session,
        Location,
        [{"code": f"PLT-01-{c}", "name": n, "parent_id": plant[0]} for c, n in areas],
    )
    return await insert_ids(
        session,
        Location,
        [
            {"code": f"PLT-01-{c}-L{i}", "name": f"{n} - Línea {i}", "parent_id": area}
            for (c, n), area in zip(areas, area_ids, strict=True)
            for i in range(1, rng.randint(2, 4) + 1)
        ],
    )


async def _catalogs(
    session: AsyncSession,
) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    """Maintenance types, asset categories (with the types they admit) and frequencies; ids by
    TYPES key, category prefix and frequency name."""
    types = await insert_ids(session, MaintenanceType, [{"name": t.name} for t in TYPES.values()])
    type_ids = dict(zip(TYPES, types, strict=True))
    categories = await insert_ids(session, AssetCategory, [{"name": c.name} for c in CATEGORIES])
    category_ids = dict(zip((c.prefix for c in CATEGORIES), categories, strict=True))
    await insert_rows(
        session,
        category_maintenance_types,
        [
            {"category_id": category_ids[c.prefix], "maintenance_type_id": type_ids[t]}
            for c in CATEGORIES
            for t in c.types
        ],
    )
    frequencies = await insert_ids(
        session,
        Frequency,
        [{"name": n, "interval": i, "unit": u} for n, (i, u) in FREQUENCIES.items()],
    )
    return type_ids, category_ids, dict(zip(FREQUENCIES, frequencies, strict=True))


async def _users(session: AsyncSession) -> dict[str, int]:
    """The demo logins; ids by username."""
    # argon2 is slow on purpose; keep it off the event loop.
    hashes = await asyncio.to_thread(lambda: [HASHER.hash(u.password) for u in LOGINS])
    ids = await insert_ids(
        session,
        User,
        [
            {"username": u.username, "full_name": u.full_name, "role": u.role, "password_hash": h}
            for u, h in zip(LOGINS, hashes, strict=True)
        ],
    )
    return dict(zip((u.username for u in LOGINS), ids, strict=True))


async def _assets(
    session: AsyncSession, rng: random.Random, lines: list[int], category_ids: dict[str, int]
) -> tuple[dict[int, str], dict[str, list[int]]]:
    """Codes by asset id, and the active assets' ids by category prefix."""
    assets: list[Row] = []
    for category in CATEGORIES:
        number, n = 0, category.approx_count
        for _ in range(n + rng.randint(-n // 5, n // 5)):
            number += rng.choice((1, 1, 1, 2, 3))  # real numbering has gaps (scrapped units)
            assets.append(
                {
                    "code": f"{category.prefix}-{number:02d}",
                    "location_id": rng.choice(lines),
                    "name": f"{rng.choice(category.templates)} {number:02d}",
                    "category_id": category_ids[category.prefix],
                    "active": rng.random() > 0.02,
                }
            )
    ids = await insert_ids(session, Asset, assets)
    usable: dict[str, list[int]] = {}
    for i, a in zip(ids, assets, strict=True):
        if a["active"]:
            usable.setdefault(a["code"].split("-")[0], []).append(i)
    return {i: a["code"] for i, a in zip(ids, assets, strict=True)}, usable
