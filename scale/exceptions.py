"""Domain exceptions: services raise these, one handler turns them into HTTP answers."""


class DomainError(Exception):
    """A request that the domain refuses; ``status_code`` is the HTTP answer it maps to."""

    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    """The request is well-formed but the object's state forbids it."""

    status_code = 409
