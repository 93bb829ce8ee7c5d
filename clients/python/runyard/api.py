"""A small HTTP client for Runyard's API (standard library only): keep-alive, bearer token, error bodies."""

import http.client
import json
import threading
import time
import urllib.parse

from .errors import RunyardError

DEFAULT_URL = "http://127.0.0.1:8080"
# Node closes idle keep-alive connections after 5 s: a connection idle longer is not reused for a request that may not be repeated.
_IDLE_S = 4.0


class Api:
    def __init__(self, url=None, token=None, timeout=90.0):
        self.url = (url or DEFAULT_URL).rstrip("/")
        parts = urllib.parse.urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise RunyardError(f"RUNYARD_URL must be an http(s) URL, not {self.url!r}")
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port or (443 if self._https else 80)
        self._base = parts.path.rstrip("/")
        self.token = token
        self.timeout = timeout
        #: Where objects are read: an executor reads its own session's at /api/v1/executor/objects.
        self.objects_path = "/api/v1/objects"
        self._local = threading.local()
        #: Bytes of the answers' bodies received so far (what crossed to this client).
        self.bytes_received = 0
        self._count_lock = threading.Lock()

    def _connection(self, fresh):
        conn = getattr(self._local, "conn", None)
        used = getattr(self._local, "used", 0.0)
        if conn is not None and (fresh or time.monotonic() - used > _IDLE_S):
            conn.close()
            conn = None
        if conn is None:
            cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
            conn = cls(self._host, self._port, timeout=self.timeout)
            self._local.conn = conn
        return conn

    def request(self, method, path, body=None, headers=None, repeatable=True):
        """Answers (status, response headers, body bytes). A request that could not be sent is sent again on a new
        connection (it never reached Runyard); one whose answer was lost only when it may be repeated."""
        sent = {"Accept": "application/json", **(headers or {})}
        if self.token:
            sent["Authorization"] = "Bearer " + self.token
        for attempt in (0, 1):
            conn = self._connection(fresh=attempt > 0)
            reused = conn.sock is not None
            try:
                conn.request(method, self._base + path, body=body, headers=sent)
            except (http.client.HTTPException, OSError) as e:
                self._drop(conn)
                if attempt == 1:
                    raise RunyardError(f"cannot reach Runyard at {self.url}: {e}") from e
                continue
            try:
                resp = conn.getresponse()
                data = resp.read()
            except (http.client.HTTPException, OSError) as e:
                self._drop(conn)
                # A kept-alive connection the server closed just as the request left: it was not read.
                stale = reused and isinstance(e, http.client.RemoteDisconnected)
                if attempt == 1 or not (repeatable or stale):
                    raise RunyardError(f"cannot reach Runyard at {self.url}: {e}") from e
                continue
            self._local.used = time.monotonic()
            if resp.will_close:
                self._drop(conn)
            with self._count_lock:
                self.bytes_received += len(data)
            return resp.status, resp, data
        raise AssertionError("unreachable")

    def _drop(self, conn):
        conn.close()
        self._local.conn = None

    def json(self, method, path, payload=None, expect=(200, 201), repeatable=True, query=None):
        body = None
        headers = {}
        if payload is not None:
            body = json.dumps(payload).encode("utf-8")
            headers["Content-Type"] = "application/json"
        if query:
            path = f"{path}?{urllib.parse.urlencode(query)}"
        status, _, data = self.request(method, path, body, headers, repeatable)
        if status not in expect:
            raise error_from(status, data)
        return json.loads(data) if data else None


def error_from(status, data, cls=RunyardError):
    try:
        body = json.loads(data)
        message = body.get("error_message") or str(body)
    except ValueError:
        body = {}
        message = data.decode("utf-8", "replace")[:500] or f"HTTP {status}"
    return cls(message, status, body)
