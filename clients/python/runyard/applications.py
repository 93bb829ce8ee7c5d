"""flamepy's module functions on Runyard: list_applications(), get_application(), FlameContext and FlamePackage."""

import os
from dataclasses import dataclass, field
from enum import IntEnum
from typing import List, Optional

from .api import Api
from .errors import RunyardError
from .package import DEFAULT_EXCLUDES

#: Flame's Runner template. Runyard needs none (its Python runtime is built in), so it is always there, enabled.
TEMPLATE = "flmrun"


class ApplicationState(IntEnum):
    ENABLED = 0
    DISABLED = 1


@dataclass
class Application:
    """What Runyard tells of an application, with Flame's field names where the same thing exists."""

    name: str
    state: ApplicationState = ApplicationState.ENABLED
    runtime: str = "python"
    working_directory: Optional[str] = None
    package_sha256: Optional[str] = None
    created_by: Optional[str] = None


def _api():
    return Api(os.environ.get("RUNYARD_URL"), os.environ.get("RUNYARD_TOKEN"))


def _application(row):
    return Application(
        name=row["name"],
        runtime=row.get("runtime") or "python",
        working_directory=row.get("workdir"),
        package_sha256=(row.get("package") or {}).get("sha256"),
        created_by=row.get("created_by"),
    )


def list_applications():
    """The applications registered on Runyard (RUNYARD_URL, RUNYARD_TOKEN), and Flame's built-in template `flmrun`."""
    rows = _api().json("GET", "/api/v1/applications")["applications"]
    return [Application(name=TEMPLATE)] + [_application(r) for r in rows]


def get_application(name):
    """The application called `name`, or None when there is none (as flamepy does)."""
    if name == TEMPLATE:
        return Application(name=TEMPLATE)
    try:
        row = _api().json("GET", f"/api/v1/applications/{name}")
    except RunyardError as e:
        if e.status == 404:
            return None
        raise
    return _application(row) if row else None


@dataclass
class FlamePackage:
    """flamepy's package settings: Runyard keeps packages itself (`storage` is its URL), `excludes` as Flame's."""

    storage: Optional[str] = None
    excludes: List[str] = field(default_factory=lambda: list(DEFAULT_EXCLUDES))


class FlameContext:
    """flamepy's view of its configuration, read from Runyard's environment: the cluster and cache are RUNYARD_URL,
    package excludes RUNYARD_EXCLUDES."""

    def __init__(self):
        self.endpoint = Api(os.environ.get("RUNYARD_URL")).url
        self.cache = self.endpoint
        extra = [e.strip() for e in os.environ.get("RUNYARD_EXCLUDES", "").split(",") if e.strip()]
        self.package = FlamePackage(storage=f"{self.endpoint}/api/v1/packages", excludes=list(DEFAULT_EXCLUDES) + extra)
