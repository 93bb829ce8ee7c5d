"""flamepy.core's names that mean something on Runyard (`flamepy.core.ObjectRef`, `get_session`, …), for code written
against Flame's module layout."""

from .applications import FlameContext, get_application, list_applications
from .errors import FlameError, FlameErrorCode
from .future import ObjectFuture, ObjectRef
from .sessions import Session, SessionState, get_session, list_sessions
from .tasks import Task, TaskState

__all__ = [
    "FlameContext",
    "get_application",
    "list_applications",
    "FlameError",
    "FlameErrorCode",
    "ObjectFuture",
    "ObjectRef",
    "Session",
    "SessionState",
    "get_session",
    "list_sessions",
    "Task",
    "TaskState",
]
