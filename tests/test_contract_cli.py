"""The error contract, generated: every verb of the parser, each file it reads given in every
malformed or unusual form (a byte-order mark, UTF-16, Latin-1, CRLF line ends, semicolons or
tabs for commas, a symlink, in a folder '.a b', empty, a folder, a symlink loop, missing; a
table's cells NaN, infinite, 0, -1, 1e400, a word or empty, column by column) and each path it
writes given as a path that cannot or can hardly be written (a folder, a symlink loop, under a
file, in a read-only folder, in new folders '.new folder/deeper', one of its inputs: always
refused). Each run either succeeds or says one line `error: ...` with exit code 2 and changes
nothing; never a traceback, an internal error or a changed input. The readable forms (a BOM,
CRLF, a symlink, a dotted folder with a space) of every kind of file succeed, and every verb
writes its outputs with a closed stdout. A verb added to the parser without a line in
INVOCATIONS fails `test_every_verb_has_an_invocation`. (Run as root, a read-only folder is
writable: those cases are skipped.)"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import sys
import warnings
from pathlib import Path

import pandas as pd
import pytest
from conftest import ROOT, SMALL_FIT_RUNS, write_small_ladder

from ladder.cli import build_parser, main

RUNS = f"{SMALL_FIT_RUNS},760M-10xC"
FAST = ["--method", "paper", "--bootstrap", "0"]
LM_EVAL = ROOT / "tests" / "data" / "lm-eval"
RESULTS = next(LM_EVAL.glob("results_*.json")).name

# Each verb's invocations on small valid inputs: IN:<kind> is a file (or folder) it reads,
# OUT:<name> a file it writes, DIR:<name> a folder it writes into.
INVOCATIONS: dict[str, list[list[str]]] = {
    "fit": [
        ["IN:table", "--fit-runs", RUNS, *FAST, "-q", "-o", "OUT:fit.json"],
        ["-c", "IN:spec", "-q", "-o", "OUT:fit.json"],
    ],
    "predict": [["IN:fit", "--params", "1e9", "--tokens", "1e11", "-o", "OUT:p.csv"]],
    "compare": [["IN:fit", "IN:fit", "-q", "-o", "OUT:c.json"]],
    "plot": [["IN:fit", "--formats", "svg", "--output-dir", "DIR:plots", "-q"]],
    "noise": [["-c", "IN:spec", "--last-n", "3", "-o", "OUT:noise.json", "-q"]],
    "allocate": [["IN:fit", "--compute", "1e21", "-o", "OUT:a.csv"]],
    "forecast": [
        [
            *("IN:curves", "--fit-runs", "190M-*,370M-1xC,760M-1xC", "--run", "370M-2xC"),
            *("--until", "0.5", "-o", "OUT:f.json", "-q"),
        ]
    ],
    "backtest": [["-c", "IN:spec", "--hold-out", "760M-5xC", "-o", "OUT:b.json", "-q"]],
    "compute-vs-error": [["-c", "IN:spec", "--formats", "svg", "--output-dir", "DIR:cve", "-q"]],
    "benchmark": [
        ["--ladders", "IN:spec", "--methods", "paper", "-o", "OUT:b.json", "-q"],
    ],
    "report": [["IN:fit", "-c", "IN:spec", "--formats", "svg", "--output-dir", "DIR:r", "-q"]],
    "train": [["-c", "IN:train", "--dry-run", "--output-dir", "DIR:runs", "-q"]],
    "collect": [["-c", "IN:spec", "--tasks", "arc_easy_rc_0shot", "-o", "OUT:c.parquet", "-q"]],
    "import": [
        ["csv", "IN:table", "-o", "OUT:t.parquet"],
        ["olmo-logs", "IN:log", "--params", "190M=190354176", "-o", "OUT:t.csv"],
        ["lm-eval", "IN:results", "--checkpoints", "IN:checkpoints", "-o", "OUT:t.csv"],
    ],
    "prepare-data": [["IN:docs", "-o", "OUT:tokens.npy", "-q"]],
    "proxy evaluate": [["IN:records", "-c", "IN:proxy", "--seeds", "1", "-o", "OUT:e.json", "-q"]],
    "proxy fit": [["IN:records", "-c", "IN:proxy", "-o", "OUT:model.json"]],
    "proxy predict": [["IN:model", "IN:records", "-o", "OUT:p.csv"]],
    "proxy ladder": [["-c", "IN:spec", "--regressor", "poly2", "-o", "OUT:l.json", "-q"]],
    "tune": [["-c", "IN:spec", "d8", "IN:docs", "--output-dir", "DIR:tuned", "-q"]],
    "proxy-tune generate": [["-c", "IN:spec", "--base", "d8", "Question:"]],
    "proxy-tune score": [["-c", "IN:spec", "--base", "d8", "-o", "OUT:s.csv", "-q"]],
    "proxy-tune study": [["-c", "IN:spec", "--output-dir", "DIR:study", "-q"]],
}


def verbs() -> list[str]:
    """Every verb of the parser (subcommands of subcommands by both names), aliases once."""

    def walk(parser: argparse.ArgumentParser, prefix: str) -> list[str]:
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not subs:
            return [prefix]
        seen: set[int] = set()
        out = []
        for name, child in subs[0].choices.items():
            if id(child) not in seen:
                seen.add(id(child))
                out += walk(child, f"{prefix} {name}".strip())
        return out

    return walk(build_parser(), "")


def test_every_verb_has_an_invocation():
    assert sorted(verbs()) == sorted(INVOCATIONS)


def _valid(folder: Path, table: pd.DataFrame) -> dict[str, Path]:
    """A valid file of each kind in `folder`: a small observation table and its spec, its fit,
    whole curves, an OLMo log, lm-eval results with their side table, documents, proxy records,
    spec and model."""
    folder.mkdir(exist_ok=True)
    spec = write_small_ladder(folder, table)
    files = {"table": folder / "t.csv", "spec": spec, "fit": folder / "fit.json"}
    files["curves"] = folder / "curves.csv"  # five runs' whole HellaSwag curves, thinned
    runs = ["190M-1xC", "190M-2xC", "370M-1xC", "370M-2xC", "760M-1xC"]
    curves = table[(table["task"] == "hellaswag_val_rc_5shot") & table["run"].isin(runs)]
    curves[curves.groupby("run").cumcount() % 2 == 0].to_csv(files["curves"], index=False)
    assert main(["fit", "-c", str(files["spec"]), "-q", "-o", str(files["fit"])]) == 0
    files["train"] = folder / "tiny.yaml"
    shutil.copy(ROOT / "configs" / "tiny.yaml", files["train"])
    files["log"] = folder / "190M-1xC.csv"
    shutil.copy(ROOT / "tests" / "data" / "olmo-logs" / "190M-1xC.csv", files["log"])
    files["results"] = folder / RESULTS
    for path in LM_EVAL.glob("*_*.json*"):
        shutil.copy(path, folder / path.name)
    files["checkpoints"] = folder / "checkpoints.csv"
    files["checkpoints"].write_text(
        "model,revision,run,params,tokens,step\n/tmp/lm-eval-sample/model,step0,tiny,20640,1e6,7\n"
    )
    files["docs"] = folder / "docs.jsonl"
    files["docs"].write_text('{"text": "Un café, s\'il vous plaît."}\n' * 20, encoding="utf-8")
    files["records"] = folder / "records.csv"
    rows = [f"{i},{3 * i + i % 2},{i % 5},{'ab'[i % 2]},é{i % 3}\n" for i in range(24)]
    files["records"].write_text("proxy,y,f,group,note\n" + "".join(rows), encoding="utf-8")
    files["proxy"] = folder / "proxy.yaml"
    files["proxy"].write_text(
        "# café\ntarget: y\nproxies: [proxy]\nfeatures: [f]\nregressors: [poly2]\ngrid: fast\n"
    )
    files["model"] = folder / "model.json"
    args = ["proxy", "fit", str(files["records"]), "-c", str(files["proxy"])]
    assert main([*args, "-o", str(files["model"])]) == 0
    return files


@pytest.fixture(scope="module")
def valid(tmp_path_factory, paper_table) -> dict[str, Path]:
    return _valid(tmp_path_factory.mktemp("valid"), paper_table)


def _recode(text: str, how: str) -> bytes:
    return {
        "a byte-order mark": lambda: b"\xef\xbb\xbf" + text.encode(),
        "UTF-16": lambda: text.encode("utf-16"),
        "Latin-1": lambda: text.encode("latin-1", errors="replace"),
        "CRLF line ends": lambda: text.replace("\n", "\r\n").encode(),
        "semicolons": lambda: text.replace(",", ";").encode(),
        "tabs": lambda: text.replace(",", "\t").encode(),
        "empty": lambda: b"",
    }[how]()


RECODINGS = ("a byte-order mark", "UTF-16", "Latin-1", "CRLF line ends", "semicolons", "tabs")
READABLE = ("a byte-order mark", "CRLF line ends", "a symlink", "in a folder '.a b'")
INPUTS = (*RECODINGS, *READABLE[2:], "empty", "a folder", "a symlink loop", "missing")
OUTPUTS = (
    "a folder",
    "a symlink loop",
    "under a file",
    "in a read-only folder",
    "in a new folder",
    "one of its inputs",  # refused, always
)


CELLS = [  # a cell of the table's first row given another value
    f"{column}={value}"
    for column in ("run", "params", "tokens", "step", "task", "task_loss", "accuracy")
    for value in ("nan", "inf", "0", "-1", "1e400", "word", "")
]


def _set_cell(text: str, how: str) -> str:
    """A CSV's text with the first row's `column` set to `value` (how = column=value)."""
    column, _, value = how.partition("=")
    header, first, *rest = text.splitlines()
    cells = first.split(",")
    cells[header.split(",").index(column)] = value
    return "\n".join([header, ",".join(cells), *rest]) + "\n"


def _bad_input(valid: Path, how: str, folder: Path) -> Path:
    """`valid`'s file made bad in `how` (one of INPUTS), under its own name in `folder`, beside
    copies of its companions (a spec's table, lm-eval's samples)."""
    if how == "in a folder '.a b'":  # a leading dot and a space
        folder = folder / ".a b"
    folder.mkdir(parents=True)
    for companion in valid.parent.iterdir():
        if companion.is_file() and companion != valid:
            shutil.copy(companion, folder / companion.name)
    path = folder / valid.name
    if how in RECODINGS:
        path.write_bytes(_recode(valid.read_text(encoding="utf-8"), how))
    elif how in CELLS:
        path.write_text(_set_cell(valid.read_text(encoding="utf-8"), how))
    elif how == "a symlink":
        path.symlink_to(valid)
    elif how in ("in a folder '.a b'", "a copy"):
        shutil.copy(valid, path)
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "a folder":
        path.mkdir()
    elif how == "a symlink loop":
        path.symlink_to(folder / "loop")
        (folder / "loop").symlink_to(path)
    return path


def _bad_output(name: str, how: str, folder: Path) -> Path:
    """A path `name` to write that is bad in `how` (one of OUTPUTS) under `folder`."""
    folder.mkdir()
    path = folder / name
    if how == "a folder":
        path.mkdir()
    elif how == "a symlink loop":
        path.symlink_to(folder / "loop")
        (folder / "loop").symlink_to(path)
    elif how == "under a file":
        (folder / "file").write_text("x\n")
        path = folder / "file" / name
    elif how == "in a read-only folder":
        (folder / "ro").mkdir(mode=0o555)
        path = folder / "ro" / name
    else:
        path = folder / ".new folder" / "deeper" / name
    return path


def _cases() -> list[tuple[str, int, int, str]]:
    """(verb, invocation, slot, how): every slot of every invocation, every bad form."""
    out = []
    for verb, invocations in INVOCATIONS.items():
        for i, args in enumerate(invocations):
            for slot, arg in enumerate(args):
                forms = INPUTS if arg.startswith("IN:") else OUTPUTS
                if arg == "IN:table":
                    forms = (*forms, *CELLS)
                if arg.startswith(("IN:", "OUT:", "DIR:")):
                    out += [(verb, i, slot, how) for how in forms]
    return out


def _snapshot(folder: Path) -> dict[Path, bytes | None]:
    return {
        path: path.read_bytes() if path.is_file() and not path.is_symlink() else None
        for path in folder.rglob("*")
    }


def _run(valid, folder: Path, capsys, verb: str, invocation: int, slot: int, how: str):
    """Run a verb's invocation with the path at `slot` made bad in `how` (in folder/bad, the
    other outputs in folder/out; "one of its inputs": the output is the first input's path);
    (exit code, stderr, whether folder is as it was)."""
    template = INVOCATIONS[verb][invocation]
    first = next(i for i, arg in enumerate(template) if arg.startswith("IN:"))
    if how == "one of its inputs":  # a copy of the first input is also the output
        same = _bad_input(valid[template[first][3:]], "a copy", folder / "bad")
    args = []
    for i, arg in enumerate(template):
        kind, _, name = arg.partition(":")
        if how == "one of its inputs" and i in (first, slot):
            arg = str(same)
        elif i == slot and kind == "IN":
            arg = str(_bad_input(valid[name], how, folder / "bad"))
        elif i == slot:
            arg = str(_bad_output(name, how, folder / "bad"))
        elif kind == "IN":
            arg = str(valid[name])
        elif kind in ("OUT", "DIR"):
            arg = str(folder / "out" / name)
        args.append(arg)
    before = _snapshot(folder)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a raw Python warning would be an internal error (1)
        code = main([*verb.split(), *args])
    return code, capsys.readouterr().err, _snapshot(folder) == before


@pytest.mark.parametrize(("verb", "invocation", "slot", "how"), _cases())
def test_a_bad_path_is_one_line_or_works(valid, tmp_path, capsys, verb, invocation, slot, how):
    if how == "in a read-only folder" and os.geteuid() == 0:
        pytest.skip("root writes into a read-only folder: the case would repeat 'in a new folder'")
    inputs = _snapshot(valid["table"].parent)
    code, err, unchanged = _run(valid, tmp_path, capsys, verb, invocation, slot, how)
    assert _snapshot(valid["table"].parent) == inputs, err  # never a changed input
    assert "Traceback" not in err and "internal error" not in err, err
    assert code in ((2,) if how == "one of its inputs" else (0, 2)), err
    if code == 2:
        assert len(err.strip().splitlines()) == 1 and ": error: " in err, err
        assert unchanged, err


@pytest.mark.parametrize("how", READABLE)
@pytest.mark.parametrize(
    ("verb", "invocation", "slot"),
    [
        ("fit", 0, 0),  # an observation table
        ("fit", 1, 1),  # a ladder spec
        ("predict", 0, 0),  # a fit document
        ("train", 0, 1),  # a spec with a train section
        ("import", 1, 1),  # an OLMo log
        ("import", 2, 3),  # lm-eval's side table
        ("prepare-data", 0, 0),  # JSON Lines documents
        ("proxy fit", 0, 0),  # proxy records
        ("proxy fit", 0, 2),  # a proxy spec
        ("proxy predict", 0, 0),  # a proxy model
    ],
)
def test_a_readable_file_is_read(valid, tmp_path, capsys, verb, invocation, slot, how):
    code, err, _ = _run(valid, tmp_path, capsys, verb, invocation, slot, how)
    assert code == 0 and not err, err


class ClosedStdout(io.StringIO):
    """A stdout whose reader has gone (`ladder ... | head -c 0`): every write and flush fails."""

    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self) -> None:
        raise BrokenPipeError(32, "Broken pipe")


REFUSED = {  # verbs that cannot work on these small inputs
    "collect": "no trained runs",
    "tune": "no trained model",
    "proxy-tune generate": "no trained model",
    "proxy-tune score": "no trained model",
    "proxy-tune study": "no trained model",
    "proxy ladder": "too few rungs to cross-validate",
}


@pytest.mark.parametrize(
    ("verb", "invocation"),
    [(verb, i) for verb, invocations in INVOCATIONS.items() for i in range(len(invocations))],
)
def test_a_closed_stdout_still_writes_the_outputs(
    valid, tmp_path, capsys, monkeypatch, verb, invocation
):
    """Valid inputs, a reader gone before anything is printed: the verb works and writes
    every output (but a dry run); a verb of REFUSED says why in one line."""
    template = INVOCATIONS[verb][invocation]
    outputs = [tmp_path / arg.partition(":")[2] for arg in template if arg[:4] in ("OUT:", "DIR:")]
    args = [str(valid[arg[3:]]) if arg.startswith("IN:") else arg for arg in template]
    args = [str(tmp_path / a.partition(":")[2]) if a[:4] in ("OUT:", "DIR:") else a for a in args]
    monkeypatch.setattr(sys, "stdout", ClosedStdout())
    code = main([*verb.split(), *args])
    err = capsys.readouterr().err
    assert "Traceback" not in err and "internal error" not in err, err
    if verb in REFUSED:
        assert code == 2 and len(err.strip().splitlines()) == 1, err
    else:
        assert code == 0, err
        assert all(path.exists() for path in outputs) or "--dry-run" in template
