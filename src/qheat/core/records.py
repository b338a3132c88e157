"""Files that cannot be lost: atomic JSON writes."""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

from qheat.core.errors import QheatError

RECORDS_KIND = "qheat-records"  # the raw data of a run: counts (or states) and each circuit's metadata
CHECKPOINT_KIND = "qheat-checkpoint"  # the records and state of an unfinished adaptive run


def jsonable(value: Any) -> Any:
    """Plain JSON data: arrays to lists, non-finite floats to null."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if hasattr(value, "tolist"):
        return jsonable(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def unexplained_nonfinite(value: Any, path: str = "") -> str | None:
    """The path of the first NaN or infinity in a result body that no note explains (None if there is none).

    A non-finite number at key K (or inside its list) is explained when its table also holds ``K_note`` or
    ``note``: e.g. an apparent temperature that Eq. (49) leaves undefined, with the reason beside it."""
    if isinstance(value, dict):
        for k, v in value.items():
            if f"{k}_note" in value or f"{k.removesuffix('_stderr')}_note" in value or "note" in value:
                continue
            found = unexplained_nonfinite(v, f"{path}.{k}" if path else str(k))
            if found:
                return found
        return None
    if isinstance(value, list | tuple):
        for i, v in enumerate(value):
            found = unexplained_nonfinite(v, f"{path}[{i}]")
            if found:
                return found
        return None
    if hasattr(value, "dtype") and hasattr(value, "shape"):
        import numpy as np

        if np.issubdtype(value.dtype, np.number) and not np.all(np.isfinite(value)):
            return path
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return path
    return None


def write_json_atomic(path: str | Path, data: dict[str, Any], *, indent: int | None = 1) -> Path:
    """Write JSON next to its final place, then rename: a crash never leaves half a file."""
    path = Path(path)
    text = json.dumps(jsonable(data), indent=indent, allow_nan=False, separators=None if indent else (",", ":")) + "\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise QheatError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file the usual permissions
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise QheatError(f"cannot write {path}: {exc.strerror or exc}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_json(path: str | Path, what: str) -> Any:
    """The JSON content of ``path``; a missing, unreadable or malformed file is one clear error."""
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise QheatError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise QheatError(f"{path} is a directory, not a {what}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise QheatError(f"{path} is not JSON ({what}): {exc}") from None
    except RecursionError:
        raise QheatError(f"{path} nests too deeply to be a {what}") from None


def read_json_or_none(path: str | Path) -> Any:
    """The JSON content of ``path``, or None where there is no readable JSON."""
    try:
        return read_json(path, "file")
    except QheatError:
        return None


def matrix(value: Any) -> dict[str, Any]:
    """A complex array as JSON: {"real": ..., "imag": ...}."""
    import numpy as np

    arr = np.asarray(value)
    return {"real": arr.real.tolist(), "imag": arr.imag.tolist()}


def array(data: dict[str, Any]) -> Any:
    """The complex array of ``matrix(...)``."""
    import numpy as np

    return np.asarray(data["real"], dtype=float) + 1j * np.asarray(data["imag"], dtype=float)


class Lock:
    """An exclusive lock beside ``path`` (``.<name>.lock``), so that two runs never write one file.

    Taken without waiting: a second run into the same file is refused in one line. ``flock`` on a lock
    file that its holder deletes on release (filelock leaves its lock files behind): a run that opened
    the file just before it was deleted sees the inode change and tries again, so two holders can
    never coexist. Works across processes and across machines on a file system with ``flock``."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.lock_path = self.path.with_name(f".{self.path.name}.lock")
        self._fd: int | None = None
        self._made: list[Path] = []  # folders the lock created, removed on release when left empty

    def __enter__(self) -> Lock:
        import fcntl

        try:
            missing = self.lock_path.parent
            while not missing.exists():
                self._made.append(missing)
                missing = missing.parent
            self.lock_path.parent.mkdir(parents=True, exist_ok=True)
            while True:
                fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    os.close(fd)
                    raise QheatError(
                        f"another qheat run is writing {self.path} (lock {self.lock_path}); wait for "
                        "it to finish or use another --output"
                    ) from None
                try:
                    same = os.stat(self.lock_path).st_ino == os.fstat(fd).st_ino
                except FileNotFoundError:
                    same = False
                if same:
                    self._fd = fd
                    return self
                os.close(fd)  # the holder deleted it as we opened it: take the new one
        except OSError as exc:
            raise QheatError(f"cannot lock {self.path}: {exc.strerror or exc}") from None

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            self.lock_path.unlink(missing_ok=True)
            os.close(self._fd)
            self._fd = None
        for folder in self._made:  # innermost first: a refused run leaves no empty output folder
            try:
                folder.rmdir()
            except OSError:
                break  # not empty (or gone): what is in it stays
