"""Tables of experiment records (the proxy regressor's input, see ladder.proxy): read a CSV or
Parquet file, and the bundled ProxyLM records (data/proxylm/, Apache-2.0, see its README)."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from ladder.errors import LadderError
from ladder.files import read_table

PROXYLM_DATA = Path(__file__).resolve().parents[2] / "data" / "proxylm"
PROXYLM_RECORDS = ("mt560", "nusa")


def read_records(path: str | os.PathLike) -> pd.DataFrame:
    """A table of records from Parquet or (optionally compressed) CSV; LadderError naming
    the file when it is missing, unreadable or empty."""
    records = read_table(path)
    if records.empty:
        raise LadderError(f"{path}: no records")
    return records


def proxylm_path(name: str) -> Path:
    """The bundled ProxyLM records `name` (mt560 or nusa), found from the package location."""
    if name not in PROXYLM_RECORDS:
        raise LadderError(f"ProxyLM records {name!r}: one of {', '.join(PROXYLM_RECORDS)}")
    return PROXYLM_DATA / f"{name}_experiments.csv"
