"""The Python executor of a Runner SDK session: `python -m runyard.runpy` (or the zipapp Runyard ships with the run).

Started by a runner (LOCAL, SSH, AGENT) through a loader, in its run directory; talks to the Runyard API over HTTP only:
what to serve, the package, the calls in order, results and state back.
"""

import base64
import contextlib
import json
import linecache
import os
import platform
import sys
import tarfile
import tempfile
import time
import traceback
import uuid
from collections import deque

from . import executing
from .api import Api, error_from
from .errors import RunyardError, remote_exception
from .future import ObjectRef

#: Results and state up to this size travel inside the exchange; larger ones are uploaded first.
INLINE_MAX = 128 * 1024
#: What one exchange may carry inline (the API reads bodies of at most 1 MiB).
BATCH_INLINE_MAX = 512 * 1024
#: Several fast calls are committed together, unless the first result would wait longer than this.
BATCH_MS = 20
TAKE = 64
WAIT_MS = 25_000
#: How long the executor keeps trying to reach an API that does not answer before it gives up.
UNREACHABLE_S = 120


class Gone(Exception):
    """The session ended or replaced this executor: exit quietly."""


def clean_text(text):
    """What Postgres can store: no NUL, well-formed UTF-8."""
    return str(text).replace("\0", "").encode("utf-8", "replace").decode("utf-8")


class Executor:
    def __init__(self, api):
        self.api = api
        self.brief = None
        self.target = None
        self.version = 0
        self.cache = {}

    # --- talking to Runyard ---

    def call_api(self, method, path, payload=None, body=None, headers=None):
        """JSON in and out, retried while the API is away; 410 means this executor must stop."""
        deadline = time.monotonic() + UNREACHABLE_S
        delay = 0.25
        while True:
            try:
                if payload is not None:
                    body = json.dumps(payload).encode("utf-8")
                    headers = {"Content-Type": "application/json"}
                status, _, data = self.api.request(method, path, body, headers)
            except RunyardError as e:
                if time.monotonic() > deadline:
                    raise
                print(f"runyard executor: {e}; trying again", file=sys.stderr, flush=True)
                time.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            if status == 410:
                raise Gone(error_from(status, data))
            if status >= 500 and time.monotonic() < deadline and not _storage_gone(status, data):
                time.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            return status, data

    def json(self, method, path, payload=None):
        status, data = self.call_api(method, path, payload)
        if status not in (200, 201, 204):
            raise error_from(status, data)
        return json.loads(data) if data else None

    def fetch(self, key):
        """An object's bytes (an argument, the service, the state), waiting while it is not ready."""
        while True:
            status, data = self.call_api("GET", f"/api/v1/executor/objects/{key}?wait_ms={WAIT_MS}", headers={"Accept": "*/*"})
            if status == 200:
                return data
            if status != 202:
                err = error_from(status, data)
                if status == 424 and "remote_error" in err.body:
                    raise remote_exception(err.body["remote_error"])
                raise err

    def fatal(self, message):
        try:
            self.json("POST", "/api/v1/executor/fatal", {"message": clean_text(message)})
        except (RunyardError, Gone):
            pass

    # --- the application's working directory ---

    def prepare(self):
        """`{workdir}/{name}` with the package extracted into `extracted_{name}` (replaced when the package changed)."""
        b = self.brief
        # In the run account's home: a uid of its own has the run directory as its home, a RUN_AS account shares it.
        base = b["workdir"] or os.environ.get("RUNYARD_WORKDIR") or os.path.join(os.path.expanduser("~"), ".runyard", "apps")
        app_dir = os.path.realpath(os.path.join(base, b["application"]))
        extracted = os.path.join(app_dir, f"extracted_{b['application']}")
        marker = os.path.join(extracted, ".runyard-package")
        sha = b["package"]["sha256"]
        os.makedirs(app_dir, exist_ok=True)
        if _read(marker) != sha:
            status, data = self.call_api("GET", "/api/v1/executor/package", headers={"Accept": "*/*"})
            if status != 200:
                raise error_from(status, data)
            staging = tempfile.mkdtemp(prefix=".extract-", dir=app_dir)
            with tempfile.TemporaryFile() as f:
                f.write(data)
                f.seek(0)
                with tarfile.open(fileobj=f, mode="r:gz") as tar:
                    _extract(tar, staging)
            with open(os.path.join(staging, ".runyard-package"), "w") as m:
                m.write(sha)
            # One executor at a time replaces it: another one must never move away what was just put there for it.
            with _dir_lock(os.path.join(app_dir, ".extract-lock")):
                if _read(marker) == sha:
                    _rmtree(staging)  # another executor of the application was quicker
                else:
                    if os.path.isdir(extracted):
                        # Another package under the same name: the old one is moved away whole.
                        old = os.path.join(app_dir, f".old-{uuid.uuid4().hex}")
                        os.rename(extracted, old)
                        _rmtree(old)
                    os.rename(staging, extracted)
        os.chdir(app_dir)
        sys.path.insert(0, extracted)
        _source_from_package(extracted)

    # --- the service ---

    def load(self):
        import cloudpickle

        b = self.brief
        self.version = b["state"]["version"] if b["state"] else 0
        if b["state"]:
            self.target = cloudpickle.loads(self.fetch(b["state"]["key"]))
            return
        shipped = cloudpickle.loads(self.fetch(b["service_key"]))
        self.target = shipped() if b["kind"] == "class" else shipped

    def resolve(self, value):
        """A top-level argument that is another call's result: fetched here, never by the client."""
        if not isinstance(value, ObjectRef):
            return value
        import cloudpickle

        if value.key not in self.cache:
            if len(self.cache) > 16:
                self.cache.clear()
            self.cache[value.key] = cloudpickle.loads(self.fetch(value.key))
        return self.cache[value.key]

    def run(self, call):
        import cloudpickle

        try:
            raw = base64.b64decode(call["args"]) if call["args"] is not None else self.fetch(call["args_key"])
            args, kwargs = cloudpickle.loads(raw)
            args = [self.resolve(a) for a in args]
            kwargs = {k: self.resolve(v) for k, v in kwargs.items()}
            fn = self.target if call["method"] == "__call__" else getattr(self.target, call["method"])
            value = fn(*args, **kwargs)
            data = cloudpickle.dumps(value)
        except Exception as e:  # noqa: BLE001 - the caller receives whatever the code raised
            return {"call": call["id"], "ok": False, "error": describe(e)}
        try:
            return self.result(call["id"], data)
        except RunyardError as e:
            if e.body.get("storage") is None:
                raise
            # Runyard cannot keep the result: the caller learns it now, with the admin's fix, not after the executor's retries.
            error = {"type": "StorageLostError", "message": clean_text(f"the result ({len(data)} bytes) could not be stored: {e}")}
            return {"call": call["id"], "ok": False, "error": error}

    def result(self, call_id, data):
        if len(data) <= INLINE_MAX:
            return {"call": call_id, "ok": True, "codec": "cloudpickle", "data": base64.b64encode(data).decode("ascii")}
        self.upload(f"/api/v1/executor/uploads/calls/{call_id}", data)
        return {"call": call_id, "ok": True, "codec": "cloudpickle", "staged": True}

    def snapshot(self):
        """The ordered service's state after the calls just run, to commit with their results."""
        import cloudpickle

        self.version += 1
        data = cloudpickle.dumps(self.target)
        if len(data) <= INLINE_MAX:
            return {"version": self.version, "codec": "cloudpickle", "data": base64.b64encode(data).decode("ascii")}
        self.upload(f"/api/v1/executor/uploads/state/{self.version}", data)
        return {"version": self.version, "codec": "cloudpickle", "staged": True}

    def upload(self, path, data):
        status, body = self.call_api("PUT", path, body=data, headers={"Content-Type": "application/octet-stream", "Content-Length": str(len(data))})
        if status not in (200, 201):
            raise error_from(status, body)

    def serve(self):
        ordered = self.brief["ordered"]
        queue = deque()
        done = []
        inline = 0
        started = 0.0
        while True:
            if queue:
                call = queue.popleft()
                if not done:
                    started = time.monotonic()
                result = self.run(call)
                done.append(result)
                inline += len(result.get("data", ""))
                late = (time.monotonic() - started) * 1000 > BATCH_MS
                if queue and not late and inline < BATCH_INLINE_MAX:
                    continue
            exchange = {"results": done, "max": 0 if queue else TAKE, "wait_ms": 0 if queue else WAIT_MS}
            lost = None
            if ordered and done:
                try:
                    exchange["state"] = self.snapshot()
                except RunyardError as e:
                    if e.body.get("storage") is None:
                        raise
                    # The state these calls made cannot be kept: they fail now (not after the executor's retries),
                    # and the instance goes back to its last committed state, as if they never ran.
                    lost = clean_text(f"the instance's state after this call could not be stored: {e}")
                    exchange["results"] = [r if not r["ok"] else {"call": r["call"], "ok": False, "error": {"type": "StorageLostError", "message": lost}} for r in done]
            answer = self.json("POST", "/api/v1/executor/exchange", exchange)
            done, inline = [], 0
            if lost is not None:
                self.brief = self.json("GET", "/api/v1/executor/session")
                self.load()
            if not answer["open"]:
                return
            queue.extend(answer["calls"])


def _storage_gone(status, data):
    """Runyard's storage directory or file is not there: waiting does not bring it back (unlike a restarting API)."""
    try:
        return status == 503 and json.loads(data).get("storage") is not None
    except (ValueError, AttributeError):
        return False


def describe(e):
    """An exception as its caller receives it: type, message, traceback, and the exception itself when it pickles."""
    info = {
        "type": type(e).__qualname__ if type(e).__module__ == "builtins" else f"{type(e).__module__}.{type(e).__qualname__}",
        "message": clean_text(e),
        "stack": clean_text("".join(traceback.format_exception(type(e), e, e.__traceback__))),
    }
    try:
        import cloudpickle

        pickled = cloudpickle.dumps(e)
        if len(pickled) < 64 * 1024:
            info["pickled"] = base64.b64encode(pickled).decode("ascii")
    except Exception:  # noqa: BLE001 - an exception that does not pickle still reaches the caller by name
        pass
    return info


def _source_from_package(extracted):
    """Remote tracebacks show the lines of the code this executor runs: a function's file names the client's
    path, which is not on this host (or not the run's to read), so its lines come from the same path in the package."""
    original = linecache.getlines

    def getlines(filename, module_globals=None):
        lines = original(filename, module_globals)
        if lines or not filename.endswith(".py"):
            return lines
        parts = [p for p in filename.split(os.sep) if p]
        for i in range(len(parts)):
            candidate = os.path.join(extracted, *parts[i:])
            if os.path.isfile(candidate):
                with open(candidate, encoding="utf-8", errors="replace") as f:
                    return f.readlines()
        return lines

    linecache.getlines = getlines


def _read(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


@contextlib.contextmanager
def _dir_lock(path, wait_s=120, stale_s=60):
    """A lock directory (mkdir is atomic): executors of one application on one host take turns; a lock
    older than `stale_s` was left by an executor that died holding it."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            os.mkdir(path)
            break
        except FileExistsError:
            try:
                if time.time() - os.stat(path).st_mtime > stale_s:
                    os.rmdir(path)
                    continue
            except OSError:
                continue
            if time.monotonic() > deadline:
                raise RuntimeError(f"{path} is held by another executor for too long")
            time.sleep(0.05)
    try:
        yield
    finally:
        try:
            os.rmdir(path)
        except OSError:
            pass


def _rmtree(path):
    import shutil

    shutil.rmtree(path, ignore_errors=True)


def _extract(tar, dest):
    """Only regular files and directories inside `dest` (the 'data' filter where Python has it)."""
    if hasattr(tarfile, "data_filter"):
        tar.extractall(dest, filter="data")
        return
    root = os.path.realpath(dest)
    for member in tar.getmembers():
        target = os.path.realpath(os.path.join(dest, member.name))
        if not (member.isfile() or member.isdir()) or not target.startswith(root + os.sep):
            continue
        tar.extract(member, dest)


def main():
    url = os.environ.get("RUNYARD_URL")
    token_file = os.environ.get("RUNYARD_EXECUTOR_TOKEN_FILE", "executor-token")
    if not url or not os.path.exists(token_file):
        print("runyard executor: started without RUNYARD_URL and its credential file; Runyard starts executors itself", file=sys.stderr)
        sys.exit(2)
    with open(token_file) as f:
        api = Api(url, f.read().strip(), timeout=WAIT_MS / 1000 + 30)
    executor = Executor(api)
    try:
        try:
            import cloudpickle  # noqa: F401
        except ImportError:
            executor.fatal(
                f"cloudpickle is not installed for {sys.executable} (Python {platform.python_version()}) on {platform.node()}: "
                "install it there (pip install cloudpickle), or point the profile's PYTHON_EXECUTABLE or VENV at a Python that has it"
            )
            sys.exit(1)
        executor.brief = executor.json("GET", "/api/v1/executor/session")
        own = Api(url, api.token, timeout=WAIT_MS / 1000 + 30)
        own.objects_path = "/api/v1/executor/objects"
        executing.current = (own, executor.brief)
        print(
            f"runyard executor: session {executor.brief['session']} of {executor.brief['application']} ({executor.brief['kind']}), "
            f"Python {platform.python_version()} on {platform.node()}",
            flush=True,
        )
        try:
            executor.prepare()
            executor.load()
        except Gone:
            raise
        except Exception as e:  # noqa: BLE001 - whatever stops the service from loading is the session's end
            traceback.print_exc()
            executor.fatal(f"{type(e).__name__}: {e}")
            sys.exit(1)
        executor.serve()
    except Gone as e:
        print(f"runyard executor: {e}", flush=True)
    print("runyard executor: session closed", flush=True)


if __name__ == "__main__":
    main()
