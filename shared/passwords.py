"""The one argon2 setting for every password hash the service makes.

argon2id with 32 MiB and 3 passes (above OWASP's minimum of 19 MiB and 2 passes): each hash or
verification holds its memory for a moment, so the processes that do them (the gateway at login,
the worker saving a user) do them one at a time (`hash_password`, `verify_password`), which keeps
their peak memory bounded whatever the number of simultaneous logins. A hash keeps its own
parameters: hashes made with other settings still verify.
"""

from __future__ import annotations

import asyncio
import functools
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

HASHER = PasswordHasher(time_cost=3, memory_cost=32 * 1024)


@functools.cache
def _one_at_a_time() -> asyncio.Semaphore:
    return asyncio.Semaphore(1)


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the user is unknown, so both failures take the same time. Made on
    first use, not at import: a process that never needs it should not pay its memory peak."""
    return HASHER.hash(secrets.token_hex(8))


async def hash_password(password: str) -> str:
    """The hash of `password`, made off the event loop."""
    async with _one_at_a_time():
        return await asyncio.to_thread(HASHER.hash, password)


async def verify_password(stored: str | None, password: str) -> bool:
    """Whether `password` matches `stored` (None: an unknown user, refused in the same time)."""

    def verify() -> bool:
        try:
            return HASHER.verify(stored or _dummy_hash(), password) and stored is not None
        except (VerificationError, InvalidHashError):
            return False

    async with _one_at_a_time():
        return await asyncio.to_thread(verify)
