"""Runyard's Runner SDK for Python, with Flame's names: `from runyard import Runner`.

    with Runner("counter-app") as rr:
        counter = rr.service(Counter)
        counter.add(1)
        print(counter.get_counter().get())

RUNYARD_URL (default http://127.0.0.1:8080) and RUNYARD_TOKEN say which Runyard and with what token.
"""

from .applications import Application, ApplicationState, FlameContext, FlamePackage, get_application, list_applications
from .errors import (
    ApplicationExistsError,
    DependencyFailedError,
    ExecutorLostError,
    FlameError,
    FlameErrorCode,
    NoProfileError,
    PackageTooLargeError,
    RemoteError,
    RemoteTraceback,
    RunyardError,
    SessionClosedError,
    SessionLostError,
    StorageLostError,
    StorageMissingError,
)
from .future import ObjectFuture, ObjectFutureIterator, ObjectRef
from .runner import Runner
from .service import RunnerService
from .sessions import Session, SessionContext, SessionState, get_session, list_sessions
from .tasks import ErrorType, RunnerError, Task, TaskState, get_data
from . import cache, core  # noqa: E402 - flamepy's module layout: flamepy.core.ObjectRef, flamepy.cache.ObjectRef

__all__ = [
    "Runner",
    "RunnerService",
    "SessionContext",
    "Session",
    "SessionState",
    "list_sessions",
    "get_session",
    "Task",
    "TaskState",
    "get_data",
    "RunnerError",
    "ErrorType",
    "ObjectFuture",
    "ObjectFutureIterator",
    "ObjectRef",
    "list_applications",
    "get_application",
    "Application",
    "ApplicationState",
    "FlameContext",
    "FlamePackage",
    "FlameError",
    "FlameErrorCode",
    "RunyardError",
    "RemoteError",
    "RemoteTraceback",
    "ApplicationExistsError",
    "PackageTooLargeError",
    "StorageMissingError",
    "StorageLostError",
    "NoProfileError",
    "SessionLostError",
    "SessionClosedError",
    "DependencyFailedError",
    "ExecutorLostError",
]
