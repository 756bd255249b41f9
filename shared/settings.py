"""Every setting of the service, read from the environment by one class."""

from __future__ import annotations

from datetime import time
from functools import cached_property
from ipaddress import IPv4Network, IPv6Network
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/mantenimiento"
    # A streaming replica for the gateway's lists and searches (see gateway/reads.py); unset:
    # every read goes to DATABASE_URL.
    database_read_url: str | None = None
    # One URL, or the URLs of a cluster's nodes separated by commas (see `amqp_urls`).
    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    # Replicas of each quorum queue when it is first declared; unset: one per node of AMQP_URL.
    amqp_quorum_size: int | None = Field(None, ge=1)
    # Prefix of every exchange and queue name; tests use their own to stay isolated.
    amqp_namespace: str = "mantenimiento"
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    command_timeout_s: float = Field(10.0, gt=0)
    plant_tz: str = "UTC"
    log_level: str = "INFO"
    # JSON lines or console text; unset: console on a terminal, JSON otherwise.
    log_format: Literal["json", "console"] | None = None
    token_ttl_hours: int = Field(12, ge=1)
    db_pool_size: int = Field(10, ge=1)
    db_connect_timeout_s: float = Field(3.0, gt=0)
    # No statement waits forever: a lock not granted in time, or a statement running too long,
    # fails (503 to the caller, nothing applied). Bulk commands and generation get the long limit.
    db_lock_timeout_s: float = Field(5.0, gt=0)
    db_statement_timeout_s: float = Field(30.0, gt=0)
    db_long_statement_timeout_s: float = Field(300.0, gt=0)
    worker_prefetch: int = Field(16, ge=1)
    # Deliveries of one message before the broker dead-letters it.
    delivery_limit: int = Field(5, ge=1)
    publish_timeout_s: float = Field(5.0, gt=0)
    worker_metrics_port: int = 9100
    # Larger request bodies are answered 413 (a 10,000-item bulk command fits the default).
    max_body_bytes: int = Field(8 * 1024 * 1024, ge=1024)
    # The scheduler generates every day the orders due up to this many days ahead.
    generation_horizon_days: int = Field(30, ge=0, le=3660)
    # Plant-local time of day at which a generated order is scheduled to start.
    generation_start_time: time = time(8)
    # Logins: failures counted per username and per client address within the window; past
    # either limit further attempts are refused (429) without checking the password.
    login_failures_per_user: int = Field(5, ge=1)
    login_failures_per_address: int = Field(20, ge=1)
    login_window_s: int = Field(900, ge=1)
    # Proxies whose X-Forwarded-For hop names the client (IPs or CIDRs, comma-separated);
    # empty: the header is never trusted and the client is the peer.
    trusted_proxies: Annotated[tuple[IPv4Network | IPv6Network, ...], NoDecode] = ()
    # Password hashes and verifications run at once per process (argon2 holds 32 MiB each);
    # a caller that waited longer than PASSWORD_WAIT_S for its turn gets 503.
    password_workers: int = Field(2, ge=1)
    password_wait_s: float = Field(2.0, gt=0)
    # How often the gateway closes the WebSockets whose token expired or was revoked.
    ws_token_check_s: float = Field(30.0, gt=0)
    # The scheduler's daily purge: relayed outbox events (and so the event feed's reach),
    # finished command-log rows (an Idempotency-Key is honoured this long), read notifications;
    # each deleted in batches of `retention_batch` rows, one short transaction per batch.
    outbox_retention_days: int = Field(7, ge=1)
    command_log_retention_days: int = Field(30, ge=1)
    notification_retention_days: int = Field(180, ge=1)
    retention_batch: int = Field(5000, ge=1)
    # Meter readings are kept this long (whole monthly partitions dropped past it); an older
    # reading is refused.
    readings_retention_days: int = Field(730, ge=31)
    # A batch of machines' readings is stored in this many transactions at once, each with its
    # share of the meters (all of one meter's readings in one): PostgreSQL writes one share
    # while the worker judges another.
    readings_stripes: int = Field(2, ge=1)
    # Traces (shared/tracing): an OTLP/HTTP collector's base URL (spans go to its /v1/traces);
    # unset: nothing is traced, nothing is set up. The service name defaults to the process's
    # (mantenimiento-gateway, mantenimiento-worker).
    otel_exporter_otlp_endpoint: str | None = None
    otel_service_name: str | None = None

    @field_validator("plant_tz")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("otel_exporter_otlp_endpoint", "otel_service_name", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        # As OpenTelemetry's own variables are read: empty means unset.
        return value or None

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.plant_tz)

    @property
    def amqp_urls(self) -> list[str]:
        """The broker's nodes, in the order they are tried first."""
        return [url.strip() for url in self.amqp_url.split(",") if url.strip()]

    @property
    def quorum_size(self) -> int:
        return self.amqp_quorum_size or len(self.amqp_urls)
