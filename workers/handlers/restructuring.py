"""Splitting, merging and deleting PENDIENTE orders.

Each is a handful of statements whatever the number of orders, assets or steps involved, and
keeps the generation dedup rows (`program_generations`) and notices pointing at the order that now
does the work, so nothing is generated twice and no notice loses its order.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from shared.enums import WorkOrderStatus
from shared.errors import Conflict, Invalid, field_error
from shared.messages import Command, events, success
from shared.messages.planning import DeleteWorkOrders, MergeWorkOrders, SplitWorkOrder
from workers.avisos import reopen_notices_of
from workers.dispatcher import Handler
from workers.order_locks import check_version, lock_order, lock_orders, refuse_unless
from workers.uow import UnitOfWork

PENDING = (WorkOrderStatus.PENDIENTE,)
DELETABLE = (WorkOrderStatus.PENDIENTE, WorkOrderStatus.CANCELADA)

_ASSETS_OF = text(
    "SELECT asset_id FROM work_order_assets WHERE work_order_id = :id ORDER BY asset_id"
)

# Ids are drawn first (`moved` is materialised once: nextval is volatile), so each new order is
# known with its asset before anything is written.
_SPLIT = text(
    """
    WITH moved AS (
        SELECT item.asset_id, nextval(pg_get_serial_sequence('work_orders', 'id')) AS new_id
          FROM unnest(CAST(:asset_ids AS integer[])) AS item(asset_id)
    ), created AS (
        INSERT INTO work_orders (id, type, status, title, scheduled_start, scheduled_end,
                                 technician_id, notes, routine_id, program_id, due_date)
        SELECT moved.new_id, o.type, 'PENDIENTE', o.title, o.scheduled_start, o.scheduled_end,
               o.technician_id, o.notes, o.routine_id, o.program_id, o.due_date
          FROM moved CROSS JOIN work_orders o
         WHERE o.id = :id
        RETURNING id, code
    ), reassigned AS (
        UPDATE work_order_assets woa SET work_order_id = moved.new_id
          FROM moved
         WHERE woa.work_order_id = :id AND woa.asset_id = moved.asset_id
    ), steps AS (
        INSERT INTO work_order_steps (work_order_id, position, description, kind, unit,
                                      min_value, max_value)
        SELECT moved.new_id, s.position, s.description, s.kind, s.unit, s.min_value, s.max_value
          FROM moved CROSS JOIN work_order_steps s
         WHERE s.work_order_id = :id
    ), generations AS (
        UPDATE program_generations g SET work_order_id = moved.new_id
          FROM moved
         WHERE g.work_order_id = :id AND g.asset_id = moved.asset_id
    ), original AS (
        UPDATE work_orders SET version = version + 1, updated_at = now()
         WHERE id = :id
        RETURNING version
    )
    SELECT created.id, created.code, moved.asset_id, (SELECT version FROM original) AS version
      FROM created JOIN moved ON moved.new_id = created.id
     ORDER BY moved.asset_id
    """
)

# The survivor takes the others' assets, steps (after its own, in the order of `ids`), dedup rows
# and notices, and their history lines (marked with the order they came from); then they go.
_MERGE = text(
    """
    WITH others AS (
        SELECT item.id, item.position, o.code
          FROM unnest(CAST(:others AS integer[])) WITH ORDINALITY AS item(id, position)
          JOIN work_orders o ON o.id = item.id
    ), assets AS (
        INSERT INTO work_order_assets (work_order_id, asset_id)
        SELECT DISTINCT CAST(:survivor AS integer), woa.asset_id
          FROM work_order_assets woa JOIN others ON others.id = woa.work_order_id
        ON CONFLICT DO NOTHING
    ), steps AS (
        INSERT INTO work_order_steps (work_order_id, position, description, kind, unit,
                                      min_value, max_value, done, ok, numeric_value, text_value,
                                      comment)
        SELECT CAST(:survivor AS integer),
               (SELECT coalesce(max(position), 0) FROM work_order_steps
                 WHERE work_order_id = CAST(:survivor AS integer))
               + row_number() OVER (ORDER BY others.position, s.position),
               s.description, s.kind, s.unit, s.min_value, s.max_value, s.done, s.ok,
               s.numeric_value, s.text_value, s.comment
          FROM work_order_steps s JOIN others ON others.id = s.work_order_id
    ), generations AS (
        UPDATE program_generations g SET work_order_id = CAST(:survivor AS integer)
          FROM others WHERE g.work_order_id = others.id
    ), notices AS (
        UPDATE avisos a SET work_order_id = CAST(:survivor AS integer), updated_at = now()
          FROM others WHERE a.work_order_id = others.id
    ), origins AS (
        UPDATE avisos a SET origin_work_order_id = CAST(:survivor AS integer), updated_at = now()
          FROM others WHERE a.origin_work_order_id = others.id
    ), history AS (
        UPDATE work_order_events e
           SET work_order_id = CAST(:survivor AS integer),
               data = e.data || jsonb_build_object('merged_from', others.code)
          FROM others WHERE e.work_order_id = others.id
    ), survivor AS (
        UPDATE work_orders wo
           SET scheduled_start = moved.new_start,
               scheduled_end = moved.new_start + (wo.scheduled_end - wo.scheduled_start),
               version = wo.version + 1,
               updated_at = now()
          FROM (SELECT (CAST(:day AS date)
                        + CAST(scheduled_start AT TIME ZONE :tz AS time)) AT TIME ZONE :tz
                       AS new_start, scheduled_start AS old_start
                  FROM work_orders WHERE id = CAST(:survivor AS integer)) AS moved
         WHERE wo.id = CAST(:survivor AS integer)
        RETURNING wo.version, moved.old_start, moved.new_start
    )
    SELECT survivor.version, survivor.old_start, survivor.new_start,
           (SELECT json_agg(json_build_object('id', id, 'code', code) ORDER BY position)
              FROM others) AS merged
      FROM survivor
    """
)
# Separate from _MERGE: a data-modifying CTE cannot see rows its siblings insert or move, so the
# others are deleted once their children have moved.
_DELETE = text("DELETE FROM work_orders WHERE id = ANY(CAST(:ids AS integer[]))")


async def split(cmd: SplitWorkOrder, uow: UnitOfWork) -> dict[str, Any]:
    row = await lock_order(uow.session, cmd.work_order_id, cmd.version)
    if row.status not in PENDING:
        raise Conflict(f"{row.code} is {row.status}; only PENDIENTE orders can be split")
    assets = (await uow.session.execute(_ASSETS_OF, {"id": row.id})).scalars().all()
    if len(assets) < 2:
        raise Conflict(f"{row.code} has {len(assets)} asset(s); splitting needs at least two")
    created = (
        await uow.session.execute(_SPLIT, {"id": row.id, "asset_ids": list(assets[1:])})
    ).all()
    new_orders = [{"id": new.id, "code": new.code, "asset_id": new.asset_id} for new in created]
    uow.record(row.id, "division", {"kept_asset_id": assets[0], "new_work_orders": new_orders})
    for new in created:
        uow.record(
            new.id,
            "creacion",
            {"split_from": {"id": row.id, "code": row.code}, "asset_id": new.asset_id},
        )
        if row.technician_id is not None:
            uow.emit(
                events.OrderAssigned(
                    work_order_id=new.id,
                    technician_id=row.technician_id,
                    assigned_by=uow.actor.user_id,
                )
            )
    new_ids = [new.id for new in created]
    uow.emit(
        events.OrderSplit(
            work_order_id=row.id, new_work_order_ids=new_ids, split_by=uow.actor.user_id
        )
    )
    return success(
        f"Orden dividida en {len(new_ids) + 1}",
        work_order_ids=[row.id, *new_ids],
        version=created[0].version,
    )


async def merge(cmd: MergeWorkOrders, uow: UnitOfWork) -> dict[str, Any]:
    locked = await lock_orders(uow.session, cmd.ids)
    missing = [
        field_error(["body", "ids", index], "work order not found", id=order_id)
        for index, order_id in enumerate(cmd.ids)
        if order_id not in locked
    ]
    if missing:
        raise Invalid("unknown work orders", missing)
    refuse_unless(cmd.ids, locked, PENDING, lambda index: ["ids", index], "merged")
    for order_id, version in zip(cmd.ids, cmd.versions or (), strict=False):
        check_version(locked[order_id], version)
    types = {locked[order_id].type for order_id in cmd.ids}
    if len(types) > 1:
        raise Conflict(f"orders of different types cannot be merged: {sorted(types)}")
    survivor, others = cmd.ids[0], cmd.ids[1:]
    result = (
        await uow.session.execute(
            _MERGE, {"survivor": survivor, "others": others, "day": cmd.date, "tz": uow.tz.key}
        )
    ).one()
    await uow.session.execute(_DELETE, {"ids": others})
    uow.record(
        survivor,
        "fusion",
        {
            "merged": result.merged,
            "old_start": result.old_start.astimezone(uow.tz).isoformat(),
            "new_start": result.new_start.astimezone(uow.tz).isoformat(),
        },
    )
    technician_id = locked[survivor].technician_id
    if technician_id is not None and result.old_start != result.new_start:
        uow.emit(
            events.OrdersRescheduled(
                technician_id=technician_id,
                changed_by=uow.actor.user_id,
                reason="fusión de órdenes",
                work_orders=[
                    events.RescheduledOrder(
                        id=survivor,
                        code=locked[survivor].code,
                        old_start=result.old_start,
                        new_start=result.new_start,
                    )
                ],
            )
        )
    uow.emit(
        events.OrdersMerged(
            work_order_id=survivor, merged_work_order_ids=others, merged_by=uow.actor.user_id
        )
    )
    return success(
        f"{len(cmd.ids)} órdenes fusionadas", work_order_id=survivor, version=result.version
    )


async def delete(cmd: DeleteWorkOrders, uow: UnitOfWork) -> dict[str, Any]:
    locked = await lock_orders(uow.session, cmd.ids)
    refuse_unless(cmd.ids, locked, DELETABLE, lambda index: ["ids", index], "deleted")
    # Before the delete: the notices still point at the orders.
    await reopen_notices_of(uow, cmd.ids)
    await uow.session.execute(_DELETE, {"ids": cmd.ids})
    uow.emit(events.OrdersDeleted(work_order_ids=cmd.ids, deleted_by=uow.actor.user_id))
    return success(f"{len(cmd.ids)} órdenes eliminadas", deleted=len(cmd.ids))


HANDLERS: dict[type[Command], Handler] = {
    SplitWorkOrder: split,
    MergeWorkOrders: merge,
    DeleteWorkOrders: delete,
}
