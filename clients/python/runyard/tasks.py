"""A session's calls read back, with flamepy's names: `Session.list_tasks()` → Task, and `get_data(task.input | task.output)`.

As Flame's, a task's `input` and `output` are small encoded references (JSON here, BSON in Flame) that get_data() resolves:
the call's method and arguments, or its result. Runyard answers a session's calls to its owner (or an admin) only."""

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from enum import Enum, IntEnum
from typing import Any, Optional

from .errors import RunyardError
from .future import ObjectFuture, ObjectRef

#: What a Task's `input` bytes say they are (get_data() reads no other JSON).
_INPUT = "runyard-call"
#: Calls read back per request.
_PAGE = 500


class TaskState(IntEnum):
    """Flame's values. A call cancelled by closing its session is FAILED here."""

    PENDING = 0
    RUNNING = 1
    SUCCEED = 2
    FAILED = 3


_STATE = {"pending": TaskState.PENDING, "running": TaskState.RUNNING, "done": TaskState.SUCCEED}


@dataclass
class Task:
    """One call of a session: `id` its sequence number, `input`/`output` for get_data() (`output` None until it has run)."""

    id: int
    session_id: str
    state: TaskState
    method: Optional[str]
    creation_time: Optional[datetime] = None
    input: Any = None
    output: Any = None
    completion_time: Optional[datetime] = None

    def is_completed(self):
        return self.state in (TaskState.SUCCEED, TaskState.FAILED)

    def is_failed(self):
        return self.state == TaskState.FAILED


def _time(value):
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def list_tasks(api, session):
    """Every call of `session` (a Session), in submission order."""
    after = -1
    while True:
        rows = api.json("GET", f"/api/v1/sessions/{session.number}/calls", query={"after": after, "limit": _PAGE})["calls"]
        for row in rows:
            method = None if row["method"] == "__call__" else row["method"]
            state = _STATE.get(row["state"], TaskState.FAILED)
            encoded = {"kind": _INPUT, "endpoint": api.url, "method": method, "args": row["args"], "args_key": row["args_key"]}
            yield Task(
                id=row["seq"],
                session_id=session.id,
                state=state,
                method=method,
                creation_time=_time(row.get("created_at")),
                input=json.dumps(encoded).encode("utf-8"),
                output=ObjectRef(row["result_key"], api.url).encode() if state in (TaskState.SUCCEED, TaskState.FAILED) else None,
                completion_time=_time(row.get("finished_at")),
            )
        if len(rows) < _PAGE:
            return
        after = rows[-1]["seq"]


class ErrorType(Enum):
    """Flame's values."""

    DECODE_ERROR = "decode_error"
    CACHE_RETRIEVAL_ERROR = "cache_retrieval_error"
    DATA_FORMAT_ERROR = "data_format_error"


class RunnerError(RunyardError):
    """What get_data() raises, with Flame's `error_type`."""

    def __init__(self, error_type, message, cause=None, key=None):
        super().__init__(message)
        self.error_type = error_type
        self.cause = cause
        self.key = key


def get_data(data, api=None):
    """A task's input as {"type": "input", "method", "args", "kwargs", "metadata"} (the arguments that were other calls'
    results resolved to their values), or its output as {"type": "output", "result", "metadata"}, as Flame's get_data."""
    from .sessions import _api

    if not isinstance(data, (bytes, bytearray)) or not data:
        raise RunnerError(ErrorType.DECODE_ERROR, "failed to decode task data: it is empty or not bytes")
    try:
        fields = json.loads(bytes(data))
        if not isinstance(fields, dict):
            raise ValueError("not an object")
    except ValueError as e:
        raise RunnerError(ErrorType.DECODE_ERROR, f"failed to decode task data: {e}", cause=e) from e
    api = api or _api()
    if fields.get("kind") == _INPUT:
        args, kwargs = _arguments(api, fields)
        resolve = lambda v: _fetch(api, v.key) if isinstance(v, ObjectRef) else v  # noqa: E731
        return {
            "type": "input",
            "method": fields.get("method"),
            "args": tuple(resolve(a) for a in args),
            "kwargs": {k: resolve(v) for k, v in kwargs.items()},
            "metadata": {"args_key": fields.get("args_key")},
        }
    if "key" in fields:
        ref = ObjectRef.decode(bytes(data))
        return {"type": "output", "result": _fetch(api, ref.key), "metadata": {"key": ref.key}}
    raise RunnerError(ErrorType.DATA_FORMAT_ERROR, "task data is neither a call's input nor a result reference")


def _arguments(api, fields):
    if fields.get("args") is not None:
        import cloudpickle

        try:
            return cloudpickle.loads(base64.b64decode(fields["args"]))
        except Exception as e:  # noqa: BLE001 - whatever unpickling raises is a decoding failure here
            raise RunnerError(ErrorType.DECODE_ERROR, f"failed to decode the call's arguments: {e}", cause=e) from e
    if fields.get("args_key"):
        return _fetch(api, fields["args_key"])
    raise RunnerError(ErrorType.DATA_FORMAT_ERROR, "the call's input has neither arguments nor args_key")


def _fetch(api, key):
    try:
        return ObjectFuture(api, key).get()
    except RunyardError as e:
        raise RunnerError(ErrorType.CACHE_RETRIEVAL_ERROR, f"failed to retrieve {key}: {e}", cause=e, key=key) from e
