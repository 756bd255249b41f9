"""ADMIN handlers that create (no `id`) or update (`id`) one catalog object or user.

Order of refusals: role (403), unknown `id` (404), body references to missing rows (422), then
the write, whose own result tells a duplicate apart (409): `ON CONFLICT DO NOTHING` on create,
a `NOT EXISTS` guard on update. No IntegrityError is caught.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, delete, func, select, text, update

from shared.db.base import table
from shared.db.models import (
    ApiToken,
    Asset,
    AssetCategory,
    Frequency,
    Location,
    MaintenanceType,
    User,
    category_maintenance_types,
)
from shared.enums import Role
from shared.errors import Conflict, Invalid, NotFound, field_error
from shared.messages import Command, success
from shared.messages.catalogs import (
    SaveAsset,
    SaveCategory,
    SaveFrequency,
    SaveLocation,
    SaveMaintenanceType,
    SaveUser,
)
from shared.passwords import password_pool
from workers.dispatcher import Handler
from workers.references import References, missing_ids, require_existing
from workers.unique_rows import write_unique
from workers.uow import UnitOfWork

locations = table(Location)
categories = table(AssetCategory)
maintenance_types = table(MaintenanceType)
frequencies = table(Frequency)
assets = table(Asset)
users = table(User)
tokens = table(ApiToken)
links = category_maintenance_types

# Is :location_id the new parent itself or one of its ancestors? (UNION stops on any loop.)
_IS_ANCESTOR = text(
    "WITH RECURSIVE ancestors(id, parent_id) AS ("
    " SELECT id, parent_id FROM locations WHERE id = :parent_id"
    " UNION SELECT l.id, l.parent_id FROM locations l JOIN ancestors a ON l.id = a.parent_id)"
    " SELECT EXISTS (SELECT 1 FROM ancestors WHERE id = :location_id)"
)
_TREE_LOCK = text("SELECT pg_advisory_xact_lock(hashtext('locations.tree'))")
_LINK_TYPES = text(
    "INSERT INTO category_maintenance_types (category_id, maintenance_type_id)"
    " SELECT DISTINCT CAST(:category_id AS integer), t.id"
    " FROM unnest(CAST(:ids AS integer[])) AS t(id)"
)


async def _begin(
    uow: UnitOfWork,
    table: Table,
    object_id: int | None,
    what: str,
    references: References | None = None,
) -> None:
    """The refusals every save shares; an updated row stays locked until the commit."""
    if object_id is not None:
        found = await uow.session.execute(
            select(table.c.id).where(table.c.id == object_id).with_for_update()
        )
        if found.scalar_one_or_none() is None:
            raise NotFound(f"{what} {object_id} not found")
    await require_existing(uow, references or {})


def _fields(cmd: Command) -> dict[str, Any]:
    return cmd.model_dump(mode="json", exclude={"id"})


async def save_location(cmd: SaveLocation, uow: UnitOfWork) -> dict[str, Any]:
    await _begin(uow, locations, cmd.id, "location", {"parent_id": (locations, cmd.parent_id)})
    if cmd.id is not None and cmd.parent_id is not None:
        # Moves are serialised: two concurrent moves could each pass the check and close a loop.
        await uow.session.execute(_TREE_LOCK)
        params = {"parent_id": cmd.parent_id, "location_id": cmd.id}
        if (await uow.session.execute(_IS_ANCESTOR, params)).scalar_one():
            raise Invalid(
                "a location cannot be its own ancestor",
                [field_error(["body", "parent_id"], "is this location or one below it")],
            )
    location_id = await write_unique(uow, locations, _fields(cmd), cmd.id, "code", "location")
    return success("Ubicación guardada", id=location_id)


async def save_category(cmd: SaveCategory, uow: UnitOfWork) -> dict[str, Any]:
    await _begin(uow, categories, cmd.id, "category")
    ids = cmd.maintenance_type_ids
    if ids:
        missing = await missing_ids(uow.session, maintenance_types, ids)
        if missing:
            raise Invalid(
                "the body refers to objects that do not exist",
                [
                    field_error(
                        ["body", "maintenance_type_ids"], f"no maintenance types with ids {missing}"
                    )
                ],
            )
    category_id = await write_unique(
        uow, categories, {"name": cmd.name}, cmd.id, "name", "category"
    )
    # The links are replaced as a set: one DELETE and one INSERT whatever their number.
    await uow.session.execute(delete(links).where(links.c.category_id == category_id))
    if ids:
        await uow.session.execute(_LINK_TYPES, {"category_id": category_id, "ids": ids})
    return success("Categoría guardada", id=category_id)


async def save_maintenance_type(cmd: SaveMaintenanceType, uow: UnitOfWork) -> dict[str, Any]:
    await _begin(uow, maintenance_types, cmd.id, "maintenance type")
    type_id = await write_unique(
        uow, maintenance_types, _fields(cmd), cmd.id, "name", "maintenance type"
    )
    return success("Tipo de mantenimiento guardado", id=type_id)


async def save_frequency(cmd: SaveFrequency, uow: UnitOfWork) -> dict[str, Any]:
    await _begin(uow, frequencies, cmd.id, "frequency")
    frequency_id = await write_unique(uow, frequencies, _fields(cmd), cmd.id, "name", "frequency")
    return success("Frecuencia guardada", id=frequency_id)


async def save_asset(cmd: SaveAsset, uow: UnitOfWork) -> dict[str, Any]:
    references = {
        "location_id": (locations, cmd.location_id),
        "category_id": (categories, cmd.category_id),
    }
    await _begin(uow, assets, cmd.id, "asset", references)
    asset_id = await write_unique(uow, assets, _fields(cmd), cmd.id, "code", "asset")
    return success("Activo guardado", id=asset_id)


async def save_user(cmd: SaveUser, uow: UnitOfWork) -> dict[str, Any]:
    await _begin(uow, users, cmd.id, "user")
    # An administrator cannot lock themselves out (and possibly the plant with them).
    if cmd.id == uow.actor.user_id and (not cmd.active or cmd.role != Role.ADMIN):
        raise Conflict("you may not deactivate or demote your own account")
    values = cmd.model_dump(mode="json", include={"username", "full_name", "role", "active"})
    if cmd.password is not None:
        values["password_hash"] = await password_pool(uow.settings).hash(cmd.password)
    elif cmd.id is None:
        raise Invalid(
            "a new user needs a password",
            [field_error(["body", "password"], "required when creating a user")],
        )
    user_id = await write_unique(uow, users, values, cmd.id, "username", "user")
    if cmd.id is not None and not cmd.active:
        await uow.session.execute(
            update(tokens)
            .where(tokens.c.user_id == user_id, tokens.c.revoked_at.is_(None))
            .values(revoked_at=func.now())
        )
    return success("Usuario guardado", id=user_id)


HANDLERS: dict[type[Command], Handler] = {
    SaveLocation: save_location,
    SaveCategory: save_category,
    SaveMaintenanceType: save_maintenance_type,
    SaveFrequency: save_frequency,
    SaveAsset: save_asset,
    SaveUser: save_user,
}
