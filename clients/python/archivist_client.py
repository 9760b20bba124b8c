"""Archivist client for Scout: the Python standard library only, importable as a single file.

Scout calls ``log_decision_ledger(data)`` and ``log_shadow_radar(data)`` with its dicts, exactly as
it called the original Archivist. Each call:

* posts the dict with a fresh ``Idempotency-Key`` and returns within ``timeout`` seconds
  (default 0.2): Scout is never held up longer by the archive;
* when the service is down, slow, busy (503) or refuses the token (401), appends the entry, key
  included, to a local spool file (JSON lines, synced to disk) and returns ``"spooled"``;
* a background thread replays the spool in order, each entry with its own key, as soon as the
  service answers again: the service stores each entry exactly once, even one whose first post
  was stored after the client gave up waiting;
* an entry the service refuses as wrong (400, 413, 415, 422) is never silently dropped: it goes
  to ``<spool>.rejected.jsonl`` with the service's answer, and the call returns ``"refused"``.

Example::

    from archivist_client import ArchivistClient

    archivist = ArchivistClient("http://127.0.0.1:8787", spool_path="data/archivist-spool.jsonl")
    archivist.log_decision_ledger(data)   # "stored", "spooled" or "refused"
    archivist.log_shadow_radar(data)
    ...
    archivist.close(flush_seconds=5)      # at exit: try to replay what is left

One spool file per process: two processes must not share one.
"""

from __future__ import annotations

import concurrent.futures
import datetime
import decimal
import json
import logging
import os
import threading
import time
import urllib.error
import urllib.request
import uuid

__all__ = ["ArchivistClient", "STORED", "SPOOLED", "REFUSED"]

STORED = "stored"
SPOOLED = "spooled"
REFUSED = "refused"

# Answers that mean "this entry is wrong": retrying cannot help, so it is set aside for a person.
_REFUSED_STATUSES = {400, 404, 405, 413, 415, 422}

_log = logging.getLogger("archivist_client")


def _open_private(path, mode):
    """Opens ``path`` as ``open`` does, creating it readable by this user only (0600): the
    entries are Scout's strategy."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if mode.startswith("a") else os.O_TRUNC)
    return os.fdopen(os.open(path, flags, 0o600), mode, encoding="utf-8")


def _jsonable(value):
    """What json cannot write itself: datetimes (ISO-8601), decimals, sets, numpy scalars."""
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"cannot send {type(value).__name__} to the Archivist")


class _Retry(Exception):
    """The entry was not stored, for a reason that passes: spool it and try again later."""


class _Refused(Exception):
    """The service refused the entry itself (4xx): set it aside, never retry it."""

    def __init__(self, status, answer):
        super().__init__(f"HTTP {status}: {answer}")
        self.status = status
        self.answer = answer


class ArchivistClient:
    """Logs Scout's decisions and rejections to the Archivist; see the module documentation."""

    def __init__(
        self,
        url="http://127.0.0.1:8787",
        token=None,
        spool_path="archivist-spool.jsonl",
        timeout=0.2,
        replay_timeout=10.0,
        max_retry_interval=30.0,
    ):
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.replay_timeout = replay_timeout
        self.max_retry_interval = max_retry_interval
        self.spool_path = spool_path
        self.rejected_path = spool_path + ".rejected.jsonl"
        self._offset_path = spool_path + ".offset"
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._closed = threading.Event()
        self._idle = threading.Condition(self._lock)
        self._senders = concurrent.futures.ThreadPoolExecutor(
            max_workers=4, thread_name_prefix="archivist-post"
        )
        directory = os.path.dirname(os.path.abspath(spool_path))
        os.makedirs(directory, mode=0o700, exist_ok=True)
        self._replayer = threading.Thread(
            target=self._replay_loop, name="archivist-replay", daemon=True
        )
        self._replayer.start()
        if self.pending():
            self._wake.set()

    # -- Scout's calls -------------------------------------------------------------------------

    def log_decision_ledger(self, data):
        """POST /v1/decisions; returns "stored", "spooled" or "refused", never raises on I/O."""
        return self.post("/v1/decisions", data)

    def log_shadow_radar(self, data):
        """POST /v1/shadow-radar; returns "stored", "spooled" or "refused"."""
        return self.post("/v1/shadow-radar", data)

    def post(self, path, data):
        """Sends one entry (a dict or a list of dicts) within ``timeout`` seconds, or spools it."""
        started = time.monotonic()
        entry = {
            "key": str(uuid.uuid4()),
            "path": path,
            "body": json.loads(json.dumps(data, default=_jsonable)),
            "queued_at": datetime.datetime.now(datetime.timezone.utc).isoformat(),
        }
        with self._lock:
            if self._pending_locked():
                # Behind earlier entries, in order: the replayer sends it after them.
                self._append_locked(entry)
                self._wake.set()
                return SPOOLED
        future = self._senders.submit(self._send, entry, self.replay_timeout)
        try:
            future.result(timeout=max(0.0, self.timeout - (time.monotonic() - started)))
            return STORED
        except _Refused as refused:
            self._set_aside(entry, refused)
            return REFUSED
        except (_Retry, concurrent.futures.TimeoutError) as reason:
            # Still in flight or failed: the replay sends it again with the same key, so the
            # service stores it once whichever arrives first.
            _log.warning("Archivist did not store %s in time (%s); spooled", path, reason or "timeout")
            with self._lock:
                self._append_locked(entry)
            self._wake.set()
            return SPOOLED

    def pending(self):
        """Entries in the spool, not yet stored."""
        with self._lock:
            return self._pending_locked()

    def flush(self, timeout=5.0):
        """Waits up to ``timeout`` seconds for the spool to be replayed; True when it is empty."""
        deadline = time.monotonic() + timeout
        self._wake.set()
        with self._idle:
            while self._pending_locked():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(min(left, 0.05))
                self._wake.set()
        return True

    def close(self, flush_seconds=0.0):
        """Stops the replayer (after trying to flush for ``flush_seconds``); the spool stays."""
        if flush_seconds > 0:
            self.flush(flush_seconds)
        self._closed.set()
        self._wake.set()
        self._replayer.join(timeout=self.replay_timeout + 1)
        self._senders.shutdown(wait=False, cancel_futures=True)

    # -- Sending ---------------------------------------------------------------------------------

    def _send(self, entry, timeout):
        """One POST; returns the answer, raises _Refused or _Retry."""
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": entry["key"],
        }
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(
            self.url + entry["path"],
            data=json.dumps(entry["body"], ensure_ascii=False).encode("utf-8"),
            headers=headers,
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:
            answer = error.read().decode("utf-8", "replace")
            if error.code in _REFUSED_STATUSES:
                raise _Refused(error.code, answer) from None
            # 401 (a token to fix), 429, 5xx: the entry is fine, the moment is not.
            raise _Retry(f"HTTP {error.code}: {answer[:200]}") from None
        except (urllib.error.URLError, OSError, ValueError) as error:
            raise _Retry(str(getattr(error, "reason", error))) from None

    def _set_aside(self, entry, refused):
        _log.error(
            "Archivist refused an entry (HTTP %s); kept in %s: %s",
            refused.status,
            self.rejected_path,
            refused.answer[:500],
        )
        record = dict(entry, status=refused.status, answer=refused.answer)
        with self._lock:
            self._append_line_locked(self.rejected_path, record)

    # -- The spool -------------------------------------------------------------------------------

    def _read_offset_locked(self):
        try:
            with open(self._offset_path, encoding="utf-8") as file:
                return int(file.read().strip() or 0)
        except FileNotFoundError:
            return 0

    def _write_offset_locked(self, offset):
        temporary = self._offset_path + ".tmp"
        with _open_private(temporary, "w") as file:
            file.write(str(offset))
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, self._offset_path)

    def _spool_size_locked(self):
        try:
            return os.path.getsize(self.spool_path)
        except FileNotFoundError:
            return 0

    def _pending_locked(self):
        offset = self._read_offset_locked()
        if offset >= self._spool_size_locked():
            return 0
        with open(self.spool_path, "rb") as file:
            file.seek(offset)
            return sum(1 for line in file if line.strip())

    def _append_line_locked(self, path, record):
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with _open_private(path, "a") as file:
            file.write(line)
            file.flush()
            os.fsync(file.fileno())

    def _append_locked(self, entry):
        self._append_line_locked(self.spool_path, entry)

    def _next_locked(self):
        """The first entry not yet stored and the offset after it, or (None, offset)."""
        offset = self._read_offset_locked()
        if offset >= self._spool_size_locked():
            return None, offset
        with open(self.spool_path, "rb") as file:
            file.seek(offset)
            line = file.readline()
        if not line.endswith(b"\n"):
            return None, offset  # half written by a process that died: wait for the rest
        return json.loads(line), offset + len(line)

    def _done_locked(self, next_offset):
        if next_offset >= self._spool_size_locked():
            # Everything is stored: start the spool afresh.
            os.remove(self.spool_path)
            if os.path.exists(self._offset_path):
                os.remove(self._offset_path)
        else:
            self._write_offset_locked(next_offset)

    def _replay_loop(self):
        interval = 0.5
        while not self._closed.is_set():
            self._wake.wait(timeout=interval)
            self._wake.clear()
            while not self._closed.is_set():
                with self._lock:
                    entry, next_offset = self._next_locked()
                    if entry is None:
                        self._idle.notify_all()
                        break
                try:
                    self._send(entry, self.replay_timeout)
                except _Refused as refused:
                    self._set_aside(entry, refused)
                except _Retry as reason:
                    _log.info("Archivist still unavailable (%s); retrying in %.1f s", reason, interval)
                    interval = min(interval * 2, self.max_retry_interval)
                    break
                with self._lock:
                    self._done_locked(next_offset)
                    self._idle.notify_all()
                interval = 0.5
