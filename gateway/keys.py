"""Typed application and request keys, in one place."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.auth_model import AuthUser
from gateway.push import PushHub
from gateway.reads import ListReads
from shared.messaging.rpc import RpcClient
from shared.settings import Settings

SETTINGS = web.AppKey("settings", Settings)
ENGINE = web.AppKey("engine", AsyncEngine)
# Lists and searches: the read replica when there is one (gateway/reads.py).
LIST_READS = web.AppKey("list_reads", ListReads)
RPC = web.AppKey("rpc", RpcClient)
PUSH = web.AppKey("push", PushHub)

USER = web.RequestKey("user", AuthUser)
REQUEST_ID = web.RequestKey("request_id", str)
# The bearer token's hash, for views that check it in their own query (`auth.fetch_as_caller`).
TOKEN_HASH = web.RequestKey("token_hash", str)

__all__ = [
    "AuthUser",
    "ENGINE",
    "LIST_READS",
    "PUSH",
    "REQUEST_ID",
    "RPC",
    "SETTINGS",
    "TOKEN_HASH",
    "USER",
]
