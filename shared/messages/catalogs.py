"""ADMIN commands that create (no `id`) or update (`id`) one catalog object or user."""

from __future__ import annotations

from pydantic import Field

from shared.enums import ADMINS, FrequencyUnit, Role
from shared.messages.base import Command
from shared.messages.fields import Id

Name = Field(min_length=1, max_length=200)
Code = Field(min_length=1, max_length=64, pattern=r"^\S+$")


class SaveLocation(Command):
    routing_key = "catalogo.ubicacion.guardar"
    roles = ADMINS

    id: Id | None = None
    code: str = Code
    name: str = Name
    parent_id: Id | None = None


class SaveCategory(Command):
    routing_key = "catalogo.categoria.guardar"
    roles = ADMINS

    id: Id | None = None
    name: str = Name
    maintenance_type_ids: list[Id] = Field(default_factory=list, max_length=100)


class SaveMaintenanceType(Command):
    routing_key = "catalogo.tipo.guardar"
    roles = ADMINS

    id: Id | None = None
    name: str = Name


class SaveFrequency(Command):
    routing_key = "catalogo.frecuencia.guardar"
    roles = ADMINS

    id: Id | None = None
    name: str = Name
    interval: int = Field(ge=1, le=1000)
    unit: FrequencyUnit


class SaveAsset(Command):
    routing_key = "catalogo.activo.guardar"
    roles = ADMINS

    id: Id | None = None
    code: str = Code
    name: str = Name
    location_id: Id
    category_id: Id
    active: bool = True


class SaveUser(Command):
    routing_key = "usuario.guardar"
    roles = ADMINS

    id: Id | None = None
    username: str = Field(min_length=1, max_length=150, pattern=r"^[\w.@+-]+$")
    full_name: str = Name
    role: Role
    password: str | None = Field(None, min_length=8, max_length=200)
    active: bool = True
