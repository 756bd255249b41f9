"""Every table of the data model; importing this package registers them all on `Base.metadata`."""

from shared.db.base import Base
from shared.db.models.avisos import Aviso
from shared.db.models.catalog import (
    Asset,
    AssetCategory,
    Frequency,
    Location,
    MaintenanceType,
    category_maintenance_types,
)
from shared.db.models.infra import CommandLog, OutboxEvent, OutboxHorizon
from shared.db.models.meters import Meter, MeterReading
from shared.db.models.people import ApiToken, LoginFailure, Notification, User
from shared.db.models.planning import (
    Program,
    ProgramGeneration,
    Routine,
    RoutineStep,
    program_assets,
)
from shared.db.models.work_orders import (
    WorkOrder,
    WorkOrderEvent,
    WorkOrderStep,
    work_order_assets,
)

__all__ = [
    "ApiToken",
    "Asset",
    "AssetCategory",
    "Aviso",
    "Base",
    "CommandLog",
    "Frequency",
    "Location",
    "LoginFailure",
    "MaintenanceType",
    "Meter",
    "MeterReading",
    "Notification",
    "OutboxEvent",
    "OutboxHorizon",
    "Program",
    "ProgramGeneration",
    "Routine",
    "RoutineStep",
    "User",
    "WorkOrder",
    "WorkOrderEvent",
    "WorkOrderStep",
    "category_maintenance_types",
    "program_assets",
    "work_order_assets",
]
