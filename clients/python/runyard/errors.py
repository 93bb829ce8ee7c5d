"""What the Runner SDK raises. Every message says what to do about it."""

from enum import IntEnum


class FlameErrorCode(IntEnum):
    """Flame's error codes (same names and values), carried by every RunyardError as `.code`."""

    INVALID_CONFIG = 0
    INVALID_STATE = 1
    INVALID_ARGUMENT = 2
    INTERNAL = 3
    ALREADY_EXISTS = 4
    NOT_FOUND = 5


_CODE_OF_STATUS = {400: FlameErrorCode.INVALID_ARGUMENT, 404: FlameErrorCode.NOT_FOUND, 409: FlameErrorCode.ALREADY_EXISTS}


class RunyardError(Exception):
    """A Runyard API answer that is not a success, or Runyard unreachable. Also importable as FlameError."""

    code = FlameErrorCode.INTERNAL

    def __init__(self, message, status=None, body=None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.body = body or {}
        if type(self).code is FlameErrorCode.INTERNAL and status in _CODE_OF_STATUS:
            self.code = _CODE_OF_STATUS[status]


#: Flame's name: `except FlameError as e: e.code == FlameErrorCode.ALREADY_EXISTS` works unchanged.
FlameError = RunyardError


class ApplicationExistsError(RunyardError):
    """The application name is taken: choose another, reuse it (fail_if_exists=False), or remove it (runyard apps rm NAME)."""

    code = FlameErrorCode.ALREADY_EXISTS


class PackageTooLargeError(RunyardError):
    """The packed directory is larger than the Runyard accepts: exclude what the code does not need."""

    code = FlameErrorCode.INVALID_ARGUMENT


class StorageMissingError(RunyardError):
    """Runyard's package or object storage directory does not exist: the admin has to create it."""

    code = FlameErrorCode.INVALID_CONFIG


class NoProfileError(RunyardError):
    """No profile of the Runyard can start executors for this runtime."""

    code = FlameErrorCode.INVALID_CONFIG


class RemoteTraceback(Exception):
    """The traceback of an exception raised on the executor; shown as the cause of the re-raised exception."""

    def __init__(self, tb):
        super().__init__(tb)
        self.tb = tb

    def __str__(self):
        return self.tb


class RemoteError(RunyardError):
    """An exception raised remotely whose type could not be rebuilt here: its type name, message and remote traceback."""

    def __init__(self, type_name, message, remote_traceback=None):
        super().__init__(f"{type_name}: {message}")
        self.type_name = type_name
        self.remote_message = message
        self.remote_traceback = remote_traceback


class SessionLostError(RemoteError):
    """The service's executors kept vanishing (or could not start): its calls cannot complete."""


class SessionClosedError(RemoteError):
    """The service was closed before the call ran."""


class DependencyFailedError(RemoteError):
    """A future passed as an argument failed, so the call could not run."""


class ExecutorLostError(RemoteError):
    """The executor running the call vanished every time it was tried."""


class StorageLostError(RemoteError):
    """Runyard's object or package storage is gone (deleted or unmounted): the message names it and the fix."""

    code = FlameErrorCode.INVALID_CONFIG


_RUNYARD_REMOTE = {
    "StorageLostError": StorageLostError,
    "SessionLostError": SessionLostError,
    "SessionClosedError": SessionClosedError,
    "DependencyFailedError": DependencyFailedError,
    "ExecutorLostError": ExecutorLostError,
}


def remote_exception(info):
    """The exception a failed call raises at the caller: the very type when it could be shipped, else RemoteError."""
    type_name = info.get("type", "Error")
    message = info.get("message", "")
    stack = info.get("stack")
    if type_name in _RUNYARD_REMOTE:
        return _RUNYARD_REMOTE[type_name](type_name, message, stack)
    pickled = info.get("pickled")
    if pickled:
        try:
            import base64

            import cloudpickle

            exc = cloudpickle.loads(base64.b64decode(pickled))
            if isinstance(exc, BaseException):
                if stack:
                    exc.__cause__ = RemoteTraceback(stack)
                return exc
        except Exception:  # noqa: BLE001 - a type that does not unpickle here falls back to RemoteError
            pass
    error = RemoteError(type_name, message, stack)
    if stack:
        error.__cause__ = RemoteTraceback(stack)
    return error
