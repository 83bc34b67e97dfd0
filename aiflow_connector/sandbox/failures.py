# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Injected failures: the next N aiflow API calls fail in a chosen way."""

import threading

MODE_HTTP503 = "http503"  # a gateway answers 503 with an HTML page
MODE_STATUS_1024 = "status-1024"  # aiflow answers HTTP 200 with status -1024
MODE_HANG = "hang"  # nothing is answered for hang_seconds, then a 504
MODES = (MODE_HTTP503, MODE_STATUS_1024, MODE_HANG)

# Longer than the connector's default 30 s read timeout, so a hang is a
# timeout for a client that keeps its defaults.
DEFAULT_HANG_SECONDS = 35.0
MAX_HANG_SECONDS = 600.0


class FailurePlan:
    """Thread-safe countdown of failures to inject, in arming order."""

    def __init__(self):
        self._lock = threading.Lock()
        self._pending = []  # list of (mode, hang_seconds), one per call
        self._release = threading.Event()

    def arm(self, count, mode, hang_seconds=None):
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError("count must be a non-negative integer")
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}")
        if hang_seconds is None:
            hang_seconds = DEFAULT_HANG_SECONDS
        if (
            isinstance(hang_seconds, bool)
            or not isinstance(hang_seconds, int | float)
            or not 0 < hang_seconds <= MAX_HANG_SECONDS
        ):
            raise ValueError(f"hangSeconds must be in (0, {MAX_HANG_SECONDS:g}]")
        with self._lock:
            self._pending.extend([(mode, float(hang_seconds))] * count)

    def take(self):
        """The failure the current call must suffer, or None."""
        with self._lock:
            if not self._pending:
                return None
            return self._pending.pop(0)

    def pending(self):
        with self._lock:
            return [{"mode": mode, "hangSeconds": secs} for mode, secs in self._pending]

    def hang(self, seconds):
        """Block like a stuck server; cut short by release() (reset or stop)."""
        with self._lock:
            release = self._release
        release.wait(seconds)

    def release(self):
        """Clear pending failures and wake every hanging call."""
        with self._lock:
            self._pending.clear()
            self._release.set()
            self._release = threading.Event()
