"""Creating a user from the command line."""

from __future__ import annotations

from sqlalchemy import insert

from shared.db.engine import create_engine
from shared.db.models import User
from shared.passwords import HASHER
from shared.settings import Settings


async def create_user(
    settings: Settings, username: str, password: str, role: str, full_name: str | None
) -> int:
    engine = create_engine(settings, pool_size=1)
    try:
        async with engine.begin() as conn:
            return (
                await conn.execute(
                    insert(User)
                    .values(
                        username=username,
                        full_name=full_name or username,
                        role=role,
                        password_hash=HASHER.hash(password),
                    )
                    .returning(User.id)
                )
            ).scalar_one()
    finally:
        await engine.dispose()
