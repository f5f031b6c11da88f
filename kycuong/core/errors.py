"""Domain errors: one shape `{code, message, details}` everywhere (API, forms, CLI).

Services raise these; API handlers and views translate them. Messages are lazy
translations so the same error reads in Vietnamese or English depending on the request.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A business rule refused the operation. Nothing was changed."""

    code = "invalid"
    status = 400

    def __init__(self, message: Any, *, code: str | None = None, details: dict[str, Any] | None = None):
        super().__init__(str(message))
        self.message = message
        if code:
            self.code = code
        self.details = details or {}

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": str(self.message), "details": _plain(self.details)}


class ValidationFailed(DomainError):
    code = "validation_error"
    status = 422


class NotFound(DomainError):
    code = "not_found"
    status = 404


class Forbidden(DomainError):
    code = "forbidden"
    status = 403


class Conflict(DomainError):
    """The object changed since it was read (stale state) or a uniqueness rule was hit."""

    code = "conflict"
    status = 409


class ImportFailed(ValidationFailed):
    """An import was rejected as a whole; `details` names the line."""

    code = "import_failed"

    def __init__(self, message: Any, *, line: int, details: dict[str, Any] | None = None):
        super().__init__(message, details={"line": line, **(details or {})})
        self.line = line

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)
