"""`/medidores/`: meters on assets (read by readers, saved by planners) and their readings
(recorded by readers, one per request; machines send theirs over AMQP)."""

from __future__ import annotations

from datetime import datetime, timedelta

from aiohttp import web
from pydantic import model_validator

from gateway import commands, schemas
from gateway.http import cached_json, parse_query, path_id
from gateway.keys import ENGINE, LIST_READS, SETTINGS
from gateway.openapi import operation
from gateway.pagination import CommaList, PageQuery, decode_cursor, page_response
from gateway.queries import meters as queries
from gateway.windows import MAX_DAYS
from shared.enums import READERS, MeterKind
from shared.errors import NotFound
from shared.messages.base import PlantDateTime
from shared.messages.fields import Id
from shared.messages.meters import FUTURE_TOLERANCE, RecordReading, SaveMeter

routes = web.RouteTableDef()
SPAN = timedelta(days=MAX_DAYS)


class MeterQuery(PageQuery):
    asset_id: Id | None = None
    kind: CommaList[MeterKind] = ()


class ReadingQuery(PageQuery):
    """Readings taken from `start` to `end` (both included; at most 366 days apart). Without
    them: the 366 days up to now; with only one, the 366 days from or up to it."""

    start: PlantDateTime | None = None
    end: PlantDateTime | None = None

    @model_validator(mode="after")
    def _bounded(self) -> ReadingQuery:
        if self.start is not None and self.end is not None:
            if self.end < self.start:
                raise ValueError("end is before start")
            if self.end - self.start > SPAN:
                raise ValueError(f"the window may span at most {MAX_DAYS} days")
        return self

    def window(self, now: datetime) -> tuple[datetime, datetime]:
        if self.start is not None:
            return self.start, self.end or self.start + SPAN
        end = self.end or now + FUTURE_TOLERANCE
        return end - SPAN, end


@routes.get("/mantenimiento/medidores/")
@operation(
    "Meters, by code (filters: asset_id, kind), each with its last reading",
    roles=READERS,
    query=MeterQuery,
    paginated=True,
    response=[schemas.Meter],
)
async def meters(request: web.Request) -> web.Response:
    query = parse_query(request, MeterQuery)
    filters = queries.Filters(query.asset_id, tuple(kind.value for kind in query.kind))
    async with request.app[LIST_READS].connect() as conn:
        rows, total = await queries.page(
            conn,
            filters,
            after=decode_cursor(query.cursor, tuple[str, int]),
            limit=query.limit + 1,
            tz=request.app[SETTINGS].tz,
        )
    return page_response(
        request, rows, limit=query.limit, total=total, key=lambda r: (r["code"], r["id"])
    )


@routes.get(r"/mantenimiento/medidores/{id:\d+}/")
@operation(
    "One meter with its last reading (ETag, If-None-Match)", roles=READERS, response=schemas.Meter
)
async def meter(request: web.Request) -> web.Response:
    meter_id = path_id(request)
    async with request.app[ENGINE].connect() as conn:
        found = await queries.detail(conn, meter_id, request.app[SETTINGS].tz)
    if found is None:
        raise NotFound(f"meter {meter_id} not found")
    return cached_json(request, found)


@routes.post("/mantenimiento/medidores/guardar/")
@operation(
    "Create (no id) or update (id) a meter; If-Match or version guards against lost updates",
    body=SaveMeter,
)
async def save(request: web.Request) -> web.Response:
    return await commands.send(request, await commands.parse(request, SaveMeter))


@routes.post(r"/mantenimiento/medidores/{id:\d+}/lecturas/")
@operation(
    "Record a reading (taken now unless `taken_at`); answers its usage, the orders it made due"
    " and the alarm notice it opened. The same (meter, taken_at) again is answered as the first",
    body=RecordReading,
    path_fields=("meter_id",),
)
async def record(request: web.Request) -> web.Response:
    command = await commands.parse(request, RecordReading, meter_id=path_id(request))
    return await commands.send(request, command)


@routes.get(r"/mantenimiento/medidores/{id:\d+}/lecturas/")
@operation(
    "A meter's readings taken from `start` to `end`, newest first",
    roles=READERS,
    query=ReadingQuery,
    paginated=True,
    response=[schemas.Reading],
)
async def readings(request: web.Request) -> web.Response:
    meter_id = path_id(request)
    query = parse_query(request, ReadingQuery)
    tz = request.app[SETTINGS].tz
    after = decode_cursor(query.cursor, tuple[int, datetime])
    async with request.app[LIST_READS].connect() as conn:
        if not await queries.exists(conn, meter_id):
            raise NotFound(f"meter {meter_id} not found")
        rows, total = await queries.readings(
            conn,
            meter_id,
            query.window(datetime.now(tz)),
            after=after,
            limit=query.limit + 1,
            tz=tz,
        )
    return page_response(
        request, rows, limit=query.limit, total=total, key=lambda r: (meter_id, r["taken_at"])
    )
