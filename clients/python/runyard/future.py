"""ObjectRef and ObjectFuture (Flame's names): a call's result, usable as another call's argument before it exists."""

import threading

from .api import error_from
from .errors import RunyardError, remote_exception

_WAIT_MS = 25_000


class ObjectRef:
    """The key of an object (`{app}/{session}/{uuid}`): what travels when a future is passed as an argument."""

    __slots__ = ("key",)

    def __init__(self, key):
        self.key = key

    def __reduce__(self):
        return (ObjectRef, (self.key,))

    def __repr__(self):
        return f"ObjectRef({self.key!r})"

    def __eq__(self, other):
        return isinstance(other, ObjectRef) and other.key == self.key

    def __hash__(self):
        return hash(self.key)


_UNSET = object()


class ObjectFuture:
    """The result of a remote call. get() fetches (and caches) it; ref() never waits."""

    def __init__(self, api, key):
        self._api = api
        self._key = key
        self._value = _UNSET
        self._error = None
        self._lock = threading.Lock()

    @property
    def key(self):
        return self._key

    def ref(self):
        """The reference to pass as an argument: the executor resolves it, this client neither waits nor downloads."""
        return ObjectRef(self._key)

    def wait(self):
        """Blocks until the result is there (fetching it)."""
        self.get()

    def get(self):
        """The result, once the call has run; raises the remote exception if it failed."""
        with self._lock:
            if self._value is _UNSET and self._error is None:
                self._fetch()
            if self._error is not None:
                raise self._error
            return self._value

    def _fetch(self):
        import cloudpickle

        while True:
            status, resp, data = self._api.request("GET", f"/api/v1/objects/{self._key}?wait_ms={_WAIT_MS}", headers={"Accept": "*/*"})
            if status == 200:
                self._check_answer(resp.getheader("X-Runyard-Key"))
                self._value = cloudpickle.loads(data)
                return
            if status == 202:
                continue
            err = error_from(status, data)
            if status == 424 and "remote_error" in err.body:
                self._check_answer(err.body.get("key"))
                self._error = remote_exception(err.body["remote_error"])
                return
            raise err

    def _check_answer(self, key):
        # Unpickling runs code: only what Runyard says is this very object (a call this client submitted) is unpickled.
        if key != self._key:
            raise RunyardError(f"Runyard answered object {key!r} when {self._key!r} was asked for: it was not unpickled")

    def __repr__(self):
        return f"ObjectFuture({self._key!r})"
