"""Writing files safely: the one home of atomic writes and of the cross-process lock.

Every output is written to a temporary file beside it and renamed into place, so a kill or a
failed write leaves the previous file (and no temporary file). An existing output that is not
a regular file (a symlink, a device, a folder) is refused rather than replaced.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import math
import os
import stat
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ladder.errors import LadderError

if TYPE_CHECKING:
    import pandas as pd


TABLE_SUFFIXES = (".parquet", ".csv", ".csv.gz", ".csv.bz2", ".csv.xz", ".csv.zst")  # read_table's


def check_suffix(path: str | os.PathLike, allowed: Sequence[str], what: str) -> Path:
    """`path` as a Path if its name ends in one of `allowed` (a form ladder reads back);
    LadderError listing them otherwise."""
    path = Path(path)
    if not path.name.endswith(tuple(allowed)):
        raise LadderError(f"{path}: {what} is written as {' or '.join(allowed)}; not this name")
    return path


def check_output(path: str | os.PathLike) -> Path:
    """`path` as a Path if it may be written: absent, or an existing regular file (not a
    symlink); its folder is created. LadderError otherwise."""
    path = Path(path)
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise LadderError(f"{path}: cannot be written ({exc.strerror})") from None
    if mode is not None and not stat.S_ISREG(mode):
        kind = "a symlink" if stat.S_ISLNK(mode) else "not a regular file"
        raise LadderError(f"{path}: {kind}; refusing to replace it (write to another path)")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LadderError(f"{path.parent}: cannot create the folder ({exc.strerror})") from None
    return path


def atomic_write(path: str | os.PathLike, write: Callable[[Path], None]) -> Path:
    """Call write(tmp) on a temporary file beside `path`, then rename it onto `path`."""
    path = check_output(path)
    try:
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise LadderError(f"{path}: cannot be written ({exc.strerror})") from None
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as exc:
        raise LadderError(f"{path}: cannot be written ({exc.strerror or exc})") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return path


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write UTF-8 text atomically."""
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def plain_json(value: Any) -> Any:
    """NaN and infinity as null, tuples as lists: standard JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): plain_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain_json(v) for v in value]
    return value


def write_json(path: str | os.PathLike, document: Any) -> Path:
    """Write a JSON document atomically (NaN and infinity become null)."""
    return write_text(path, json.dumps(plain_json(document), indent=2) + "\n")


def read_json(path: str | os.PathLike, what: str = "JSON file") -> Any:
    """A JSON file's content; LadderError naming the file when it is missing or not JSON."""
    path = Path(path)
    if not path.is_file():
        raise LadderError(f"{path}: no such file")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LadderError(f"{path}: not a {what} ({exc})") from None


def read_table(path: str | os.PathLike) -> pd.DataFrame:
    """A table from Parquet or (optionally compressed) CSV; LadderError naming the file when it
    is missing or unreadable."""
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise LadderError(f"{path}: no such file")
    try:
        return pd.read_parquet(path) if path.suffix == ".parquet" else _read_csv(path)
    except Exception as exc:  # the readers raise many types; name the file and the reason
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise LadderError(f"{path}: cannot be read as a table ({first})") from None


SEPARATORS = ";\t|"  # tried in turn when a CSV read with commas has one column
DECIMAL_COMMA = r"^-?\d+,\d+$"  # 0,256: a number as a spreadsheet of a comma locale writes it


def _read_csv(path: Path) -> pd.DataFrame:
    """A CSV separated by commas, or by the first of SEPARATORS its one-column header holds
    (a spreadsheet's export: `run;task;params`), with decimal commas where its text cells
    are all numbers written so."""
    import pandas as pd

    frame = pd.read_csv(path)
    header = str(frame.columns[0]) if frame.shape[1] == 1 else ""
    sep = next((sep for sep in SEPARATORS if sep in header), None)
    if sep is None:
        return frame
    frame = pd.read_csv(path, sep=sep)
    text = frame.select_dtypes(include=["object", "string"])
    if any(text[c].dropna().astype(str).str.match(DECIMAL_COMMA).all() for c in text):
        frame = pd.read_csv(path, sep=sep, decimal=",")
    return frame


@contextlib.contextmanager
def locked(path: str | os.PathLike) -> Iterator[None]:
    """Hold an exclusive lock on `path` (a `.lock` file beside it) across processes."""
    path = Path(path)
    lock = path.with_name(f".{path.name}.lock")
    try:
        lock.parent.mkdir(parents=True, exist_ok=True)
        handle = open(lock, "w")  # noqa: SIM115 (closed below, after the unlock)
    except OSError as exc:
        raise LadderError(f"{lock}: cannot take the lock ({exc.strerror})") from None
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
