"""Plant catalogs: the location tree, asset categories, maintenance types, assets, frequencies."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Computed,
    ForeignKey,
    Index,
    Integer,
    Table,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base, enum_check
from shared.enums import FrequencyUnit


class Location(Base):
    __tablename__ = "locations"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("locations.id", ondelete="RESTRICT"), index=True
    )


class MaintenanceType(Base):
    __tablename__ = "maintenance_types"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text, unique=True)


class AssetCategory(Base):
    __tablename__ = "asset_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text, unique=True)


category_maintenance_types = Table(
    "category_maintenance_types",
    Base.metadata,
    Column("category_id", ForeignKey("asset_categories.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "maintenance_type_id",
        ForeignKey("maintenance_types.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)


class Asset(Base):
    __tablename__ = "assets"
    __table_args__ = (
        Index(
            "ix_assets_search_trgm",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text)
    location_id: Mapped[int] = mapped_column(
        ForeignKey("locations.id", ondelete="RESTRICT"), index=True
    )
    category_id: Mapped[int] = mapped_column(
        ForeignKey("asset_categories.id", ondelete="RESTRICT"), index=True
    )
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    # What `q` searches with trigram ILIKE; kept by PostgreSQL.
    search_text: Mapped[str] = mapped_column(Text, Computed("code || ' ' || name", persisted=True))


class Frequency(Base):
    __tablename__ = "frequencies"
    __table_args__ = (
        CheckConstraint("interval > 0", name="interval_positive"),
        enum_check("unit", FrequencyUnit),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text, unique=True)
    interval: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(Text)
