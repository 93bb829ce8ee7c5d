"""Runner (Flame's name): packs a directory, registers an application, opens services on it, and cleans up in Flame's order."""

import json
import logging
import os
import shutil
import threading

from . import executing
from .api import Api, error_from
from .errors import ApplicationExistsError, NoProfileError, PackageTooLargeError, RunyardError, StorageMissingError
from .future import ObjectFuture, ObjectFutureIterator, ObjectRef
from .package import pack
from .service import RunnerService, replicas_for
from .sessions import session_name_of

log = logging.getLogger("runyard")


class Runner:
    """`with Runner("my-app") as rr:` packs the current directory (or `root`), uploads it unless Runyard has it already,
    and registers the application; leaving the block closes its services, unregisters it, deletes its objects, releases
    its package and removes the local archive. Runyard's address and token come from RUNYARD_URL and RUNYARD_TOKEN."""

    def __init__(
        self,
        name,
        fail_if_exists=None,
        excludes=None,
        profile=None,
        reuse=None,
        root=None,
        workdir=None,
        url=None,
        token=None,
        _start=True,
    ):
        self.name = name
        self.excludes = list(excludes or []) + [e for e in os.environ.get("RUNYARD_EXCLUDES", "").split(",") if e.strip()]
        self.profile = profile or os.environ.get("RUNYARD_PROFILE") or None
        # Flame's fail_if_exists=False (its default) is Runyard's reuse=True; an explicit reuse= keeps its older meaning.
        self.reuse = (not fail_if_exists) if reuse is None else bool(reuse)
        self.root = os.path.abspath(root or os.getcwd())
        self.workdir = workdir
        self._api = Api(url or os.environ.get("RUNYARD_URL"), token if token is not None else os.environ.get("RUNYARD_TOKEN"))
        self._services = []
        self._archive = None
        self._package = None
        self._owner = False
        self._started = False
        self._stop = threading.Event()
        self._lease = None
        self.application = None
        #: Inside an executor, with no token of its own: a Runner of the executor's application serves its own session.
        self._inside = None
        inside = executing.current
        if inside and token is None and url is None and not os.environ.get("RUNYARD_TOKEN") and inside[1]["application"] == name:
            self._api, self._inside = inside
            self._started = True
        if _start:
            # Flame (since Feb 2026) starts in the constructor; `with Runner(...)` then finds it started.
            self.start()

    @classmethod
    def _client_for(cls, app):
        """A Runner on an application registered elsewhere (RunnerService used on its own): no packing, no cleanup."""
        runner = cls(app, _start=False)
        runner._started = True
        return runner

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def start(self):
        if self._started:
            return self
        try:
            return self._register()
        except RunyardError as e:
            self._remove_archive()
            if e.status == 401 and os.environ.get("RUNYARD_SESSION"):
                # Code served by an executor (Flame's recursive services): the executor's credential opens no Runner.
                raise RunyardError(
                    f"{e}: a Runner inside a Runyard executor (session {os.environ['RUNYARD_SESSION']}) needs an API token of its own"
                    " (RUNYARD_TOKEN or token=): an executor holds only its session's credential",
                    e.status,
                    e.body,
                ) from e
            raise
        except BaseException:
            # Nothing of a start that failed stays on this machine.
            self._remove_archive()
            raise

    def _register(self):
        self._archive, sha, size, _ = pack(self.root, self.name, self.excludes)
        self._package = sha
        self._upload(sha, size)
        body = {"name": self.name, "package_sha": sha, "runtime": "python", "reuse": bool(self.reuse)}
        if self.profile:
            body["profile"] = self.profile
        if self.workdir:
            body["workdir"] = self.workdir
        payload = json.dumps(body).encode("utf-8")
        status, _, data = self._api.request("POST", "/api/v1/applications", payload, {"Content-Type": "application/json"}, False)
        if status not in (200, 201):
            raise error_from(status, data, _registration_error(status, data))
        self.application = json.loads(data)
        self._owner = not self.application["reused"]
        self._started = True
        self._lease = threading.Thread(target=self._renew, args=(self.application["lease_ms"] / 3000.0,), daemon=True)
        self._lease.start()
        return self

    def _upload(self, sha, size):
        status, _, data = self._api.request("GET", f"/api/v1/packages/{sha}?size={size}")
        if status == 200:
            return
        if status == 413:
            raise error_from(status, data, PackageTooLargeError)
        if status == 503:
            raise error_from(status, data, StorageMissingError)
        if status != 404:
            raise error_from(status, data)
        with open(self._archive, "rb") as f:
            content = f.read()
        status, _, data = self._api.request(
            "PUT", f"/api/v1/packages/{sha}", content, {"Content-Type": "application/octet-stream", "Content-Length": str(len(content))}
        )
        if status == 413:
            raise error_from(status, data, PackageTooLargeError)
        if status not in (200, 201):
            raise error_from(status, data, StorageMissingError if status == 503 else RunyardError)

    def _renew(self, every_s):
        while not self._stop.wait(every_s):
            try:
                self._api.json("POST", f"/api/v1/applications/{self.name}/lease", {})
            except RunyardError as e:
                log.warning("renewing the lease of application %s failed: %s", self.name, e)

    def service(self, execution_object, autoscale=None, warmup=0, resreq=None, replicas=None):
        """A RunnerService for a function, class or instance. Flame's `autoscale=True` is a pool of AUTOSCALE_REPLICAS
        executors, `warmup=N` N executors from the start; an instance is one executor (Flame refuses the same). `resreq` is
        accepted and not used: a Runyard profile says where executors run and with what."""
        if not self._started:
            self.start()
        count = replicas_for(execution_object, autoscale, warmup, replicas)
        if self._inside is not None:
            return self._own_session(execution_object)
        if resreq is not None:
            log.info("application %s: resreq is not used by Runyard (its profile places the executors)", self.name)
        svc = RunnerService(self.name, execution_object, runner=self, replicas=count)
        self._services.append(svc)
        return svc

    def _own_session(self, execution_object):
        brief = self._inside
        if session_name_of(execution_object) != brief["name"]:
            raise RunyardError(
                f"code served by an executor opens only its own session ({brief['name']!r}, with a SessionContext naming it) "
                "without an API token; give it one (RUNYARD_TOKEN or token=) to open others"
            )
        svc = RunnerService(self.name, execution_object, runner=self, own_session=brief)
        self._services.append(svc)
        return svc

    def put_object(self, obj):
        """Stores `obj` under `{app}/shared` (Flame's put_object); answers its ObjectRef, usable as an argument."""
        import cloudpickle

        return ObjectRef(self._put_bytes(cloudpickle.dumps(obj), "shared"))

    def get(self, futures):
        """Flame's get(list of futures) -> list of results, in the list's order. A single future, ObjectRef or key answers
        its one object: an object of this client's own (a result of its sessions' calls, or one it put); anything else is
        refused, never unpickled."""
        if isinstance(futures, (list, tuple)):
            return [self._get_one(f) for f in _futures_or_refs(futures, "get")]
        return self._get_one(futures)

    def wait(self, futures):
        """Flame's: waits until every call of the list has run, without downloading a result; raises the first failure."""
        for f in _futures(futures, "wait"):
            f.wait()

    def ref(self, futures):
        """Flame's: the ObjectRef of each future's result, once its call has run."""
        return [f.ref() for f in _futures(futures, "ref")]

    def select(self, futures):
        """Flame's: an iterator yielding the futures as their calls finish."""
        return ObjectFutureIterator(_futures(futures, "select"))

    def _get_one(self, ref):
        if not isinstance(ref, (ObjectFuture, ObjectRef, str)):
            raise TypeError(f"get() takes a list of ObjectFuture (or one ObjectFuture, ObjectRef or key), not {type(ref).__name__}")
        key = ref.key if isinstance(ref, (ObjectRef, ObjectFuture)) else ref
        app, _, rest = str(key).partition("/")
        session = rest.partition("/")[0]
        if app != self.name or session not in {"shared", *(str(s.session_id) for s in self._services)}:
            raise RunyardError(f"{key!r} is not an object of this client's sessions of {self.name}: it is not fetched nor unpickled")
        if isinstance(ref, ObjectFuture) and ref._api is self._api:
            return ref.get()
        return ObjectFuture(self._api, key).get()

    def _put_bytes(self, payload, session):
        status, _, data = self._api.request(
            "PUT",
            f"/api/v1/objects/{self.name}/{session}?codec=cloudpickle",
            payload,
            {"Content-Type": "application/octet-stream", "Content-Length": str(len(payload))},
            False,
        )
        if status != 201:
            raise error_from(status, data)
        return json.loads(data)["key"]

    def close(self):
        """Flame's cleanup order, each step's failure logged and the rest still done. A reused application is left to its owner."""
        self._stop.set()
        steps = []
        if self._owner:
            steps += [("closing its services", self._close_services)]
            steps += [("unregistering the application", lambda: self._api.json("DELETE", f"/api/v1/applications/{self.name}", expect=(200, 404)))]
            steps += [("deleting its objects", lambda: self._api.json("DELETE", f"/api/v1/objects/{self.name}", expect=(204, 404)))]
            if self._package:
                steps += [("releasing its package", lambda: self._api.json("DELETE", f"/api/v1/packages/{self._package}", expect=(204, 404, 409)))]
        steps += [("removing the local archive", self._remove_archive)]
        for what, step in steps:
            try:
                step()
            except Exception as e:  # noqa: BLE001 - every step is tried whatever the previous ones did
                log.warning("application %s: %s failed: %s", self.name, what, e)
        self._owner = False
        self._package = None

    def _close_services(self):
        failures = []
        for svc in self._services:
            try:
                svc.close()
            except Exception as e:  # noqa: BLE001
                failures.append(f"session {svc.session_id}: {e}")
        self._services = []
        if failures:
            raise RunyardError("; ".join(failures))

    def _remove_archive(self):
        if self._archive:
            shutil.rmtree(os.path.dirname(self._archive), ignore_errors=True)
            self._archive = None


def _futures(futures, what):
    if not isinstance(futures, (list, tuple)):
        raise TypeError(f"{what}() takes a list of ObjectFuture, not {type(futures).__name__}")
    for f in futures:
        if not isinstance(f, ObjectFuture):
            raise TypeError(f"{what}() takes a list of ObjectFuture; it got a {type(f).__name__}")
    return list(futures)


def _futures_or_refs(items, what):
    for f in items:
        if not isinstance(f, (ObjectFuture, ObjectRef)):
            raise TypeError(f"{what}() takes a list of ObjectFuture (or ObjectRef); it got a {type(f).__name__}")
    return items


def _registration_error(status, data):
    if status == 409:
        return ApplicationExistsError
    if status == 400 and (b"no profile can run" in data or b"cannot run python" in data):
        return NoProfileError
    return RunyardError
