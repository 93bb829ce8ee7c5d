"""RunnerService (Flame's name): every public method of a function, class or instance as a remote call answering an ObjectFuture."""

import base64
import inspect
import uuid

from .errors import RunyardError
from .future import ObjectFuture, ObjectRef, Results
from .sessions import Session, session_name_of
from .submitter import Submitter

#: Arguments (pickled) up to this size travel with the call; larger ones are put as an object first.
INLINE_ARGS = 64 * 1024
#: A shipped function, class or instance up to this size travels with the session's creation.
INLINE_SERVICE = 512 * 1024
_RESERVED = ("close",)


def _kind(obj):
    if inspect.isclass(obj):
        return "class"
    if inspect.isfunction(obj) or inspect.isbuiltin(obj) or inspect.ismethod(obj):
        return "function"
    return "instance"


def public_methods(obj):
    """Callable attributes without a leading underscore (of the class, for a class)."""
    names = []
    for name in dir(obj):
        if name.startswith("_"):
            continue
        try:
            value = getattr(obj, name)
        except AttributeError:
            continue
        if callable(value):
            names.append(name)
    return names


def _ref_of(value):
    if isinstance(value, ObjectFuture):
        return value._pending_ref()
    return value


#: Executors an explicit `autoscale=True` serves with: Runyard's pools are fixed, so a pool of this size stands for it.
AUTOSCALE_REPLICAS = 4


def replicas_for(execution_object, autoscale=None, warmup=0, replicas=None):
    """Flame's autoscale/warmup choices as Runyard's replicas, refused with Flame's own errors where Flame refuses them."""
    if not isinstance(warmup, int) or isinstance(warmup, bool) or warmup < 0:
        raise ValueError("warmup must be a non-negative integer.")
    if _kind(execution_object) == "instance":
        if autoscale:
            raise ValueError("Object instance services are always fixed. Omit autoscale or pass autoscale=False.")
        if warmup > 1:
            raise ValueError("Object instance services only support warmup=0 or warmup=1.")
    if replicas is not None:
        return replicas
    if autoscale:
        return max(warmup, AUTOSCALE_REPLICAS)
    return max(warmup, 1)


class RunnerService:
    """A session of the application serving `execution_object`: a function (stateless), a class (instantiated once remotely with
    its default constructor) or an instance (its state shipped). A class or instance is served one call at a time in submission
    order, its state committed with each result."""

    def __init__(self, app, execution_object, runner=None, replicas=1, own_session=None):
        from .runner import Runner

        self._runner = runner if runner is not None else Runner._client_for(app)
        self._api = self._runner._api
        self._app = app
        self._kind = _kind(execution_object)
        self._closed = False
        methods = [] if self._kind == "function" else public_methods(execution_object)
        taken = [m for m in methods if m in _RESERVED]
        if taken:
            raise RunyardError(
                f"{type(execution_object).__name__} has a method named {taken[0]!r}, which RunnerService keeps for itself: rename it"
            )
        if self._kind != "function" and not methods:
            raise RunyardError(f"{execution_object!r} has no public methods to call remotely")
        self.methods = methods
        if own_session is not None:
            self._attach_own(own_session)
            return
        import cloudpickle

        payload = cloudpickle.dumps(execution_object)
        body = {"application": app, "kind": self._kind, "codec": "cloudpickle", "methods": methods, "replicas": replicas}
        name = session_name_of(execution_object)
        if name is not None:
            body["name"] = name
        if len(payload) > INLINE_SERVICE:
            body["service_key"] = self._runner._put_bytes(payload, "shared")
        else:
            body["service"] = base64.b64encode(payload).decode("ascii")
        #: Flame's: `_session.id` is the session's name (its SessionContext's session_id, else `{app}-{number}`).
        self._session = Session(self._api.json("POST", "/api/v1/sessions", body, repeatable=False), self._api)
        self._submitter = Submitter(self._api, f"/api/v1/sessions/{self.session_id}/calls")
        self._results = Results(f"/api/v1/sessions/{self.session_id}/results")
        self._owns_session = True
        for name in methods:
            setattr(self, name, self._wrapper(name))

    def _attach_own(self, brief):
        # The executor's own session, by its credential: calls go through the executor's routes, closing is its owner's.
        if self._kind != brief["kind"] or sorted(self.methods or ["__call__"]) != sorted(brief["methods"]):
            raise RunyardError(f"session {brief['name']!r} serves another {brief['kind']} (methods {', '.join(brief['methods'])})")
        row = {"id": brief["session"], "name": brief["name"], "application": brief["application"], "status": "open", "kind": brief["kind"]}
        self._session = Session(row, self._api)
        self._submitter = Submitter(self._api, "/api/v1/executor/calls")
        self._results = None
        self._owns_session = False
        for name in self.methods:
            setattr(self, name, self._wrapper(name))

    @property
    def session_id(self):
        """Runyard's number of the session: what its objects' keys and the API's paths use."""
        return self._session.number

    def _wrapper(self, method):
        def call(*args, **kwargs):
            return self._submit(method, args, kwargs)

        call.__name__ = method
        return call

    def __call__(self, *args, **kwargs):
        if self._kind != "function":
            raise TypeError(f"this service serves a {self._kind}: call one of its methods ({', '.join(self.methods)})")
        return self._submit("__call__", args, kwargs)

    def _submit(self, method, args, kwargs):
        if self._closed:
            raise RunyardError(f"the service (session {self._session.id}) is closed")
        import cloudpickle

        after = [a._submitted for a in (*args, *kwargs.values()) if isinstance(a, ObjectFuture) and a._submitted is not None]
        args = tuple(_ref_of(a) for a in args)
        kwargs = {k: _ref_of(v) for k, v in kwargs.items()}
        refs = [a.key for a in (*args, *kwargs.values()) if isinstance(a, ObjectRef)]
        payload = cloudpickle.dumps((args, kwargs))
        call_id = uuid.uuid4().hex
        call = {"id": call_id, "method": method, "refs": refs}
        if len(payload) > INLINE_ARGS and not self._owns_session:
            raise RunyardError(f"arguments over {INLINE_ARGS} bytes cannot be sent from inside an executor: pass them as an object")
        if len(payload) > INLINE_ARGS:
            call["args_key"] = self._runner._put_bytes(payload, str(self.session_id))
        else:
            call["args"] = base64.b64encode(payload).decode("ascii")
        submitted = self._submitter.submit(call, after)
        return ObjectFuture(self._api, f"{self._app}/{self.session_id}/{call_id}", submitted, self._results)

    def close(self):
        """Closes the service: pending calls are cancelled, its executors exit. Closing twice is harmless."""
        if self._closed:
            return
        self._closed = True
        self._submitter.flush()
        if self._owns_session:
            self._api.json("DELETE", f"/api/v1/sessions/{self.session_id}")

    def __repr__(self):
        return f"RunnerService(app={self._app!r}, session={self._session.id!r}, kind={self._kind!r})"
