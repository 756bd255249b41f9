"""The shapes of the gateway's answers, for the OpenAPI document.

Reads are built by SQL, not by these models; the tests validate real answers against them
(`extra="forbid"`), so the document cannot drift from what is served.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict

from shared.enums import (
    AvisoPriority,
    AvisoStatus,
    FrequencyUnit,
    MeterKind,
    NotificationKind,
    OrderTrigger,
    ProgramBasis,
    Role,
    StepKind,
    WorkOrderStatus,
    WorkOrderType,
)


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LocationRef(Answer):
    id: int
    code: str
    name: str


class CategoryRef(Answer):
    id: int
    name: str


class Location(LocationRef):
    parent_id: int | None


class Category(CategoryRef):
    maintenance_type_ids: list[int]


class MaintenanceType(CategoryRef):
    pass


class Frequency(Answer):
    id: int
    name: str
    interval: int
    unit: FrequencyUnit


class Asset(Answer):
    id: int
    code: str
    name: str
    location: LocationRef
    category: CategoryRef
    active: bool


class Technician(Answer):
    id: int
    username: str
    full_name: str


class User(Technician):
    role: Role


class Login(Answer):
    token: str
    expires_at: datetime
    user: User


class OrderAsset(Answer):
    id: int
    code: str
    name: str
    location: LocationRef


class Step(Answer):
    id: int
    order: int
    description: str
    kind: StepKind
    unit: str | None
    min_value: Decimal | None
    max_value: Decimal | None
    done: bool
    ok: bool | None
    value: Decimal | str | None
    comment: str | None


class WorkOrderSummary(Answer):
    """A search result: the work order without its steps."""

    id: int
    code: str
    type: WorkOrderType
    status: WorkOrderStatus
    title: str
    assets: list[OrderAsset]
    scheduled_start: datetime
    scheduled_end: datetime
    actual_start: datetime | None
    actual_end: datetime | None
    technician: str | None
    technician_id: int | None
    notes: str
    routine_id: int | None
    program_id: int | None
    aviso_id: int | None
    # A program's order: due by its date or its meter's usage (null on other orders), and the
    # usage its cycle is due at (programs by use).
    trigger: OrderTrigger | None
    due_usage: Decimal | None
    allowed_transitions: list[WorkOrderStatus]
    version: int
    created_at: datetime
    updated_at: datetime


class WorkOrder(WorkOrderSummary):
    steps: list[Step]


class HistoryUser(Answer):
    id: int
    username: str
    full_name: str


class HistoryEntry(Answer):
    """One line of an order's history; `user` is null for what the system did on its own."""

    at: datetime
    user: HistoryUser | None
    event: str
    data: dict[str, object]


class RoutineStep(Answer):
    id: int
    order: int
    description: str
    kind: StepKind
    unit: str | None
    min_value: Decimal | None
    max_value: Decimal | None


class RoutineSummary(Answer):
    """A search result: the routine without its steps."""

    id: int
    name: str
    description: str
    maintenance_type: MaintenanceType
    frequency: Frequency
    estimated_duration_min: int
    version: int


class Routine(RoutineSummary):
    steps: list[RoutineStep]


class Workload(Answer):
    technician_id: int
    date: date
    orders: int
    estimated_min: int


class Notification(Answer):
    """Also the frame the WebSocket pushes, one per notification."""

    id: int
    kind: NotificationKind
    title: str
    message: str
    work_order_id: int | None
    aviso_id: int | None
    read: bool
    created_at: datetime


class FeedEvent(Answer):
    """A domain event of the feed; `type` is its routing key on `mantenimiento.eventos`."""

    id: int
    at: datetime
    type: str
    data: dict[str, object]


class AssetRef(Answer):
    id: int
    code: str
    name: str


class ScheduledOrder(Answer):
    """An order in the app's schedule (compact)."""

    id: int
    code: str
    type: WorkOrderType
    status: WorkOrderStatus
    title: str
    scheduled_start: datetime
    scheduled_end: datetime
    assets: list[AssetRef]


class ScheduleDay(Answer):
    date: date
    work_orders: list[ScheduledOrder]


class Aviso(Answer):
    """A notice. `source` is APP, INSPECCION or the external system's name."""

    id: int
    code: str
    asset: AssetRef
    title: str
    description: str
    priority: AvisoPriority
    status: AvisoStatus
    source: str
    external_id: str | None
    work_order_id: int | None
    origin_work_order_id: int | None
    # The meter whose alarm opened it (source MEDIDOR).
    meter_id: int | None
    author_id: int | None
    reported_at: datetime | None
    created_at: datetime


class Program(Answer):
    id: int
    routine_id: int
    asset_ids: list[int]
    start_date: date
    # Null only on a program by use alone.
    frequency_id: int | None
    technician_id: int | None
    one_order_per_asset: bool
    basis: ProgramBasis
    # Programs by use (basis MEDIDOR): every `meter_interval` of `meter_unit`, `meter_lead`
    # early; null on the others.
    meter_interval: Decimal | None
    meter_unit: str | None
    meter_lead: Decimal | None
    active: bool
    # The first due date on or after today without an order (None: inactive, or every asset
    # waits for its open order to be completed on the last-execution basis).
    next_due: date | None
    version: int


class ForecastOrder(Answer):
    """An order a generation would create; for a program by use, also the next order of each
    asset, on the day its meter's use is predicted to make it due."""

    program_id: int
    date: date
    asset_ids: list[int]
    trigger: OrderTrigger
    due_usage: Decimal | None


class LastReading(Answer):
    value: Decimal
    taken_at: datetime
    usage: Decimal | None


class Meter(Answer):
    """A counter (usage: its lifetime use) or an indicator (alarm limits) on an asset."""

    id: int
    code: str
    name: str
    asset: AssetRef
    unit: str
    kind: MeterKind
    alarm_low: Decimal | None
    alarm_high: Decimal | None
    alarm_priority: AvisoPriority
    active: bool
    version: int
    last_reading: LastReading | None


class Reading(Answer):
    """`source`: APP (over HTTP or at an order's completion) or the machine's name."""

    id: int
    value: Decimal
    taken_at: datetime
    usage: Decimal | None
    reset: bool
    source: str


class AppWorkOrder(WorkOrder):
    """An order in the app: with the active meters of its assets, for the technician to read."""

    meters: list[Meter]


class Success(Answer):
    """A command's answer; commands add their own fields (ids, counts, the new version)."""

    model_config = ConfigDict(extra="allow")

    status: Literal["success"]
    message: str


class Accepted(Answer):
    status: Literal["accepted"]
    command_id: str


class CommandOutcome(Answer):
    status: Literal["pending", "success", "error"]
    http_status: int
    result: dict[str, object] | None


class Health(Answer):
    status: Literal["ok", "unavailable"]
    checks: dict[str, bool] | None = None
