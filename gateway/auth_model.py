"""The authenticated caller as the gateway sees it."""

from __future__ import annotations

from dataclasses import dataclass

from shared.enums import Role


@dataclass(frozen=True)
class AuthUser:
    id: int
    username: str
    full_name: str
    role: Role

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "username": self.username,
            "full_name": self.full_name,
            "role": self.role.value,
        }
