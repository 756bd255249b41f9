"""The entry points: is the database fresh, and fill it with the demo plant."""

from __future__ import annotations

import random
from datetime import date, datetime, tzinfo
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db.models import Asset, User
from shared.demo.catalog import LOGINS, DemoLogin
from shared.demo.meters import load_meters
from shared.demo.plant import load_plant
from shared.demo.work import load_work

UTC = ZoneInfo("UTC")


async def database_is_empty(session: AsyncSession) -> bool:
    """True when there are no users and no assets: a fresh install the demo may fill."""
    return not await session.scalar(select(select(User.id).exists() | select(Asset.id).exists()))


async def load_demo_data(
    session: AsyncSession, *, seed: int = 7, today: date | None = None, tz: tzinfo = UTC
) -> list[DemoLogin]:
    """Fill an empty database with a demo plant inside the caller's transaction (no commit)."""
    # One stream drawn in a fixed order: a seed gives the same plant only while no draw moves.
    rng = random.Random(seed)
    today = today or datetime.now(tz).date()
    plant = await load_plant(session, rng, today)
    await load_work(session, rng, plant, today, tz)
    await load_meters(session, rng, plant, today, tz)
    return list(LOGINS)
