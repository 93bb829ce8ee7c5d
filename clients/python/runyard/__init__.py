"""Runyard's Runner SDK for Python, with Flame's names: `from runyard import Runner`.

    with Runner("counter-app") as rr:
        counter = rr.service(Counter)
        counter.add(1)
        print(counter.get_counter().get())

RUNYARD_URL (default http://127.0.0.1:8080) and RUNYARD_TOKEN say which Runyard and with what token.
"""

from .errors import (
    ApplicationExistsError,
    DependencyFailedError,
    ExecutorLostError,
    NoProfileError,
    PackageTooLargeError,
    RemoteError,
    RemoteTraceback,
    RunyardError,
    SessionClosedError,
    SessionLostError,
    StorageMissingError,
)
from .future import ObjectFuture, ObjectRef
from .runner import Runner
from .service import RunnerService

__all__ = [
    "Runner",
    "RunnerService",
    "ObjectFuture",
    "ObjectRef",
    "RunyardError",
    "RemoteError",
    "RemoteTraceback",
    "ApplicationExistsError",
    "PackageTooLargeError",
    "StorageMissingError",
    "NoProfileError",
    "SessionLostError",
    "SessionClosedError",
    "DependencyFailedError",
    "ExecutorLostError",
]
