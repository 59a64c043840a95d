"""Writing files safely: the one home of atomic writes and of the cross-process lock.

Every output is written to a temporary file beside it and renamed into place, so a failed write
leaves the previous file (and no temporary file) and a kill leaves the previous file and a
temporary `.<name>.<random>.<host>.<pid>.tmp`, which the next write of that file on that host
removes once its writer is dead. An existing output that is not a regular file (a symlink, a
device, a folder) is refused rather than replaced. JSON, text lines and CSV are read as UTF-8
with or without a byte-order mark."""

from __future__ import annotations

import contextlib
import fcntl
import functools
import glob
import json
import math
import os
import socket
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


def check_output(path: str | os.PathLike, folder: bool = False) -> Path:
    """`path` as a Path if it may be written, creating nothing: absent, or an existing regular
    file (a folder if `folder`), not a symlink, its nearest existing ancestor a folder.
    LadderError otherwise."""
    path = Path(path)
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise LadderError(f"{path}: cannot be written ({exc.strerror})") from None
    wanted, noun = (stat.S_ISDIR, "a folder") if folder else (stat.S_ISREG, "a regular file")
    if mode is not None and not wanted(mode):
        kind = "a symlink" if stat.S_ISLNK(mode) else f"not {noun}"
        raise LadderError(f"{path}: {kind}; refusing to replace it (write to another path)")
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise LadderError(f"{path}: {parent} is not a folder (write to another path)")
    return path


def atomic_write(path: str | os.PathLike, write: Callable[[Path], None]) -> Path:
    """Call write(tmp) on a temporary file beside `path`, then rename it onto `path`; its
    folder is created (and removed again, with the temporary file, if the write fails).
    Temporaries that a killed write left beside `path` are removed first."""
    path = check_output(path)
    created = [p for p in (path.parent, *path.parent.parents) if not p.exists()]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LadderError(f"{path.parent}: cannot create the folder ({exc.strerror})") from None
    remove_stale_temporaries(path)
    try:
        suffix = f".{socket.gethostname()}.{os.getpid()}.tmp"
        fd, name = tempfile.mkstemp(suffix, f".{path.name}.", path.parent)
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
        if not path.exists():
            for folder in created:  # innermost first; only the empty folders made here
                with contextlib.suppress(OSError):
                    folder.rmdir()
    return path


def remove_stale_temporaries(path: Path) -> None:
    """Remove the temporary files of atomic writes of `path` whose writer is dead (killed
    mid-write): named .<name>.<random>.<host>.<pid>.tmp by a process of this host that no
    longer runs (another host's, on a shared folder, are left alone)."""
    prefix = f".{path.name}."
    for tmp in path.parent.glob(f"{glob.escape(prefix)}*.tmp"):
        writer = tmp.name[len(prefix) : -len(".tmp")].partition(".")[2]
        host, _, pid = writer.rpartition(".")
        if host == socket.gethostname() and pid.isdigit() and not _alive(int(pid)):
            with contextlib.suppress(OSError):
                tmp.unlink()


def _alive(pid: int) -> bool:
    """Whether process `pid` runs on this host (another user's counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        pass
    return True


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
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LadderError(f"{path}: not a {what} ({exc})") from None


def read_lines(path: str | os.PathLike) -> Iterator[tuple[int, str]]:
    """A text file's non-blank lines with their numbers (UTF-8, a byte-order mark allowed);
    LadderError naming the file when it is not UTF-8."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8-sig") as handle:
            for number, line in enumerate(handle, 1):
                if line.strip():
                    yield number, line
    except UnicodeDecodeError as exc:
        raise LadderError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def read_table(path: str | os.PathLike, dtype: dict[str, type] | None = None) -> pd.DataFrame:
    """A table from Parquet or (optionally compressed) CSV, `dtype` for CSV columns; LadderError
    naming the file when it is missing, unreadable or names a column twice."""
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise LadderError(f"{path}: no such file")
    try:
        if path.suffix == ".parquet":
            frame = pd.read_parquet(path)
            header = [str(name) for name in frame.columns]
        else:
            frame, header = _read_csv(path, dtype)
    except Exception as exc:  # the readers raise many types; name the file and the reason
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise LadderError(f"{path}: cannot be read as a table ({first})") from None
    repeated = sorted({str(name) for name in header if header.count(name) > 1})
    if repeated:
        raise LadderError(f"{path}: column(s) {', '.join(map(repr, repeated))} named twice")
    return frame


SEPARATORS = ";\t|"  # tried in turn when a CSV read with commas has one column
DECIMAL_COMMA = r"^-?\d+,\d+$"  # 0,256: a number as a spreadsheet of a comma locale writes it


def _read_csv(path: Path, dtype: dict[str, type] | None) -> tuple[pd.DataFrame, list[str]]:
    """A CSV (UTF-8, with or without a BOM) separated by commas, or by the first of SEPARATORS
    its one-column header holds (a spreadsheet's export: `run;task;params`), with decimal
    commas where its text cells are all numbers written so; and its header as written (pandas
    renames a repeated name: x, x.1)."""
    import pandas as pd

    read = functools.partial(pd.read_csv, path, dtype=dtype, encoding="utf-8-sig")
    frame = read()
    first = str(frame.columns[0]) if frame.shape[1] == 1 else ""
    sep = next((sep for sep in SEPARATORS if sep in first), ",")
    if sep != ",":
        frame = read(sep=sep)
        text = frame.select_dtypes(include=["object", "string"])
        if any(text[c].dropna().astype(str).str.match(DECIMAL_COMMA).all() for c in text):
            frame = read(sep=sep, decimal=",")
    header = read(sep=sep, header=None, nrows=1, dtype=str)
    return frame, header.iloc[0].tolist() if len(header) else []


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
