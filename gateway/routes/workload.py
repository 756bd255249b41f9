"""`/tecnicos/carga/`: open orders and estimated minutes per technician and day."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from aiohttp import web
from pydantic import BaseModel, ConfigDict, model_validator

from gateway import schemas
from gateway.auth import current_user
from gateway.http import json_response, parse_query
from gateway.keys import ENGINE, SETTINGS
from gateway.openapi import operation
from gateway.queries import workload as queries
from shared.enums import READERS, Role
from shared.messages.fields import Day

routes = web.RouteTableDef()

DEFAULT_DAYS = 7
MAX_DAYS = 366


class WorkloadQuery(BaseModel):
    """Plant days, both included. Without dates: today … today + 7; with only one of them, the
    other is 7 days away from it."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    start_date: Day | None = None
    end_date: Day | None = None

    @model_validator(mode="after")
    def _window(self) -> WorkloadQuery:
        if self.start_date is None or self.end_date is None:
            return self
        if self.end_date < self.start_date:
            raise ValueError("end_date is before start_date")
        if (self.end_date - self.start_date).days >= MAX_DAYS:
            raise ValueError(f"the window may span at most {MAX_DAYS} days")
        return self

    def window(self, today: date) -> tuple[date, date]:
        week = timedelta(days=DEFAULT_DAYS)
        if self.start_date is not None and self.end_date is not None:
            return self.start_date, self.end_date
        if self.end_date is not None:
            return self.end_date - week, self.end_date
        start = self.start_date or today
        return start, start + week


@routes.get("/mantenimiento/tecnicos/carga/")
@operation(
    "Workload: per technician and plant day with open orders (PENDIENTE, EN_PROGRESO) by"
    " scheduled start, the orders and their routines' estimated minutes; a technician sees"
    " only their own rows. Default window: today … +7 days",
    roles=READERS,
    query=WorkloadQuery,
    response=[schemas.Workload],
)
async def workload(request: web.Request) -> web.Response:
    user = current_user(request)
    query = parse_query(request, WorkloadQuery)
    tz = request.app[SETTINGS].tz
    start, end = query.window(datetime.now(tz).date())
    own = user.id if user.role == Role.TECNICO else None
    async with request.app[ENGINE].connect() as conn:
        rows = await queries.workload(conn, start, end, tz, own)
    return json_response(rows)
