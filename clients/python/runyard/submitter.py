"""The calls of one service leave in order, batched while a submission is on its way: a lone call leaves at once, a burst
of calls goes in a few requests. A call's submission is waited for by its future (get, wait, ref), which raises its error."""

import atexit
import threading
import weakref

#: One request carries at most this many calls, or about this many bytes of arguments.
BATCH_CALLS = 1000
BATCH_BYTES = 512 * 1024

_live = weakref.WeakSet()


class Submission:
    """A call on its way: `wait()` blocks until Runyard stored it, raising why it could not."""

    __slots__ = ("_done", "error", "submitter")

    def __init__(self, submitter):
        self._done = threading.Event()
        self.error = None
        self.submitter = submitter

    def settle(self, error=None):
        self.error = error
        self._done.set()

    def done(self):
        return self._done.is_set()

    def wait(self):
        self._done.wait()
        if self.error is not None:
            raise self.error


class Submitter:
    def __init__(self, api, path):
        self._api = api
        self._path = path
        self._queue = []
        self._busy = False
        self._cond = threading.Condition()
        self._thread = None
        #: A refusal of the whole session (closed, lost, gone): the next calls are refused at once.
        self.broken = None
        _live.add(self)

    def submit(self, call, after=()):
        """Queues the call; `after` are the submissions of its arguments' calls, which Runyard must have stored first
        (those of this service are: its calls leave in order)."""
        if self.broken is not None:
            raise self.broken
        for other in after:
            if other.submitter is not self:
                other.wait()
        submission = Submission(self)
        with self._cond:
            self._queue.append((call, submission))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="runyard-submit", daemon=True)
                self._thread.start()
            self._cond.notify()
        return submission

    def flush(self):
        """Blocks until every call queued so far has been sent (stored or refused)."""
        with self._cond:
            while self._queue or self._busy:
                self._cond.wait()

    def _run(self):
        from .errors import RunyardError

        while True:
            with self._cond:
                while not self._queue:
                    self._cond.wait()
                batch, size = [], 0
                while self._queue and len(batch) < BATCH_CALLS and size < BATCH_BYTES:
                    call, submission = self._queue.pop(0)
                    batch.append((call, submission))
                    size += len(call.get("args", ""))
                self._busy = True
            try:
                # Repeatable: Runyard answers a batch sent twice (its answer lost) as it stored it the first time.
                self._api.json("POST", self._path, {"calls": [c for c, _ in batch]})
                error = None
            except RunyardError as e:
                error = e
                if e.status == 409 and e.body.get("session_status"):
                    self.broken = e
            except Exception as e:  # noqa: BLE001 - whatever stopped the request is the calls' error, raised where they are awaited
                error = RunyardError(f"the call could not be submitted: {e}", body={})
            for _, submission in batch:
                submission.settle(error)
            with self._cond:
                self._busy = False
                self._cond.notify_all()


@atexit.register
def _flush_all():
    # Calls made just before the program ends still reach Runyard (the sending thread is a daemon).
    for submitter in list(_live):
        submitter.flush()
