"""Declarative base with a naming convention, so migrations name every constraint."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import cast

from sqlalchemy import CheckConstraint, DateTime, MetaData, Table, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def enum_check(column: str, enum: type[StrEnum], name: str | None = None) -> CheckConstraint:
    """A CHECK constraint keeping a text column inside an enumeration."""
    values = ", ".join(f"'{member.value}'" for member in enum)
    return CheckConstraint(f"{column} IN ({values})", name=name or column)


def created_at_column() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)


def updated_at_column() -> Mapped[datetime]:
    return mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now(), nullable=False
    )


# The readings' monthly partitions (`meter_readings_YYYY_MM`) are made and dropped at run time
# (migration 0006), not by migrations.
_READING_PARTITION = re.compile(r"meter_readings_\d{4}_\d{2}")


def compared_by_migrations(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic's `include_name`: whether a reflected name is the migrations' business."""
    return not (type_ == "table" and name is not None and _READING_PARTITION.fullmatch(name))


def table(model: type[Base]) -> Table:
    """The Core table of a mapped class, typed for Core statements."""
    return cast(Table, model.__table__)
