"""Domain errors: a stable code each, and the one table mapping codes to HTTP statuses."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

HTTP_STATUS: dict[str, int] = {
    "bad_request": 400,
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "conflict": 409,
    "too_large": 413,
    "invalid": 422,
    "too_many_requests": 429,
    "unavailable": 503,
}


class DomainError(Exception):
    """An error the caller caused; it becomes the contract's error body."""

    code = "bad_request"
    # Seconds a client should wait before trying again (the `Retry-After` header), when it applies.
    retry_after: int | None = None

    def __init__(
        self,
        message: str,
        errors: list[dict[str, Any]] | None = None,
        *,
        retry_after: int | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or []
        if retry_after is not None:
            self.retry_after = retry_after
        # Fields the caller needs besides the message (e.g. the id of an existing duplicate).
        self.extra = extra

    @property
    def http_status(self) -> int:
        return HTTP_STATUS[self.code]

    def body(self) -> dict[str, Any]:
        return {"status": "error", "message": self.message, "errors": self.errors, **self.extra}


class BadRequest(DomainError):
    code = "bad_request"


class Unauthorized(DomainError):
    code = "unauthorized"


class Forbidden(DomainError):
    code = "forbidden"


class NotFound(DomainError):
    code = "not_found"


class Conflict(DomainError):
    code = "conflict"


class TooLarge(DomainError):
    code = "too_large"


class Invalid(DomainError):
    code = "invalid"


class TooManyRequests(DomainError):
    code = "too_many_requests"


class Unavailable(DomainError):
    code = "unavailable"
    retry_after = 5


def field_error(loc: list[str | int], msg: str, **extra: Any) -> dict[str, Any]:
    return {"loc": loc, "msg": msg, **extra}


def invalid_input(exc: ValidationError, where: str) -> Invalid:
    """A pydantic failure as the contract's 422, each error located under `where` (body, query)."""
    errors = [
        field_error([where, *err["loc"]], err["msg"])
        for err in exc.errors(include_url=False, include_context=False)
    ]
    return Invalid(f"invalid {where}", errors)
