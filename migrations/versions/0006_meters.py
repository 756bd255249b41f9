"""Meters and readings (partitioned by month), alarm notices, and programs by use

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 14:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Monthly partitions of `meter_readings`, named `meter_readings_YYYY_MM`, bounded at UTC
# midnight (bounds must not depend on the session's time zone). Making one that exists is a
# no-op, so the scheduler calls this every day for the months ahead; it answers how many it made.
_MAKE_PARTITIONS = """
CREATE FUNCTION meter_readings_partitions(first_day date, last_day date)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    month date := date_trunc('month', first_day)::date;
    made integer := 0;
BEGIN
    WHILE month <= last_day LOOP
        IF to_regclass(format('meter_readings_%s', to_char(month, 'YYYY_MM'))) IS NULL THEN
            EXECUTE format(
                'CREATE TABLE %I PARTITION OF meter_readings FOR VALUES FROM (%L) TO (%L)',
                format('meter_readings_%s', to_char(month, 'YYYY_MM')),
                month::timestamp AT TIME ZONE 'UTC',
                (month + interval '1 month')::timestamp AT TIME ZONE 'UTC');
            made := made + 1;
        END IF;
        month := (month + interval '1 month')::date;
    END LOOP;
    RETURN made;
END
$$
"""
# Retention: whole partitions whose month ended before `cutoff` are dropped (not deleted row by
# row); answers how many.
_DROP_PARTITIONS = """
CREATE FUNCTION drop_meter_readings_before(cutoff timestamptz)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    part record;
    dropped integer := 0;
BEGIN
    FOR part IN
        SELECT c.relname,
               to_date(right(c.relname, 7), 'YYYY_MM') AS month
          FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
         WHERE i.inhparent = 'meter_readings'::regclass
           AND c.relname ~ '^meter_readings_[0-9]{4}_[0-9]{2}$'
    LOOP
        IF (part.month + interval '1 month')::timestamp AT TIME ZONE 'UTC' <= cutoff THEN
            EXECUTE format('DROP TABLE %I', part.relname);
            dropped := dropped + 1;
        END IF;
    END LOOP;
    RETURN dropped;
END
$$
"""


def upgrade() -> None:
    op.create_table(
        "meters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("unit", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("alarm_low", sa.Numeric(), nullable=True),
        sa.Column("alarm_high", sa.Numeric(), nullable=True),
        sa.Column("alarm_priority", sa.Text(), server_default="ALTA", nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("last_value", sa.Numeric(), nullable=True),
        sa.Column("last_taken_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_usage", sa.Numeric(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("kind IN ('CONTADOR', 'INDICADOR')", name=op.f("ck_meters_kind")),
        sa.CheckConstraint(
            "alarm_priority IN ('BAJA', 'MEDIA', 'ALTA', 'URGENTE')",
            name=op.f("ck_meters_alarm_priority"),
        ),
        sa.CheckConstraint(
            "kind = 'INDICADOR' OR (alarm_low IS NULL AND alarm_high IS NULL)",
            name=op.f("ck_meters_alarms_on_indicators"),
        ),
        sa.CheckConstraint("alarm_low <= alarm_high", name=op.f("ck_meters_alarm_limits_ordered")),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["assets.id"], name=op.f("fk_meters_asset_id_assets"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meters")),
        sa.UniqueConstraint("code", name=op.f("uq_meters_code")),
    )
    op.create_index(op.f("ix_meters_asset_id"), "meters", ["asset_id"], unique=False)

    op.execute(sa.schema.CreateSequence(sa.Sequence("meter_readings_id_seq")))
    op.create_table(
        "meter_readings",
        sa.Column(
            "id",
            sa.BigInteger(),
            server_default=sa.text("nextval('meter_readings_id_seq')"),
            nullable=False,
        ),
        sa.Column("meter_id", sa.Integer(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("value", sa.Numeric(), nullable=False),
        sa.Column("usage", sa.Numeric(), nullable=True),
        sa.Column("reset", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("source", sa.Text(), server_default="APP", nullable=False),
        sa.Column("aviso_id", sa.Integer(), nullable=True),
        sa.Column("work_order_ids", postgresql.ARRAY(sa.Integer()), nullable=True),
        sa.ForeignKeyConstraint(
            ["meter_id"],
            ["meters.id"],
            name=op.f("fk_meter_readings_meter_id_meters"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("meter_id", "taken_at", name=op.f("pk_meter_readings")),
        postgresql_partition_by="RANGE (taken_at)",
    )
    op.execute(_MAKE_PARTITIONS)
    op.execute(_DROP_PARTITIONS)
    # The default retention back and a few months ahead; the scheduler keeps it so.
    op.execute(
        "SELECT meter_readings_partitions(CAST(now() - interval '730 days' AS date),"
        " CAST(now() + interval '2 months' AS date))"
    )

    op.add_column("avisos", sa.Column("meter_id", sa.Integer(), nullable=True))
    op.create_foreign_key(
        op.f("fk_avisos_meter_id_meters"),
        "avisos",
        "meters",
        ["meter_id"],
        ["id"],
        ondelete="RESTRICT",
    )
    op.create_index(
        "ux_avisos_open_alarm",
        "avisos",
        ["meter_id"],
        unique=True,
        postgresql_where=sa.text("meter_id IS NOT NULL AND status <> 'CERRADO'"),
    )

    op.add_column("work_orders", sa.Column("trigger", sa.Text(), nullable=True))
    op.add_column("work_orders", sa.Column("due_usage", sa.Numeric(), nullable=True))
    op.create_check_constraint(
        op.f("ck_work_orders_trigger"), "work_orders", "trigger IN ('FECHA', 'MEDIDOR')"
    )

    op.add_column("programs", sa.Column("meter_interval", sa.Numeric(), nullable=True))
    op.add_column("programs", sa.Column("meter_unit", sa.Text(), nullable=True))
    op.add_column("programs", sa.Column("meter_lead", sa.Numeric(), nullable=True))
    op.alter_column("programs", "frequency_id", existing_type=sa.Integer(), nullable=True)
    op.drop_constraint(op.f("ck_programs_basis"), "programs", type_="check")
    op.create_check_constraint(
        op.f("ck_programs_basis"), "programs", "basis IN ('FIJA', 'ULTIMA_EJECUCION', 'MEDIDOR')"
    )
    op.create_check_constraint(
        op.f("ck_programs_basis_fields"),
        "programs",
        "CASE WHEN basis = 'MEDIDOR'"
        " THEN meter_interval > 0 AND meter_unit IS NOT NULL AND meter_lead >= 0"
        " ELSE frequency_id IS NOT NULL AND meter_interval IS NULL AND meter_unit IS NULL"
        " AND meter_lead IS NULL END",
    )

    op.drop_constraint(op.f("pk_program_generations"), "program_generations", type_="primary")
    op.add_column(
        "program_generations",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
    )
    op.create_primary_key(op.f("pk_program_generations"), "program_generations", ["id"])
    op.add_column("program_generations", sa.Column("cycle", sa.Integer(), nullable=True))
    op.alter_column("program_generations", "due_date", existing_type=sa.Date(), nullable=True)
    op.create_check_constraint(
        op.f("ck_program_generations_date_or_cycle"),
        "program_generations",
        "(due_date IS NULL) <> (cycle IS NULL)",
    )
    op.create_index(
        "uq_program_generations_key",
        "program_generations",
        ["program_id", "asset_id", "due_date", "cycle"],
        unique=True,
        postgresql_nulls_not_distinct=True,
    )


def downgrade() -> None:
    # Rows by use have no date: they go with the feature.
    op.execute("DELETE FROM program_generations WHERE cycle IS NOT NULL")
    op.drop_index("uq_program_generations_key", table_name="program_generations")
    op.drop_constraint(
        op.f("ck_program_generations_date_or_cycle"), "program_generations", type_="check"
    )
    op.alter_column("program_generations", "due_date", existing_type=sa.Date(), nullable=False)
    op.drop_column("program_generations", "cycle")
    op.drop_constraint(op.f("pk_program_generations"), "program_generations", type_="primary")
    op.drop_column("program_generations", "id")
    op.create_primary_key(
        op.f("pk_program_generations"),
        "program_generations",
        ["program_id", "asset_id", "due_date"],
    )

    op.execute("DELETE FROM programs WHERE basis = 'MEDIDOR'")
    op.drop_constraint(op.f("ck_programs_basis_fields"), "programs", type_="check")
    op.drop_constraint(op.f("ck_programs_basis"), "programs", type_="check")
    op.create_check_constraint(
        op.f("ck_programs_basis"), "programs", "basis IN ('FIJA', 'ULTIMA_EJECUCION')"
    )
    op.alter_column("programs", "frequency_id", existing_type=sa.Integer(), nullable=False)
    op.drop_column("programs", "meter_lead")
    op.drop_column("programs", "meter_unit")
    op.drop_column("programs", "meter_interval")

    op.drop_constraint(op.f("ck_work_orders_trigger"), "work_orders", type_="check")
    op.drop_column("work_orders", "due_usage")
    op.drop_column("work_orders", "trigger")

    op.drop_index("ux_avisos_open_alarm", table_name="avisos")
    op.drop_constraint(op.f("fk_avisos_meter_id_meters"), "avisos", type_="foreignkey")
    op.drop_column("avisos", "meter_id")

    op.execute("DROP FUNCTION drop_meter_readings_before(timestamptz)")
    op.execute("DROP FUNCTION meter_readings_partitions(date, date)")
    op.drop_table("meter_readings")
    op.execute(sa.schema.DropSequence(sa.Sequence("meter_readings_id_seq")))
    op.drop_index(op.f("ix_meters_asset_id"), table_name="meters")
    op.drop_table("meters")
