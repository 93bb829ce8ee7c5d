"""ObjectRef and ObjectFuture (Flame's names): a call's result, usable as another call's argument before it exists."""

import json
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor, as_completed

from .api import error_from
from .errors import RunyardError, remote_exception

_WAIT_MS = 25_000


class ObjectRef:
    """The key of an object (`{app}/{session}/{uuid}`): what travels when a future is passed as an argument. As Flame's, it
    carries the `endpoint` serving it and the stored `version` (0 = not known yet), and encode()/decode() it as bytes."""

    __slots__ = ("key", "endpoint", "version")

    def __init__(self, key, endpoint=None, version=0):
        self.key = key
        self.endpoint = endpoint
        self.version = version

    @property
    def url(self):
        """Where the object's bytes are read (with the client's token)."""
        return f"{self.endpoint}/api/v1/objects/{self.key}" if self.endpoint else None

    def encode(self):
        """Flame encodes with BSON; Runyard's client has no dependency, so JSON: decode() reads what encode() wrote."""
        return json.dumps({"endpoint": self.endpoint, "key": self.key, "version": self.version}).encode("utf-8")

    @classmethod
    def decode(cls, data):
        try:
            fields = json.loads(data)
            return cls(str(fields["key"]), fields.get("endpoint"), int(fields.get("version") or 0))
        except (ValueError, TypeError, KeyError) as e:
            raise RunyardError(f"not an encoded ObjectRef: {e}", body={}) from e

    def __reduce__(self):
        return (ObjectRef, (self.key, self.endpoint, self.version))

    def __repr__(self):
        return f"ObjectRef({self.key!r}, version={self.version})"

    def __eq__(self, other):
        return isinstance(other, ObjectRef) and other.key == self.key

    def __hash__(self):
        return hash(self.key)


_UNSET = object()
#: What one look asks for: the awaited call and up to this many others of its service still awaited (the API takes 256).
_LOOK_IDS = 256


class Results:
    """A service's results, where its calls are waited for by id. One look asks for the awaited call and the service's other
    calls not yet answered, and hands each its record: reading 1,000 finished results takes a few requests, not 1,000."""

    def __init__(self, path):
        self.path = path
        self._awaited = weakref.WeakValueDictionary()
        self._lock = threading.Lock()

    def add(self, call_id, future):
        with self._lock:
            self._awaited[call_id] = future

    def done(self, call_id):
        with self._lock:
            self._awaited.pop(call_id, None)

    def look(self, api, call_id, wait_ms):
        """The finished records among this call and the others awaited; the others' are handed to their futures."""
        with self._lock:
            others = [i for i in self._awaited.keys() if i != call_id][: _LOOK_IDS - 1]
        ids = ",".join([call_id, *others])
        status, _, data = api.request("GET", f"{self.path}?ids={ids}&wait_ms={wait_ms}")
        if status != 200:
            raise error_from(status, data)
        mine = None
        for r in json.loads(data)["results"]:
            found = r["key"].rsplit("/", 1)[1]
            if found == call_id:
                mine = r
                continue
            with self._lock:
                other = self._awaited.pop(found, None)
            if other is not None and other.key == r["key"]:
                other._found = r
        return mine


class ObjectFuture:
    """The result of a remote call. get() fetches (and caches) it; wait() and ref() wait for it without downloading it."""

    def __init__(self, api, key, submitted=None, results=None):
        self._api = api
        self._key = key
        #: The call's submission, while on its way (None: stored).
        self._submitted = submitted
        #: Its service's results, where the call is waited for by its own id (a Results), beside its submission.
        self._results = results
        #: Its record, when a look made for another call of the service found it finished.
        self._found = None
        self._value = _UNSET
        self._error = None
        self._version = 0
        self._lock = threading.Lock()
        if results is not None:
            results.add(key.rsplit("/", 1)[1], self)

    @property
    def key(self):
        return self._key

    def ref(self):
        """As Flame's: waits until the call has run (raising its error if it failed) and answers the result's ObjectRef,
        with its version. Passing the future itself as an argument does not wait."""
        self.wait()
        return ObjectRef(self._key, self._api.url, self._version)

    def _pending_ref(self):
        # What an argument carries: the executor resolves it when it is there, this client neither waits nor downloads.
        return ObjectRef(self._key, self._api.url)

    def wait(self):
        """Blocks until the call has run, raising its error if it failed; the result itself is not downloaded."""
        with self._lock:
            if self._value is _UNSET and self._error is None and not self._version:
                self._poll("HEAD")
            if self._error is not None:
                raise self._error

    def get(self):
        """The result, once the call has run; raises the remote exception if it failed."""
        with self._lock:
            if self._value is _UNSET and self._error is None:
                self._poll("GET")
            if self._error is not None:
                raise self._error
            return self._value

    def _poll(self, method):
        import cloudpickle

        if self._found is not None and self._take(self._found):
            return
        if self._submitted is not None and self._results is not None and method == "GET" and self._beside_submission():
            return
        if self._submitted is not None:
            self._submitted.wait()
            self._submitted = None

        while True:
            path = f"{self._api.objects_path}/{self._key}?wait_ms={_WAIT_MS}"
            status, resp, data = self._api.request(method, path, headers={"Accept": "*/*"})
            if status == 200:
                self._check_answer(resp.getheader("X-Runyard-Key"))
                self._version = int(resp.getheader("X-Runyard-Version") or 1)
                if method == "GET":
                    self._value = cloudpickle.loads(data)
                return
            if status == 202:
                continue
            if method == "HEAD":
                # A HEAD answer has no body: the (small) error body is read with a GET.
                method = "GET"
                continue
            err = error_from(status, data)
            if status == 424 and "remote_error" in err.body:
                self._check_answer(err.body.get("key"))
                self._error = remote_exception(err.body["remote_error"])
                return
            raise err

    def _beside_submission(self):
        """Waits for the result by the call's id while its submission is still on its way (the two requests travel side by
        side); True once the result or the call's error is here, False for a result too large to come inline."""
        call_id = self._key.rsplit("/", 1)[1]
        try:
            while True:
                # Short looks while the submission may still fail (its error is then raised), long ones once it is stored.
                stored = self._submitted.done()
                if stored:
                    self._submitted.wait()
                record = self._found or self._results.look(self._api, call_id, _WAIT_MS if stored else 200)
                if record is not None:
                    return self._take(record)
        finally:
            self._results.done(call_id)

    def _take(self, record):
        """Takes the call's record from its session's results: True once the result or the call's error is here, False
        for a result too large to come inline (read from the objects)."""
        import base64

        import cloudpickle

        self._found = None
        self._version = int(record.get("version") or 1)
        if record["state"] == "failed":
            self._error = remote_exception(record.get("error") or {"type": "Error", "message": "the call failed"})
            return True
        if record.get("data") is None:
            return False
        self._value = cloudpickle.loads(base64.b64decode(record["data"]))
        return True

    def _check_answer(self, key):
        # Unpickling runs code: only what Runyard says is this very object (a call this client submitted) is unpickled.
        if key != self._key:
            raise RunyardError(f"Runyard answered object {key!r} when {self._key!r} was asked for: it was not unpickled")

    def __repr__(self):
        return f"ObjectFuture({self._key!r})"


class ObjectFutureIterator:
    """Flame's: yields the futures as their calls finish (failed ones too: their get() raises), each once."""

    def __init__(self, futures):
        self._futures = list(futures)

    def __iter__(self):
        if not self._futures:
            return
        with ThreadPoolExecutor(max_workers=min(len(self._futures), 16), thread_name_prefix="runyard-select") as pool:
            done = {pool.submit(_settle, f): f for f in self._futures}
            for finished in as_completed(done):
                finished.result()  # a Runyard that cannot be reached is raised here, not hidden
                yield done[finished]


def _settle(future):
    try:
        future.wait()
    except Exception:  # noqa: BLE001 - the call's own failure is get()'s to raise; anything else (Runyard unreachable) is raised here
        if future._error is None:
            raise
