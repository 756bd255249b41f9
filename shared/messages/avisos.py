"""Notices (avisos): filed in the app, turned into corrective orders, or received from external
systems over AMQP. The app's form and the external message share their descriptive fields."""

from __future__ import annotations

from pydantic import Field

from shared.enums import EVERYONE, PLANNERS, AvisoPriority
from shared.messages.base import Command, Message, PlantDateTime
from shared.messages.fields import Day, Id

# Text limits of a notice, whoever files it.
TITLE_MAX = 200
DESCRIPTION_MAX = 5_000


class AvisoFields(Message):
    """What a notice says, whoever reports it."""

    title: str = Field(min_length=1, max_length=TITLE_MAX)
    description: str = Field("", max_length=DESCRIPTION_MAX)
    priority: AvisoPriority = AvisoPriority.MEDIA


class CreateAviso(AvisoFields, Command):
    """A person files a notice on an asset (`POST /app/aviso/crear/`); any role may."""

    routing_key = "aviso.crear"
    roles = EVERYONE

    asset_id: Id


class GenerateOrderFromAviso(Command):
    """A planner turns a notice into a corrective order (`POST /avisos/{id}/generar-ot/`)."""

    routing_key = "aviso.generar_ot"
    roles = PLANNERS
    queue = "generacion"

    aviso_id: Id
    date: Day
    technician_id: Id | None = None


class ExternalAviso(AvisoFields):
    """A notice published by an external system to `<ns>.avisos` with key `aviso.externo`."""

    source: str = Field(min_length=1, max_length=100)
    external_id: str = Field(min_length=1, max_length=200)
    asset_code: str = Field(min_length=1, max_length=100)
    reported_at: PlantDateTime
