"""Progress of a run, for people: a bar on a terminal, log lines everywhere else.

The engine calls a progress callback as ``progress(what, done, total)`` (``total`` 0 when the number of
units is not known in advance, e.g. the batches of an adaptive protocol). ``Progress`` is such a callback:

- ``bar=True`` (stderr is a terminal): one line redrawn in place, with the elapsed time;
- ``bar=False``: lines of the ``logging`` logger ``qheat`` -- one when the run starts, then one every
  ``step`` of the total (10 %) or every ``interval`` seconds (30 s), whichever comes first, with the
  time elapsed and, once a unit has finished, the time left; a heartbeat line when a single long
  unit keeps the run silent for ``interval`` seconds; one when the run ends.

Which lines reach the screen is the logging configuration's business (the CLI shows INFO off a
terminal through a ``HoldBack`` handler, nothing with ``--quiet``); the Python API shows them once the
caller configures logging. ``HoldBack`` keeps INFO lines for the first ``delay`` seconds after it was
made (the command's start, imports included) and drops those of a run that ends sooner: a short command
prints its result only, a long one its start lines (with their own time stamps) once it has run that long.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable
from typing import TextIO

log = logging.getLogger("qheat")


def duration(seconds: float) -> str:
    """A duration as people read it: ``8 s``, ``2 min 05 s``, ``1 h 03 min``."""
    s = max(0, round(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


class HoldBack(logging.StreamHandler):
    """A stream handler that holds INFO lines back for the first ``delay`` seconds after it is made."""

    DELAY = 10.0  # seconds of a command whose INFO lines are held back

    def __init__(
        self, stream: TextIO | None = None, delay: float | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__(stream)
        self.delay, self.clock = self.DELAY if delay is None else delay, clock
        self.started = clock()
        self.held: list[logging.LogRecord] = []

    def tick(self) -> None:
        """Let the held lines out once the command has lasted ``delay`` seconds."""
        if self.held and self._due():
            held, self.held = self.held, []
            for record in held:
                super().emit(record)

    def drop(self) -> None:
        """A run is over: lines still held belong to a run that ended within the delay and are dropped."""
        self.held = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno > logging.INFO or self._due():
            self.tick()
            super().emit(record)
        else:
            self.held.append(record)

    def _due(self) -> bool:
        return self.clock() - self.started >= self.delay


def _holders() -> list[HoldBack]:
    return [h for h in log.handlers if isinstance(h, HoldBack)]


class Progress:
    """A progress callback ``(what, done, total)`` for one run called ``label``; a context manager."""

    BAR_DELAY = 3.0  # a bar appears only for runs longer than this
    BAR_REFRESH = 1.0  # seconds between redraws of the bar's clock

    def __init__(
        self,
        label: str,
        *,
        bar: bool,
        interval: float = 30.0,
        step: float = 0.1,
        stream: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
        heartbeat: bool = True,
    ) -> None:
        self.label, self.bar, self.interval, self.step = label, bar, interval, step
        self.stream = stream if stream is not None else sys.stderr
        self.clock = clock
        self.started = self.last_line = clock()
        self.what, self.done, self.total = "", 0, 0
        self.first_done: float | None = None  # when the first unit finished (the time-left estimate's start)
        self.next_fraction = step
        self.shown = False
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if heartbeat:
            self._thread = threading.Thread(target=self._beat, name=f"qheat-progress-{label}", daemon=True)
            self._thread.start()

    # --------------------------------------------------------------------- the callback

    def __call__(self, what: str, done: int, total: int) -> None:
        with self._lock:
            now = self.clock()
            if done > self.done and self.first_done is None:
                self.first_done = now
            self.what, self.done, self.total = what, done, total
            if self.bar:
                self._draw(now)
                return
            due = now - self.last_line >= self.interval
            if total:
                finished = done >= total
                crossed = done / total >= self.next_fraction - 1e-12
                if crossed:
                    self.next_fraction = (int(done / total / self.step + 1e-9) + 1) * self.step
                if crossed or due or finished:
                    self._log(self._status(now))
            elif due:
                self._log(self._status(now))

    def close(self, failed: bool = False) -> None:
        """Stop the heartbeat; end the bar's line, or log how long the run took."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        with self._lock:
            if self.bar:
                if self.shown:
                    self.stream.write("\n")
                    self.stream.flush()
            elif not failed:
                self._log(f"{self.label}: finished in {duration(self.clock() - self.started)}")
        for holder in _holders():
            holder.drop()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        self.close(failed=kind is not None)

    # --------------------------------------------------------------------- lines and the bar

    def _status(self, now: float, still: bool = False) -> str:
        elapsed = now - self.started
        if self.total:
            head = f"{self.what} {self.done}/{self.total} ({100 * self.done / self.total:.0f} %)"
        elif self.done:
            head = f"{self.done} batch{'es' if self.done > 1 else ''} done (last: {self.what})"
        else:
            head = "running"
        head = f"still {head}" if still and head == "running" else f"still running, {head}" if still else head
        text = f"{self.label}: {head}, {duration(elapsed)} elapsed"
        left = self._left(now)
        return text + (f", about {duration(left)} left" if left is not None else "")

    def _left(self, now: float) -> float | None:
        """Time left from the rate so far (known totals only, once a unit has finished)."""
        if not self.total or not self.done or self.done >= self.total:
            return None
        return (now - self.started) / self.done * (self.total - self.done)

    def _log(self, line: str) -> None:
        log.info(line)
        self.last_line = self.clock()

    def _draw(self, now: float) -> None:
        if now - self.started < self.BAR_DELAY:
            return
        elapsed = duration(now - self.started)
        if self.total:
            width = 30
            filled = int(width * self.done / max(self.total, 1))
            bar = f"[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total}"
            left = self._left(now)
            tail = f" {elapsed}" + (f", ~{duration(left)} left" if left is not None else "")
        else:
            bar, tail = f"{self.done} batches", f" {elapsed}"
        self.stream.write(f"\r{self.label}: {self.what} {bar}{tail}\033[K")
        self.stream.flush()
        self.shown = True

    def _beat(self) -> None:
        """Keep the bar's clock moving; off a terminal, a line after ``interval`` seconds of silence."""
        while not self._stop.wait(self.BAR_REFRESH if self.bar else min(self.interval, 1.0)):
            with self._lock:
                for holder in _holders():
                    holder.tick()
                now = self.clock()
                if self.bar:
                    self._draw(now)
                elif now - self.last_line >= self.interval:
                    self._log(self._status(now, still=True))
