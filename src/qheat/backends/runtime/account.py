"""The IBM Quantum account: ``QISKIT_IBM_TOKEN`` / ``QISKIT_IBM_INSTANCE`` or a saved account, checked
before anything slow is imported; the service reached with a deadline (no network means one line within
seconds, never a hang); the token never printed or written.

(Named ``account`` rather than ``credentials``: the package re-exports the function ``credentials``, which
would shadow a submodule of that name, so ``monkeypatch.setattr("...runtime.credentials.IBM_HOST", ...)``
would silently patch the function.)"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qheat.core.errors import QheatError

IBM_HOST = "quantum.cloud.ibm.com"
NETWORK_DEADLINE = 6.0  # seconds to reach the service before giving up (issue: < 10 s)
ACCOUNT_FILE = Path.home() / ".qiskit" / "qiskit-ibm.json"


@dataclass(frozen=True, repr=False)
class Credentials:
    """Where the account comes from. ``repr`` and ``str`` never show the token."""

    token: str | None  # from QISKIT_IBM_TOKEN; None when a saved account is used
    instance: str | None
    source: str  # "environment" or "saved account"

    def __repr__(self) -> str:
        return f"Credentials(source={self.source!r}, instance={'set' if self.instance else None})"

    __str__ = __repr__


def credentials(instance: str | None = None) -> Credentials:
    """The account to use, checked without importing Runtime or touching the network."""
    token = os.environ.get("QISKIT_IBM_TOKEN", "").strip()
    inst = instance or os.environ.get("QISKIT_IBM_INSTANCE", "").strip() or None
    if token:
        return Credentials(token, inst, "environment")
    account_file = Path(os.environ.get("QISKIT_IBM_ACCOUNT_FILE", "") or ACCOUNT_FILE)
    try:
        saved = json.loads(account_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        saved = None
    if isinstance(saved, dict) and saved:
        return Credentials(None, inst, "saved account")
    raise QheatError(
        "no IBM Quantum account: set QISKIT_IBM_TOKEN (and QISKIT_IBM_INSTANCE), or save one with "
        "QiskitRuntimeService.save_account(token=..., instance=...); nothing was submitted"
    )


def _with_deadline(fn, seconds: float, what: str):
    """fn() in a daemon thread; a QheatError if it takes longer than ``seconds`` (no hang)."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 -- re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise QheatError(f"{what}: no answer within {seconds:.0f} s (no network?); try again when online")
    if "error" in box:
        raise box["error"]
    return box.get("value")


_REACHED: set[str] = set()


def reachable(host: str | None = None, port: int = 443, seconds: float = 3.0) -> None:
    """A TCP connection to the service within ``seconds`` (name lookup included), else a QheatError; once
    per process. Called before anything slow, so that no network means one line within seconds."""
    host = host or IBM_HOST
    if host in _REACHED:
        return

    def probe() -> None:
        with socket.create_connection((host, port), timeout=seconds):
            pass

    try:
        _with_deadline(probe, seconds + 0.5, f"cannot reach {host}")
    except OSError as exc:
        raise QheatError(
            f"cannot reach {host} ({type(exc).__name__}); no network? ibm: backends need it -- fake:<name> runs offline"
        ) from None
    _REACHED.add(host)


def service(instance: str | None = None):
    """A ``QiskitRuntimeService`` from the account, within ``NETWORK_DEADLINE`` seconds or a QheatError.
    Errors are reported by type only: a message could quote the token."""
    creds = credentials(instance)
    started = time.monotonic()
    reachable()

    def connect():
        from qiskit_ibm_runtime import QiskitRuntimeService

        kwargs: dict[str, Any] = {"channel": os.environ.get("QISKIT_IBM_CHANNEL") or "ibm_quantum_platform"}
        if creds.token:
            kwargs["token"] = creds.token
        if creds.instance:
            kwargs["instance"] = creds.instance
        return QiskitRuntimeService(**kwargs)

    left = max(NETWORK_DEADLINE - (time.monotonic() - started), 1.0)
    try:
        return _with_deadline(connect, left, "IBM Quantum did not answer")
    except QheatError:
        raise
    except Exception as exc:  # noqa: BLE001 -- the library's errors, reported without their text
        raise QheatError(
            f"cannot open the IBM Quantum account ({type(exc).__name__}); check QISKIT_IBM_TOKEN / "
            "QISKIT_IBM_INSTANCE or the saved account"
        ) from None
