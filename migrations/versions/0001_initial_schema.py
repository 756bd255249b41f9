"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-27 17:39:14.208935
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute("CREATE SEQUENCE work_order_code_seq")
    op.execute("CREATE SEQUENCE aviso_code_seq")
    # `<prefix>-<year>-<6+ digits>`: the year in the session's time zone (the plant's).
    op.execute(
        """
        CREATE FUNCTION next_code(prefix text, seq regclass) RETURNS text
        LANGUAGE plpgsql VOLATILE AS $$
        DECLARE n bigint := nextval(seq);
        BEGIN
            RETURN prefix || '-' || to_char(now(), 'YYYY') || '-'
                || lpad(n::text, greatest(6, length(n::text)), '0');
        END $$
        """
    )
    op.create_table('asset_categories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_asset_categories')),
    sa.UniqueConstraint('name', name=op.f('uq_asset_categories_name'))
    )
    op.create_table('frequencies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('interval', sa.Integer(), nullable=False),
    sa.Column('unit', sa.Text(), nullable=False),
    sa.CheckConstraint("unit IN ('DIA', 'SEMANA', 'MES', 'ANIO')", name=op.f('ck_frequencies_unit')),
    sa.CheckConstraint('interval > 0', name=op.f('ck_frequencies_interval_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_frequencies')),
    sa.UniqueConstraint('name', name=op.f('uq_frequencies_name'))
    )
    op.create_table('locations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['parent_id'], ['locations.id'], name=op.f('fk_locations_parent_id_locations'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_locations')),
    sa.UniqueConstraint('code', name=op.f('uq_locations_code'))
    )
    op.create_index(op.f('ix_locations_parent_id'), 'locations', ['parent_id'], unique=False)
    op.create_table('maintenance_types',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_maintenance_types')),
    sa.UniqueConstraint('name', name=op.f('uq_maintenance_types_name'))
    )
    op.create_table('outbox',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('type', sa.Text(), nullable=False),
    sa.Column('data', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox'))
    )
    op.create_index('ix_outbox_unpublished', 'outbox', ['id'], unique=False, postgresql_where=sa.text('published_at IS NULL'))
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.Text(), nullable=False),
    sa.Column('full_name', sa.Text(), nullable=False),
    sa.Column('role', sa.Text(), nullable=False),
    sa.Column('password_hash', sa.Text(), nullable=True),
    sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("role IN ('ADMIN', 'PLANIFICADOR', 'TECNICO', 'SOLICITANTE')", name=op.f('ck_users_role')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_index(op.f('ix_users_role'), 'users', ['role'], unique=False)
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.Text(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    op.create_index(op.f('ix_api_tokens_user_id'), 'api_tokens', ['user_id'], unique=False)
    op.create_table('assets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('search_text', sa.Text(), sa.Computed("code || ' ' || name", persisted=True), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['asset_categories.id'], name=op.f('fk_assets_category_id_asset_categories'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_assets_location_id_locations'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assets')),
    sa.UniqueConstraint('code', name=op.f('uq_assets_code'))
    )
    op.create_index(op.f('ix_assets_category_id'), 'assets', ['category_id'], unique=False)
    op.create_index(op.f('ix_assets_location_id'), 'assets', ['location_id'], unique=False)
    op.create_index('ix_assets_search_trgm', 'assets', ['search_text'], unique=False, postgresql_using='gin', postgresql_ops={'search_text': 'gin_trgm_ops'})
    op.create_table('category_maintenance_types',
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('maintenance_type_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['asset_categories.id'], name=op.f('fk_category_maintenance_types_category_id_asset_categories'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['maintenance_type_id'], ['maintenance_types.id'], name=op.f('fk_category_maintenance_types_maintenance_type_id_maintenance_types'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('category_id', 'maintenance_type_id', name=op.f('pk_category_maintenance_types'))
    )
    op.create_index(op.f('ix_category_maintenance_types_maintenance_type_id'), 'category_maintenance_types', ['maintenance_type_id'], unique=False)
    op.create_table('command_log',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.Text(), nullable=False),
    sa.Column('request_hash', sa.Text(), nullable=True),
    sa.Column('status', sa.Text(), nullable=False),
    sa.Column('http_status', sa.Integer(), nullable=True),
    sa.Column('result', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'success', 'error')", name=op.f('ck_command_log_status')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_command_log_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_command_log'))
    )
    op.create_table('routines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('description', sa.Text(), server_default='', nullable=False),
    sa.Column('maintenance_type_id', sa.Integer(), nullable=False),
    sa.Column('frequency_id', sa.Integer(), nullable=False),
    sa.Column('estimated_duration_min', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('estimated_duration_min >= 0', name=op.f('ck_routines_duration_positive')),
    sa.ForeignKeyConstraint(['frequency_id'], ['frequencies.id'], name=op.f('fk_routines_frequency_id_frequencies'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['maintenance_type_id'], ['maintenance_types.id'], name=op.f('fk_routines_maintenance_type_id_maintenance_types'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_routines'))
    )
    op.create_index(op.f('ix_routines_frequency_id'), 'routines', ['frequency_id'], unique=False)
    op.create_index(op.f('ix_routines_maintenance_type_id'), 'routines', ['maintenance_type_id'], unique=False)
    op.create_table('programs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('routine_id', sa.Integer(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('frequency_id', sa.Integer(), nullable=False),
    sa.Column('technician_id', sa.Integer(), nullable=True),
    sa.Column('one_order_per_asset', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('basis', sa.Text(), server_default='FIJA', nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("basis IN ('FIJA', 'ULTIMA_EJECUCION')", name=op.f('ck_programs_basis')),
    sa.ForeignKeyConstraint(['frequency_id'], ['frequencies.id'], name=op.f('fk_programs_frequency_id_frequencies'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['routine_id'], ['routines.id'], name=op.f('fk_programs_routine_id_routines'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['technician_id'], ['users.id'], name=op.f('fk_programs_technician_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_programs'))
    )
    op.create_index(op.f('ix_programs_frequency_id'), 'programs', ['frequency_id'], unique=False)
    op.create_index(op.f('ix_programs_routine_id'), 'programs', ['routine_id'], unique=False)
    op.create_index(op.f('ix_programs_technician_id'), 'programs', ['technician_id'], unique=False)
    op.create_table('routine_steps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('routine_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('kind', sa.Text(), server_default='CHECK', nullable=False),
    sa.Column('unit', sa.Text(), nullable=True),
    sa.Column('min_value', sa.Numeric(), nullable=True),
    sa.Column('max_value', sa.Numeric(), nullable=True),
    sa.CheckConstraint("kind IN ('CHECK', 'MEDICION', 'TEXTO')", name=op.f('ck_routine_steps_kind')),
    sa.ForeignKeyConstraint(['routine_id'], ['routines.id'], name=op.f('fk_routine_steps_routine_id_routines'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_routine_steps')),
    sa.UniqueConstraint('routine_id', 'position', name=op.f('uq_routine_steps_routine_id_position'))
    )
    op.create_table('program_assets',
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('asset_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['asset_id'], ['assets.id'], name=op.f('fk_program_assets_asset_id_assets'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['program_id'], ['programs.id'], name=op.f('fk_program_assets_program_id_programs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('program_id', 'asset_id', name=op.f('pk_program_assets'))
    )
    op.create_index(op.f('ix_program_assets_asset_id'), 'program_assets', ['asset_id'], unique=False)
    op.create_table('work_orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.Text(), server_default=sa.text("next_code('OT', 'work_order_code_seq')"), nullable=False),
    sa.Column('type', sa.Text(), nullable=False),
    sa.Column('status', sa.Text(), server_default='PENDIENTE', nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('scheduled_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('scheduled_end', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actual_start', sa.DateTime(timezone=True), nullable=True),
    sa.Column('actual_end', sa.DateTime(timezone=True), nullable=True),
    sa.Column('technician_id', sa.Integer(), nullable=True),
    sa.Column('notes', sa.Text(), server_default='', nullable=False),
    sa.Column('routine_id', sa.Integer(), nullable=True),
    sa.Column('program_id', sa.Integer(), nullable=True),
    sa.Column('aviso_id', sa.Integer(), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('search_text', sa.Text(), sa.Computed("code || ' ' || title || ' ' || notes", persisted=True), nullable=False),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("status IN ('PENDIENTE', 'EN_PROGRESO', 'COMPLETADA', 'CANCELADA')", name=op.f('ck_work_orders_status')),
    sa.CheckConstraint("type IN ('PREVENTIVA', 'CORRECTIVA')", name=op.f('ck_work_orders_type')),
    sa.CheckConstraint('actual_end IS NULL OR actual_start IS NULL OR actual_end >= actual_start', name=op.f('ck_work_orders_actuals_ordered')),
    sa.CheckConstraint('scheduled_end >= scheduled_start', name=op.f('ck_work_orders_schedule_ordered')),
    sa.ForeignKeyConstraint(['program_id'], ['programs.id'], name=op.f('fk_work_orders_program_id_programs'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['routine_id'], ['routines.id'], name=op.f('fk_work_orders_routine_id_routines'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['technician_id'], ['users.id'], name=op.f('fk_work_orders_technician_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_orders')),
    sa.UniqueConstraint('code', name=op.f('uq_work_orders_code'))
    )
    op.create_index(op.f('ix_work_orders_aviso_id'), 'work_orders', ['aviso_id'], unique=False)
    op.create_index(op.f('ix_work_orders_program_id'), 'work_orders', ['program_id'], unique=False)
    op.create_index(op.f('ix_work_orders_routine_id'), 'work_orders', ['routine_id'], unique=False)
    op.create_index('ix_work_orders_schedule', 'work_orders', ['scheduled_start', 'id'], unique=False)
    op.create_index('ix_work_orders_search_trgm', 'work_orders', ['search_text'], unique=False, postgresql_using='gin', postgresql_ops={'search_text': 'gin_trgm_ops'})
    op.create_index('ix_work_orders_status_schedule', 'work_orders', ['status', 'scheduled_start', 'id'], unique=False)
    op.create_index('ix_work_orders_technician_schedule', 'work_orders', ['technician_id', 'scheduled_start'], unique=False)
    op.create_table('avisos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.Text(), server_default=sa.text("next_code('AV', 'aviso_code_seq')"), nullable=False),
    sa.Column('asset_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('description', sa.Text(), server_default='', nullable=False),
    sa.Column('priority', sa.Text(), server_default='MEDIA', nullable=False),
    sa.Column('status', sa.Text(), server_default='ABIERTO', nullable=False),
    sa.Column('source', sa.Text(), server_default='APP', nullable=False),
    sa.Column('external_id', sa.Text(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('work_order_id', sa.Integer(), nullable=True),
    sa.Column('origin_work_order_id', sa.Integer(), nullable=True),
    sa.Column('reported_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("priority IN ('BAJA', 'MEDIA', 'ALTA', 'URGENTE')", name=op.f('ck_avisos_priority')),
    sa.CheckConstraint("status IN ('ABIERTO', 'EN_PROCESO', 'CERRADO')", name=op.f('ck_avisos_status')),
    sa.ForeignKeyConstraint(['asset_id'], ['assets.id'], name=op.f('fk_avisos_asset_id_assets'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_avisos_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['origin_work_order_id'], ['work_orders.id'], name=op.f('fk_avisos_origin_work_order_id_work_orders'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['work_order_id'], ['work_orders.id'], name=op.f('fk_avisos_work_order_id_work_orders'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_avisos')),
    sa.UniqueConstraint('code', name=op.f('uq_avisos_code')),
    sa.UniqueConstraint('source', 'external_id', name=op.f('uq_avisos_source_external_id'))
    )
    op.create_index(op.f('ix_avisos_asset_id'), 'avisos', ['asset_id'], unique=False)
    op.create_index(op.f('ix_avisos_author_id'), 'avisos', ['author_id'], unique=False)
    op.create_index(op.f('ix_avisos_origin_work_order_id'), 'avisos', ['origin_work_order_id'], unique=False)
    op.create_index('ix_avisos_status_created', 'avisos', ['status', 'created_at'], unique=False)
    op.create_index(op.f('ix_avisos_work_order_id'), 'avisos', ['work_order_id'], unique=False)
    op.create_table('program_generations',
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('asset_id', sa.Integer(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('work_order_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['asset_id'], ['assets.id'], name=op.f('fk_program_generations_asset_id_assets'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['program_id'], ['programs.id'], name=op.f('fk_program_generations_program_id_programs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['work_order_id'], ['work_orders.id'], name=op.f('fk_program_generations_work_order_id_work_orders'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('program_id', 'asset_id', 'due_date', name=op.f('pk_program_generations'))
    )
    op.create_index(op.f('ix_program_generations_work_order_id'), 'program_generations', ['work_order_id'], unique=False)
    op.create_table('work_order_assets',
    sa.Column('work_order_id', sa.Integer(), nullable=False),
    sa.Column('asset_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['asset_id'], ['assets.id'], name=op.f('fk_work_order_assets_asset_id_assets'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['work_order_id'], ['work_orders.id'], name=op.f('fk_work_order_assets_work_order_id_work_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('work_order_id', 'asset_id', name=op.f('pk_work_order_assets'))
    )
    op.create_index(op.f('ix_work_order_assets_asset_id'), 'work_order_assets', ['asset_id'], unique=False)
    op.create_table('work_order_events',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('work_order_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('event', sa.Text(), nullable=False),
    sa.Column('data', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_work_order_events_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['work_order_id'], ['work_orders.id'], name=op.f('fk_work_order_events_work_order_id_work_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_order_events'))
    )
    op.create_index('ix_work_order_events_order', 'work_order_events', ['work_order_id', 'id'], unique=False)
    op.create_table('work_order_steps',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('work_order_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('kind', sa.Text(), server_default='CHECK', nullable=False),
    sa.Column('unit', sa.Text(), nullable=True),
    sa.Column('min_value', sa.Numeric(), nullable=True),
    sa.Column('max_value', sa.Numeric(), nullable=True),
    sa.Column('done', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=True),
    sa.Column('numeric_value', sa.Numeric(), nullable=True),
    sa.Column('text_value', sa.Text(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.CheckConstraint("kind IN ('CHECK', 'MEDICION', 'TEXTO')", name=op.f('ck_work_order_steps_kind')),
    sa.ForeignKeyConstraint(['work_order_id'], ['work_orders.id'], name=op.f('fk_work_order_steps_work_order_id_work_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_order_steps')),
    sa.UniqueConstraint('work_order_id', 'position', name=op.f('uq_work_order_steps_work_order_id_position'))
    )
    op.create_table('notifications',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.BigInteger(), nullable=True),
    sa.Column('kind', sa.Text(), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('work_order_id', sa.Integer(), nullable=True),
    sa.Column('aviso_id', sa.Integer(), nullable=True),
    sa.Column('read', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("kind IN ('OT_ASIGNADA', 'OT_FECHA_CAMBIADA', 'OT_ESTADO', 'OT_GENERADAS', 'AVISO_NUEVO', 'AVISO_ACTUALIZADO')", name=op.f('ck_notifications_kind')),
    sa.ForeignKeyConstraint(['aviso_id'], ['avisos.id'], name=op.f('fk_notifications_aviso_id_avisos'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['work_order_id'], ['work_orders.id'], name=op.f('fk_notifications_work_order_id_work_orders'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
    sa.UniqueConstraint('event_id', 'user_id', name=op.f('uq_notifications_event_id_user_id'))
    )
    op.create_index(op.f('ix_notifications_aviso_id'), 'notifications', ['aviso_id'], unique=False)
    op.create_index('ix_notifications_user_newest', 'notifications', ['user_id', sa.literal_column('id DESC')], unique=False)
    op.create_index(op.f('ix_notifications_work_order_id'), 'notifications', ['work_order_id'], unique=False)
    op.create_foreign_key(
        op.f('fk_work_orders_aviso_id_avisos'), 'work_orders', 'avisos', ['aviso_id'], ['id'],
        ondelete='SET NULL',
    )


def downgrade() -> None:
    op.drop_constraint(op.f('fk_work_orders_aviso_id_avisos'), 'work_orders', type_='foreignkey')
    op.drop_index(op.f('ix_notifications_work_order_id'), table_name='notifications')
    op.drop_index('ix_notifications_user_newest', table_name='notifications')
    op.drop_index(op.f('ix_notifications_aviso_id'), table_name='notifications')
    op.drop_table('notifications')
    op.drop_table('work_order_steps')
    op.drop_index('ix_work_order_events_order', table_name='work_order_events')
    op.drop_table('work_order_events')
    op.drop_index(op.f('ix_work_order_assets_asset_id'), table_name='work_order_assets')
    op.drop_table('work_order_assets')
    op.drop_index(op.f('ix_program_generations_work_order_id'), table_name='program_generations')
    op.drop_table('program_generations')
    op.drop_index(op.f('ix_avisos_work_order_id'), table_name='avisos')
    op.drop_index('ix_avisos_status_created', table_name='avisos')
    op.drop_index(op.f('ix_avisos_origin_work_order_id'), table_name='avisos')
    op.drop_index(op.f('ix_avisos_author_id'), table_name='avisos')
    op.drop_index(op.f('ix_avisos_asset_id'), table_name='avisos')
    op.drop_table('avisos')
    op.drop_index('ix_work_orders_technician_schedule', table_name='work_orders')
    op.drop_index('ix_work_orders_status_schedule', table_name='work_orders')
    op.drop_index('ix_work_orders_search_trgm', table_name='work_orders', postgresql_using='gin', postgresql_ops={'search_text': 'gin_trgm_ops'})
    op.drop_index('ix_work_orders_schedule', table_name='work_orders')
    op.drop_index(op.f('ix_work_orders_routine_id'), table_name='work_orders')
    op.drop_index(op.f('ix_work_orders_program_id'), table_name='work_orders')
    op.drop_index(op.f('ix_work_orders_aviso_id'), table_name='work_orders')
    op.drop_table('work_orders')
    op.drop_index(op.f('ix_program_assets_asset_id'), table_name='program_assets')
    op.drop_table('program_assets')
    op.drop_table('routine_steps')
    op.drop_index(op.f('ix_programs_technician_id'), table_name='programs')
    op.drop_index(op.f('ix_programs_routine_id'), table_name='programs')
    op.drop_index(op.f('ix_programs_frequency_id'), table_name='programs')
    op.drop_table('programs')
    op.drop_index(op.f('ix_routines_maintenance_type_id'), table_name='routines')
    op.drop_index(op.f('ix_routines_frequency_id'), table_name='routines')
    op.drop_table('routines')
    op.drop_table('command_log')
    op.drop_index(op.f('ix_category_maintenance_types_maintenance_type_id'), table_name='category_maintenance_types')
    op.drop_table('category_maintenance_types')
    op.drop_index('ix_assets_search_trgm', table_name='assets', postgresql_using='gin', postgresql_ops={'search_text': 'gin_trgm_ops'})
    op.drop_index(op.f('ix_assets_location_id'), table_name='assets')
    op.drop_index(op.f('ix_assets_category_id'), table_name='assets')
    op.drop_table('assets')
    op.drop_index(op.f('ix_api_tokens_user_id'), table_name='api_tokens')
    op.drop_table('api_tokens')
    op.drop_index(op.f('ix_users_role'), table_name='users')
    op.drop_table('users')
    op.drop_index('ix_outbox_unpublished', table_name='outbox', postgresql_where=sa.text('published_at IS NULL'))
    op.drop_table('outbox')
    op.drop_table('maintenance_types')
    op.drop_index(op.f('ix_locations_parent_id'), table_name='locations')
    op.drop_table('locations')
    op.drop_table('frequencies')
    op.drop_table('asset_categories')
    op.execute("DROP FUNCTION next_code(text, regclass)")
    op.execute("DROP SEQUENCE aviso_code_seq")
    op.execute("DROP SEQUENCE work_order_code_seq")
