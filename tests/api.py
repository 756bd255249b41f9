"""Test helpers: an HTTP client per user, and a small plant built in the test database."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from aiohttp import ClientSession
from argon2 import PasswordHasher
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db.models import (
    Asset,
    AssetCategory,
    Frequency,
    Location,
    MaintenanceType,
    Meter,
    Program,
    Routine,
    RoutineStep,
    User,
    WorkOrder,
    WorkOrderStep,
    category_maintenance_types,
    program_assets,
    work_order_assets,
)

BASE = "/mantenimiento"
PASSWORD = "s3cret-pass"


@dataclass
class Response:
    status: int
    headers: Any
    body: Any


@dataclass
class Api:
    """Calls the gateway as one user; paths are relative to the base path."""

    http: ClientSession
    token: str | None
    user: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> int:
        return int(self.user["id"])

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        data: Any = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        allow_redirects: bool = True,
    ) -> Response:
        all_headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        all_headers.update(headers or {})
        url = path if path.startswith("/") and path.startswith(BASE) else BASE + path
        async with self.http.request(
            method,
            url,
            json=json,
            data=data,
            params=params,
            headers=all_headers,
            allow_redirects=allow_redirects,
        ) as response:
            raw = await response.read()
            is_json = response.content_type == "application/json"
            body = await response.json() if raw and is_json else (raw.decode() or None)
            return Response(response.status, response.headers, body)

    async def get(self, path: str, **params: Any) -> Response:
        return await self.request("GET", path, params=params or None)

    async def post(self, path: str, json: Any = None, **kwargs: Any) -> Response:
        return await self.request("POST", path, json=json, **kwargs)

    async def pages(self, path: str, **params: Any) -> list[Any]:
        """Every item of a paginated list, following its `Link: rel="next"` headers."""
        response = await self.get(path, **params)
        items: list[Any] = []
        while True:
            assert response.status == 200, response.body
            items += response.body
            link = response.headers.get("Link")
            if link is None:
                return items
            response = await self.get(link.removeprefix("<").partition(">")[0])


async def wait_ready(api: Api, expected: int = 200) -> None:
    """Poll `/health/ready/` until it answers `expected` (a starting process may refuse
    connections at first)."""
    for _ in range(150):
        try:
            if (await api.get("/health/ready/")).status == expected:
                return
        except OSError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError(f"/health/ready/ never answered {expected}")


_counter = itertools.count(1)

_BULK_ORDERS = """
    INSERT INTO work_orders (type, status, title, scheduled_start, scheduled_end, technician_id)
    SELECT 'PREVENTIVA', :status, 'Orden ' || n, slot.at, slot.at + interval '90 minutes',
           :technician_id
      FROM generate_series(1, :count) AS n
     CROSS JOIN LATERAL (SELECT CAST(:start AS timestamptz) + n * interval '1 hour' AS at) AS slot
     ORDER BY n
    RETURNING id
"""


@dataclass
class Plant:
    db: AsyncEngine
    http: ClientSession
    api: dict[str, Api]
    locations: dict[str, int]
    assets: list[int]
    category_id: int
    maintenance_type_id: int

    @classmethod
    async def create(cls, db: AsyncEngine, http: ClientSession) -> Plant:
        hashed = PasswordHasher().hash(PASSWORD)
        people = {
            "ADMIN": ("admin", "Ana Admin", "ADMIN"),
            "PLANIFICADOR": ("planner", "Pedro Planificador", "PLANIFICADOR"),
            "TECNICO": ("tech", "Tomás Técnico", "TECNICO"),
            "TECNICO2": ("tech2", "Teresa Técnica", "TECNICO"),
            "SOLICITANTE": ("requester", "Sara Solicitante", "SOLICITANTE"),
        }
        async with db.begin() as conn:
            await conn.execute(
                insert(User),
                [
                    {"username": u, "full_name": n, "role": r, "password_hash": hashed}
                    for u, n, r in people.values()
                ],
            )
            plant_id = await _insert(conn, Location, code="PLT", name="Planta", parent_id=None)
            area_id = await _insert(conn, Location, code="PLT-A", name="Área A", parent_id=plant_id)
            line_id = await _insert(
                conn, Location, code="PLT-A-L1", name="Línea 1", parent_id=area_id
            )
            other_id = await _insert(
                conn, Location, code="PLT-B", name="Área B", parent_id=plant_id
            )
            type_id = await _insert(conn, MaintenanceType, name="Mecánico")
            category_id = await _insert(conn, AssetCategory, name="Bombas")
            await conn.execute(
                insert(category_maintenance_types).values(
                    category_id=category_id, maintenance_type_id=type_id
                )
            )
            assets = [
                await _insert(
                    conn, Asset, code=code, name=name, location_id=loc, category_id=category_id
                )
                for code, name, loc in (
                    ("BOMBA-01", "Bomba centrífuga 01", line_id),
                    ("BOMBA-02", "Bomba centrífuga 02", line_id),
                    ("BOMBA-03", "Bomba de vacío 03", other_id),
                )
            ]
        api = {}
        for key, (username, _, _) in people.items():
            async with http.post(
                f"{BASE}/auth/token/", json={"username": username, "password": PASSWORD}
            ) as response:
                assert response.status == 200, await response.text()
                login = await response.json()
            api[key] = Api(http, login["token"], login["user"])
        return cls(
            db,
            http,
            api,
            {"plant": plant_id, "area": area_id, "line": line_id, "other": other_id},
            assets,
            category_id,
            type_id,
        )

    async def work_order(
        self,
        *,
        status: str = "PENDIENTE",
        type: str = "PREVENTIVA",
        technician_id: int | None = None,
        assets: list[int] | None = None,
        start: datetime | None = None,
        duration: timedelta = timedelta(hours=2),
        title: str | None = None,
        notes: str = "",
        steps: int = 2,
        actual_start: datetime | None = None,
    ) -> int:
        start = start or datetime(2030, 1, 1, 8, tzinfo=timezone.utc) + timedelta(
            hours=next(_counter)
        )
        async with self.db.begin() as conn:
            order_id = await _insert(
                conn,
                WorkOrder,
                type=type,
                status=status,
                title=title or f"Orden {start:%H%M}",
                scheduled_start=start,
                scheduled_end=start + duration,
                notes=notes,
                technician_id=technician_id,
                actual_start=actual_start,
            )
            await conn.execute(
                insert(work_order_assets),
                [{"work_order_id": order_id, "asset_id": a} for a in (assets or self.assets[:1])],
            )
            if steps:
                await conn.execute(
                    insert(WorkOrderStep),
                    [
                        {"work_order_id": order_id, "position": i, "description": f"Paso {i}"}
                        for i in range(1, steps + 1)
                    ],
                )
        return order_id

    async def work_orders(
        self,
        count: int,
        *,
        status: str = "PENDIENTE",
        technician_id: int | None = None,
        start: datetime = datetime(2031, 3, 1, 9, 30, tzinfo=timezone.utc),
    ) -> list[int]:
        """`count` one-asset orders of 90 minutes, one hour apart after `start`, in two
        statements."""
        async with self.db.begin() as conn:
            ids = (
                (
                    await conn.execute(
                        text(_BULK_ORDERS),
                        {
                            "status": status,
                            "start": start,
                            "technician_id": technician_id,
                            "count": count,
                        },
                    )
                )
                .scalars()
                .all()
            )
            await conn.execute(
                text(
                    "INSERT INTO work_order_assets (work_order_id, asset_id)"
                    " SELECT unnest(CAST(:ids AS integer[])), :asset"
                ),
                {"ids": list(ids), "asset": self.assets[0]},
            )
        return sorted(ids)

    async def scalar(self, sql: str, **params: Any) -> Any:
        """Run one statement (committed) and return its first column of the first row."""
        async with self.db.begin() as conn:
            return (await conn.execute(text(sql), params)).scalar()

    async def row(self, sql: str, **params: Any) -> Any:
        """Run one statement (committed) and return its first row (None when there is none)."""
        async with self.db.begin() as conn:
            return (await conn.execute(text(sql), params)).first()

    async def rows(self, sql: str, **params: Any) -> list[Any]:
        """Run one statement (committed) and return its rows."""
        async with self.db.begin() as conn:
            return list(await conn.execute(text(sql), params))

    async def routine(
        self,
        *,
        name: str | None = None,
        estimated_duration_min: int = 30,
        steps: int = 0,
        maintenance_type_id: int | None = None,
    ) -> int:
        """A routine (with a frequency of its own) and `steps` CHECK steps."""
        tag = next(_counter)
        async with self.db.begin() as conn:
            frequency_id = await _insert(
                conn, Frequency, name=f"Cada {tag} días", interval=tag, unit="DIA"
            )
            routine_id = await _insert(
                conn,
                Routine,
                name=name or f"Rutina {tag}",
                maintenance_type_id=maintenance_type_id or self.maintenance_type_id,
                frequency_id=frequency_id,
                estimated_duration_min=estimated_duration_min,
            )
            if steps:
                await conn.execute(
                    insert(RoutineStep),
                    [
                        {"routine_id": routine_id, "position": i, "description": f"Paso {i}"}
                        for i in range(1, steps + 1)
                    ],
                )
        return routine_id

    async def program(
        self, routine_id: int, *, active: bool = True, assets: list[int] | None = None
    ) -> int:
        """A program of `routine_id` (on the routine's frequency) over `assets`."""
        async with self.db.begin() as conn:
            frequency_id = (
                await conn.execute(
                    text("SELECT frequency_id FROM routines WHERE id = :id"), {"id": routine_id}
                )
            ).scalar_one()
            program_id = await _insert(
                conn,
                Program,
                routine_id=routine_id,
                start_date=date(2030, 1, 1),
                frequency_id=frequency_id,
                active=active,
            )
            await conn.execute(
                insert(program_assets),
                [{"program_id": program_id, "asset_id": a} for a in (assets or self.assets[:1])],
            )
        return program_id

    async def asset(self, *, location: str = "line") -> int:
        """A new asset of the plant's category (no meter, no program)."""
        tag = f"{next(_counter)}-{uuid.uuid4().hex[:6]}"
        async with self.db.begin() as conn:
            return await _insert(
                conn,
                Asset,
                code=f"EQ-{tag}",
                name=f"Equipo {tag}",
                location_id=self.locations[location],
                category_id=self.category_id,
            )

    async def meter(
        self,
        *,
        asset_id: int | None = None,
        kind: str = "CONTADOR",
        unit: str = "h",
        alarm_low: float | None = None,
        alarm_high: float | None = None,
        active: bool = True,
    ) -> int:
        """A meter (on a new asset unless `asset_id`), without readings."""
        asset_id = asset_id or await self.asset()
        async with self.db.begin() as conn:
            return await _insert(
                conn,
                Meter,
                code=f"MED-{next(_counter)}-{uuid.uuid4().hex[:6]}",
                name=f"Medidor {unit}",
                asset_id=asset_id,
                unit=unit,
                kind=kind,
                alarm_low=alarm_low,
                alarm_high=alarm_high,
                active=active,
            )


async def _insert(conn: Any, model: Any, **values: Any) -> int:
    return (await conn.execute(insert(model).values(**values).returning(model.id))).scalar_one()
