"""Domain errors that carry their HTTP status. Imports nothing of the web layer."""

from typing import Any


class DomainError(Exception):
    """A refusal the person should read: the message is plain English."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None, current: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.current = current


class NotSignedIn(DomainError):
    status_code = 401


class SessionEnded(NotSignedIn):
    """A form arrived after its sender's session lapsed; `kept` is the secret under which
    what they sent was kept for them (None when it could not be kept)."""

    def __init__(self, message: str, *, kept: str | None = None) -> None:
        super().__init__(message)
        self.kept = kept


class Forbidden(DomainError):
    status_code = 403


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    """A wrong stage, a duplicate, or a stale version (then `current` holds the record)."""

    status_code = 409


class Invalid(DomainError):
    """Bad input; `errors` maps field names to plain-English reasons."""

    status_code = 422

    def __init__(self, errors: dict[str, str]) -> None:
        first = next(iter(errors.items()))
        super().__init__(first[1], field=first[0])
        self.errors = errors


class TooLarge(Invalid):
    """An upload over its size limit (413); `errors` names the field, as for Invalid."""

    status_code = 413


class TooManyAttempts(DomainError):
    status_code = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class SignInFailed(DomainError):
    """Single sign-on could not be completed: the flow's state, or the provider's answer,
    was not right (400), or the provider answered with something unusable (502)."""

    status_code = 400

    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.status_code = status


class SignInRefused(DomainError):
    """The provider vouched for the person, but they may not get in here."""

    status_code = 403


class ProviderUnavailable(DomainError):
    """The organisation's identity provider cannot be reached."""

    status_code = 503
