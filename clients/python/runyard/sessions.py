"""Sessions by name, with flamepy's names: SessionContext (a session id of the client's choosing), Session, SessionState,
list_sessions() and get_session()."""

import logging
import os
from dataclasses import dataclass
from enum import IntEnum
from typing import Optional

from .api import Api
from .errors import RunyardError

log = logging.getLogger("runyard")

#: Flame's limit on a session id; Runyard also keeps to letters, digits, '.', '_' and '-' (it refuses others with a 400).
MAX_SESSION_ID = 128


@dataclass
class SessionContext:
    """Attached to what `Runner.service()` serves as `_session_context` (on a class, an instance or a function): the
    service's session is named `session_id` (unique within the application) instead of `{application}-{number}`, and an
    open session of that name is joined rather than opened again. `application_name` is only carried, as in Flame."""

    session_id: Optional[str] = None
    application_name: Optional[str] = None

    def __post_init__(self):
        # Flame's checks and messages.
        if self.session_id is not None:
            if not isinstance(self.session_id, str):
                raise ValueError(f"session_id must be a string, got {type(self.session_id)}")
            if len(self.session_id) == 0:
                raise ValueError("session_id cannot be empty string")
            if len(self.session_id) > MAX_SESSION_ID:
                raise ValueError(f"session_id too long ({len(self.session_id)} chars, max {MAX_SESSION_ID})")
        if self.application_name is not None and not isinstance(self.application_name, str):
            raise ValueError(f"application_name must be a string, got {type(self.application_name)}")


def session_name_of(execution_object):
    """The session id its `_session_context` asks for, or None; anything else than a SessionContext is ignored, as Flame does."""
    ctx = getattr(execution_object, "_session_context", None)
    if ctx is None:
        return None
    if not isinstance(ctx, SessionContext):
        log.warning("_session_context is a %s, not a SessionContext: ignored", type(ctx).__name__)
        return None
    return ctx.session_id


class SessionState(IntEnum):
    """Flame's values. A session Runyard lost (its executors kept ending) is CLOSED here; `Session.status` says which."""

    OPEN = 0
    CLOSED = 1


class Session:
    """A session as Runyard tells it: `id` is its name (Flame's session id), `number` Runyard's own id."""

    def __init__(self, row, api=None):
        self._api = api or _api()
        self.id = row["name"]
        self.number = row["id"]
        self.application = row["application"]
        self.status = row["status"]
        self.state = SessionState.OPEN if row["status"] == "open" else SessionState.CLOSED
        self.detail = row.get("detail")
        self.kind = row.get("kind")
        self.created_by = row.get("created_by")

    def list_tasks(self):
        """Its calls (Flame's tasks) in submission order: only the session's owner (or an admin) may read them."""
        from .tasks import list_tasks

        return list_tasks(self._api, self)

    def __repr__(self):
        return f"Session(id={self.id!r}, application={self.application!r}, status={self.status!r})"


def _api():
    return Api(os.environ.get("RUNYARD_URL"), os.environ.get("RUNYARD_TOKEN"))


#: Runyard answers at most this many sessions at once: list_sessions() gives the most recent ones.
_LIST_LIMIT = 500


def list_sessions(application=None):
    """The most recent sessions (of `application`, if given), newest first."""
    query = {"limit": _LIST_LIMIT, **({"application": application} if application else {})}
    api = _api()
    return [Session(r, api) for r in api.json("GET", "/api/v1/sessions", query=query)["sessions"]]


def get_session(session_id, application=None):
    """The session named `session_id` (a name is unique within its application: give `application` when several have it)."""
    query = {"name": str(session_id), "limit": 2, **({"application": application} if application else {})}
    api = _api()
    rows = api.json("GET", "/api/v1/sessions", query=query)["sessions"]
    if not rows:
        raise RunyardError(f"no session is named {session_id!r}", 404, {})
    if len(rows) > 1:
        apps = ", ".join(r["application"] for r in rows)
        raise RunyardError(f"sessions of several applications are named {session_id!r} ({apps}): give application=", 400, {})
    return Session(rows[0], api)
