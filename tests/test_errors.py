"""The error contract of every verb: bad input is one line on stderr and exit code 2, never a
traceback or an "internal error", and nothing is written. Plus fuzzing of the two readers of
untrusted input (the observation table and the spec loader), and tables never destroyed."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import ROOT, write_small_ladder
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ladder.api import fits_home, load_fit
from ladder.cli import main
from ladder.data import observations
from ladder.errors import LadderError
from ladder.files import read_json, write_json
from ladder.spec.ladder import parse_spec

TABLE = str(ROOT / "data" / "olmo-ladder.parquet")
RUNS = "190M-1xC,190M-2xC,190M-5xC,190M-10xC,370M-1xC,370M-2xC,370M-5xC,370M-10xC"


def _files(tmp):
    """Inputs the cases point at: a non-UTF-8 spec, a header-only log, a directory, a link."""
    (tmp / "latin1.yaml").write_bytes(b"name: caf\xe9\n")
    (tmp / "header.csv").write_text("_step,throughput/total_tokens,eval/downstream_bpb/x_bpb\n")
    (tmp / "a-folder").mkdir()
    (tmp / "link.json").symlink_to(tmp / "elsewhere.json")
    (tmp / "notfit.json").write_text('{"schema": "something else"}')
    header = "_step,throughput/total_tokens,eval/downstream_bpb/x_bpb\n"
    (tmp / "bpb.csv").write_text(header + "1,100,0.5\n2,200,oops\n")
    (tmp / "step.csv").write_text(header + "x,100,0.5\n")
    (tmp / "no-tokens.csv").write_text(header + "1,,0.5\n")
    (tmp / "t.csv").write_text("run,params,tokens,step,task,task_loss\nr,200000000,1,1,t,1\n")
    (tmp / "spec.yaml").write_text("name: s\ndata: t.csv\nfit: {runs: [r]}\n")
    columns = "run,params,tokens,step,task,task_loss\n"
    (tmp / "zero-tokens.csv").write_text(columns + "r,1,0,5,t,1\n")
    (tmp / "zero-loss.csv").write_text(columns + "r,1,1,1,t,0\n")
    (tmp / "twice.csv").write_text(columns.replace("step", "task_loss") + "r,1,1,1,t,1\n")
    (tmp / "step-0.csv").write_text(columns + "a,1e6,0,0,t,2\nb,2e6,0,0,t,1.5\n")
    frame = pd.read_csv(tmp / "t.csv").assign(tokens=pd.to_datetime(["2026-01-01"]))
    frame.to_parquet(tmp / "dates.parquet")


CASES = {
    "level out of range": (["fit", "--level", "1.5"], "between 0 and 1"),
    "negative bootstrap": (["fit", "--bootstrap", "-5"], "fit.bootstrap"),
    "bootstrap not a whole number": (["fit", "--bootstrap", "1e9"], "invalid int value"),
    "oversized bootstrap": (["fit", "--bootstrap", "1000000"], "fit.bootstrap"),
    "negative seed": (["fit", "--seed", "-1"], "fit.seed"),
    "non-finite skip fraction": (["fit", "--skip-fraction", "nan"], "fit.skip_fraction"),
    "zero final window": (["fit", "--final-window", "0"], "fit.final_window"),
    "unknown method": (["fit", "--method", "magic"], "unknown method 'magic'"),
    "duplicate target": (
        ["fit", "--target", "A=1e9,1e12", "--target", "A=2e9,1e12"],
        "target 'A' is defined twice",
    ),
    "target at N = 1e300": (["fit", "--target", "A=1e300,1e12"], "out of range"),
    "non-UTF-8 spec": (["fit", "-c", "{tmp}/latin1.yaml"], "not UTF-8 text"),
    "output is a folder": (["fit", "-o", "{tmp}/a-folder"], "not a regular file"),
    "output is a symlink": (["fit", "-o", "{tmp}/link.json"], "a symlink"),
    "output is a device": (["fit", "-o", "/dev/null"], "not a regular file"),
    "output is the input table": (
        ["fit", "{tmp}/t.csv", "--fit-runs", "r", "-o", "{tmp}/t.csv"],
        "is also an input of `ladder fit`",
    ),
    "output is the spec's table": (
        ["fit", "-c", "{tmp}/spec.yaml", "-o", "{tmp}/t.csv"],
        "t.csv: is also an input of `ladder fit`",
    ),
    "output is the spec": (["fit", "-c", "{tmp}/spec.yaml", "-o", "{tmp}/spec.yaml"], "input"),
    "output is the fit read": (
        [
            "predict",
            "{tmp}/notfit.json",
            "--params",
            "1",
            "--tokens",
            "1",
            "-o",
            "{tmp}/notfit.json",
        ],
        "is also an input of `ladder predict`",
    ),
    "noise over the spec's table": (
        ["noise", "-c", "{tmp}/spec.yaml", "-o", "{tmp}/t.csv"],
        "is also an input of `ladder noise`",
    ),
    "compare over its first fit": (
        ["compare", "{tmp}/notfit.json", "{tmp}/none.json", "-o", "{tmp}/notfit.json"],
        "is also an input of `ladder compare`",
    ),
    "import a table into itself": (
        ["import", "csv", "{tmp}/t.csv", "-o", "{tmp}/t.csv"],
        "is also an input of `ladder import`",
    ),
    "zero tokens after step 0": (
        ["fit", "{tmp}/zero-tokens.csv", "--fit-runs", "r"],
        "row 2, column 'tokens': zero tokens seen after step 0 (0)",
    ),
    "zero task loss": (
        ["fit", "{tmp}/zero-loss.csv", "--fit-runs", "r"],
        "row 2, column 'task_loss': outside (0, inf] (0)",
    ),
    "fit runs at D = 0": (
        ["fit", "{tmp}/step-0.csv", "--fit-runs", "a,b", "--method", "paper", "--bootstrap", "0"],
        "fit run 'a' ends at D = 0 tokens",
    ),
    "a column named twice": (
        ["fit", "{tmp}/twice.csv", "--fit-runs", "r"],
        "twice.csv: column(s) 'task_loss' named twice",
    ),
    "tokens stored as dates": (
        ["fit", "{tmp}/dates.parquet", "--fit-runs", "r"],
        "column 'tokens': a date or time, not a number",
    ),
    "no task in --tasks": (
        ["fit", TABLE, "--fit-runs", RUNS, "--tasks", ","],
        "--tasks ',': names nothing",
    ),
    "no run in --fit-runs": (["fit", "--fit-runs", " , "], "--fit-runs ' , ': names nothing"),
    "an observation table as .txt": (
        ["import", "csv", "{tmp}/t.csv", "-o", "{tmp}/x.txt"],
        "x.txt: an observation table is written as .parquet or .csv or .csv.gz",
    ),
    "bad chance": (
        ["fit", TABLE, "--fit-runs", RUNS, "--chance", "piqa_val_rc_5shot=abc"],
        "expected NAME=NUMBER",
    ),
    "missing fit file": (
        ["predict", "{tmp}/none.json", "--params", "1e9", "--tokens", "1e12"],
        "no such file",
    ),
    "not a fit file": (
        ["predict", "{tmp}/notfit.json", "--params", "1", "--tokens", "1"],
        "not a ladder fit",
    ),
    "compare a missing file": (["compare", "{tmp}/none.json", "{tmp}/none.json"], "no such file"),
    "plot a folder": (["plot", "{tmp}/a-folder"], "no such file"),
    "bad figure format": (["plot", "--formats", "gif", "--output-dir", "{tmp}/p"], "figure format"),
    "noise over one evaluation": (["variance", "--last-n", "1"], "last_n must be at least 3"),
    "raw noise over one evaluation": (
        ["variance", "--raw", "--last-n", "1"],
        "last_n must be at least 2",
    ),
    "noise of an unknown run": (["variance", "--runs", "nope"], "run 'nope' is not in the data"),
    "unknown backtest kind": (["backtest", "--kind", "sideways"], "choose from size"),
    "hold out an unknown run": (["backtest", "--hold-out", "nope", "--method", "paper"], "'nope'"),
    "import a missing log": (
        ["import", "olmo-logs", "{tmp}/none.csv", "-o", "{tmp}/t.parquet"],
        "no such file",
    ),
    "import a header-only log": (
        [
            "import",
            "olmo-logs",
            "{tmp}/header.csv",
            "--params",
            "header=1e9",
            "-o",
            "{tmp}/t.parquet",
        ],
        "no rows",
    ),
    "import with bad params": (
        ["import", "olmo-logs", "{tmp}/header.csv", "--params", "x=-3", "-o", "{tmp}/t.parquet"],
        "expected NAME=NUMBER",
    ),
    "import a log with a word for bpb": (
        ["import", "olmo-logs", "{tmp}/bpb.csv", "--params", "bpb=1e9", "-o", "{tmp}/t.csv"],
        "row 3, column 'eval/downstream_bpb/x_bpb': not a number ('oops')",
    ),
    "import a log with a word for the step": (
        ["import", "olmo-logs", "{tmp}/step.csv", "--params", "step=1e9", "-o", "{tmp}/t.csv"],
        "row 2, column '_step': not a number ('x')",
    ),
    "import a log without tokens": (
        ["import", "olmo-logs", "{tmp}/no-tokens.csv", "--params", "no=1e9", "-o", "{tmp}/t.csv"],
        "column 'tokens': missing",
    ),
    "import with infinite params": (
        ["import", "olmo-logs", "{tmp}/bpb.csv", "--params", "190M=inf", "-o", "{tmp}/t.csv"],
        "--params '190M=inf': expected NAME=NUMBER",
    ),
    "prepare without input": (["prepare-data", "-o", "{tmp}/t.npy"], "give input files"),
    "prepare a missing file": (
        ["prepare-data", "{tmp}/none.txt", "-o", "{tmp}/t.npy"],
        "no such file",
    ),
    "train an unknown rung": (
        ["train", "-c", str(ROOT / "configs" / "tiny.yaml"), "--rungs", "nope", "--dry-run"],
        "unknown rung 'nope'",
    ),
    "collect an unknown task": (
        ["collect", "--tasks", "arc_eazy", "-c", str(ROOT / "configs" / "tiny.yaml")],
        "unknown task",
    ),
    "collect a missing folder": (
        [
            "collect",
            "--hf",
            "{tmp}/none",
            "--run",
            "x",
            "--tasks",
            "piqa_rc_0shot",
            "-o",
            "{tmp}/t.parquet",
        ],
        "not a Hugging Face model folder",
    ),
}


def _snapshot(folder):
    """Every path under `folder`, with a regular file's bytes."""
    return {
        path: path.read_bytes() if path.is_file() and not path.is_symlink() else None
        for path in folder.rglob("*")
    }


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_one_line_exit_2(case, tmp_path, capsys):
    _files(tmp_path)
    before = _snapshot(tmp_path)
    args, message = CASES[case]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a raw Python warning would be an internal error (1)
        code = main([a.replace("{tmp}", str(tmp_path)) for a in args])
    err = capsys.readouterr().err
    assert code == 2, err
    assert message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "internal error" not in err
    assert _snapshot(tmp_path) == before  # nothing written or changed, no temporary file left


def test_the_error_contract_holds_through_the_installed_command(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "ladder", "fit", "--bootstrap", "true"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2 and "invalid int value" in result.stderr


def _closed_stdout(args: list[str]) -> subprocess.CompletedProcess:
    """`ladder ARGS | head -c 0`: run with a stdout whose reader is already gone."""
    read, write = os.pipe()
    os.close(read)
    with os.fdopen(write, "wb") as stdout:
        return subprocess.run(
            [sys.executable, "-m", "ladder", *args],
            stdout=stdout,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            check=False,
        )


def test_a_closed_stdout_still_writes_the_fit(tmp_path):
    """`ladder fit -o F | head -c 0`: the reader is gone before the report is printed; the fit
    is written all the same, with exit code 0 and nothing on stderr."""
    out = tmp_path / "fit.json"
    result = _closed_stdout(["fit", "-q", "--method", "paper", "--bootstrap", "0", "-o", str(out)])
    assert (result.returncode, result.stderr) == (0, "")
    assert load_fit(out).spec.name == "olmo-paper"


def test_a_closed_stdout_still_imports(tmp_path):
    table = "run,params,tokens,step,task,task_loss\nr,200000000,1,1,t,1\n"  # N = 1 would warn
    (tmp_path / "t.csv").write_text(table)
    out = tmp_path / "o.parquet"
    result = _closed_stdout(["import", "csv", str(tmp_path / "t.csv"), "-o", str(out)])
    assert (result.returncode, result.stderr) == (0, "")
    assert observations.read(out)["run"].tolist() == ["r"]


@pytest.mark.parametrize(("file", "name"), [("my data.csv", "my-data"), (".hidden.csv", "hidden")])
def test_a_table_whose_stem_is_no_safe_name_fits_under_a_safe_one(
    tmp_path, paper_table, file, name
):
    path = tmp_path / file
    paper_table[paper_table["task"] == "hellaswag_val_rc_5shot"].to_csv(path, index=False)
    args = ["fit", str(path), "--fit-runs", RUNS, "--method", "paper", "--bootstrap", "0", "-q"]
    assert main(args) == 0
    assert load_fit(fits_home() / f"{name}.json").spec.name == name


@pytest.mark.parametrize(
    ("ladder", "method"),
    [("reversed", ["--method", "paper", "--bootstrap", "0"]), ("flat", [])],
)
def test_a_degenerate_ladder_leaks_no_numpy_warning(tmp_path, paper_table, ladder, method):
    """Accuracy rising with task loss, or one task loss for every checkpoint: the sigmoid's
    exp must not overflow onto stderr (the tool's own warnings may)."""
    table = paper_table[paper_table["task"] == "hellaswag_val_rc_5shot"]
    if ladder == "reversed":
        table = table.assign(accuracy=(1.25 - table["accuracy"]).clip(0, 1))
    else:
        table = table.assign(task_loss=1.0)
    table.to_csv(tmp_path / "t.csv", index=False)
    args = ["fit", str(tmp_path / "t.csv"), "--fit-runs", RUNS, *method, "-q"]
    result = subprocess.run(
        [sys.executable, "-m", "ladder", *args, "-o", str(tmp_path / "fit.json")],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), "XDG_CACHE_HOME": str(tmp_path / "cache")},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "RuntimeWarning" not in result.stderr and "Traceback" not in result.stderr


KILLED_AT = {  # code run in the command's process before it starts: SIGKILL at that point
    "writing": "Path.write_text = lambda self, text, **k: (OLD(self, text[:999], **k), DIE())",
    "writing a table": "pd.DataFrame.to_parquet = lambda self, path, **k: (open(path, 'wb')"
    ".write(b'PAR1'), DIE())",
    "renaming": "os.replace = lambda *a: DIE()",
    "fitting": "threading.Timer(1.0, DIE).start()",
}


def _killed(args: list[str], point: str) -> None:
    """Run `ladder ARGS` and SIGKILL it at `point` (one of KILLED_AT)."""
    code = (
        "import os, signal, sys, threading\nfrom pathlib import Path\nimport pandas as pd\n"
        "OLD, DIE = Path.write_text, lambda: os.kill(os.getpid(), signal.SIGKILL)\n"
        f"{KILLED_AT[point]}\nfrom ladder.cli import main\nsys.exit(main({args!r}))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", code], env=env, check=False, timeout=300)
    assert result.returncode == -signal.SIGKILL


@pytest.mark.parametrize("point", ["writing", "renaming", "fitting"])
def test_a_fit_killed_at_any_point_leaves_the_previous_file(tmp_path, point):
    """SIGKILL while fitting, half-way through writing the temporary file, or just before it
    is renamed into place: -o keeps its previous content byte for byte."""
    out = tmp_path / "fit.json"
    out.write_text('{"previous": "fit"}\n')
    before = out.read_bytes()
    _killed(["fit", "-q", "--method", "paper", "--bootstrap", "0", "-o", str(out)], point)
    assert out.read_bytes() == before
    if point != "fitting":  # the kill came while the new fit was being written
        assert list(tmp_path.glob(".fit.json.*.tmp"))


@pytest.mark.parametrize("point", ["writing a table", "renaming"])
def test_an_import_killed_while_writing_leaves_the_previous_table(tmp_path, point):
    out = tmp_path / "t.parquet"
    columns = "run,params,tokens,step,task,task_loss\n"
    (tmp_path / "old.csv").write_text(columns + "old,1,1,1,t,1\n")
    (tmp_path / "new.csv").write_text(columns + "new,1,1,1,t,1\n")
    assert main(["import", "csv", str(tmp_path / "old.csv"), "-o", str(out)]) == 0
    before = out.read_bytes()
    _killed(["import", "csv", str(tmp_path / "new.csv"), "-o", str(out)], point)
    assert out.read_bytes() == before
    assert observations.read(out)["run"].tolist() == ["old"]
    assert list(tmp_path.glob(".t.parquet.*.tmp"))
    assert main(["import", "csv", str(tmp_path / "new.csv"), "-o", str(out)]) == 0
    assert sorted(observations.read(out)["run"]) == ["new", "old"]
    assert not list(tmp_path.glob(".t.parquet.*.tmp"))  # the dead import's temporary is gone


@pytest.mark.parametrize("point", ["writing", "renaming"])
def test_a_benchmark_killed_while_writing_reruns_to_a_whole_file(
    tmp_path, paper_table, monkeypatch, point
):
    """benchmark writes its method-selection cache, then its -o: killed writing either, the
    previous -o stays byte for byte and the rerun writes the whole benchmark, removing the dead
    run's temporaries."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # cold: no selection cached
    spec = write_small_ladder(tmp_path, paper_table)
    out = tmp_path / "bench.json"
    out.write_text('{"previous": "benchmark"}\n')
    args = ["benchmark", "--ladders", str(spec), "--methods", "paper,carry", "-q", "-o", str(out)]
    for killed_writing in ("cache", "bench.json"):
        before = out.read_bytes()
        _killed(args, point)
        assert out.read_bytes() == before
        [tmp] = tmp_path.rglob(".*.tmp")
        assert tmp.parent.name == ("selection" if killed_writing == "cache" else tmp_path.name)
        assert main(args) == 0
        document = read_json(out)
        assert [ladder["name"] for ladder in document["ladders"]] == ["small"]
        assert {row["method"] for row in document["predictions"]} == {"paper", "carry"}
        assert not list(tmp_path.rglob(".*.tmp"))


def test_a_write_removes_dead_writers_temporaries_only(tmp_path):
    """Temporaries of a killed write (its pid gone on this host) go; a living writer's,
    another host's, another file's and files not named as temporaries stay."""
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    host = socket.gethostname()
    names = {
        f".fit.json.a1b2c3d4.{host}.{dead}.tmp": False,
        f".fit.json.e5f6g7h8.{host}.{os.getpid()}.tmp": True,
        f".fit.json.a1b2c3d4.elsewhere.{dead}.tmp": True,  # another host's, on a shared folder
        f".other.json.a1b2c3d4.{host}.{dead}.tmp": True,
        "fit.json.tmp": True,
    }
    for name in names:
        (tmp_path / name).write_text("partial")
    write_json(tmp_path / "fit.json", {"a": 1})
    assert {name: (tmp_path / name).exists() for name in names} == names
    assert read_json(tmp_path / "fit.json") == {"a": 1}


def test_two_fits_writing_one_output_leave_one_complete_file(tmp_path):
    out = tmp_path / "fit.json"
    args = ["fit", "-q", "--method", "paper", "--bootstrap", "0", "-o", str(out)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "ladder", *args, "--seed", str(seed)],
            env=env,
            stdout=subprocess.DEVNULL,
        )
        for seed in (1, 2)
    ]
    assert [p.wait(timeout=300) for p in processes] == [0, 0]
    assert load_fit(out).spec.fit.seed in (1, 2)
    assert [path.name for path in tmp_path.iterdir()] == ["fit.json"]  # no temporary file


def test_import_adds_to_a_table_instead_of_replacing_it(tmp_path, paper_table, capsys):
    out = tmp_path / "t.csv"
    one = paper_table[paper_table["run"] == "190M-1xC"]
    two = paper_table[paper_table["run"] == "370M-1xC"]
    one.to_csv(tmp_path / "one.csv", index=False)
    two.to_csv(tmp_path / "two.csv", index=False)
    assert main(["import", "csv", str(tmp_path / "one.csv"), "-o", str(out)]) == 0
    assert main(["import", "csv", str(tmp_path / "two.csv"), "-o", str(out)]) == 0
    assert main(["import", "csv", str(tmp_path / "one.csv"), "-o", str(out)]) == 0
    assert "kept as they were" in capsys.readouterr().out
    assert len(observations.read(out)) == len(one) + len(two)
    assert main(["import", "csv", str(tmp_path / "two.csv"), "-o", str(out), "--replace"]) == 0
    assert len(observations.read(out)) == len(two)


def test_concurrent_imports_both_land(tmp_path, paper_table):
    """Two imports into one table at once: the lock queues them, no rows are lost."""
    out = tmp_path / "t.parquet"
    sources = []
    for i, run in enumerate(["190M-1xC", "370M-1xC", "760M-1xC", "1B-1xC"]):
        path = tmp_path / f"{i}.parquet"
        paper_table[paper_table["run"] == run].to_parquet(path)
        sources.append(path)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "ladder", "import", "csv", str(path), "-o", str(out)], env=env
        )
        for path in sources
    ]
    assert [p.wait(timeout=120) for p in processes] == [0, 0, 0, 0]
    assert set(observations.read(out)["run"]) == {"190M-1xC", "370M-1xC", "760M-1xC", "1B-1xC"}


TEXT = st.text(min_size=0, max_size=8)
CELL = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    TEXT,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "run": CELL,
                "params": CELL,
                "tokens": CELL,
                "step": CELL,
                "task": CELL,
                "task_loss": CELL,
                "accuracy": CELL,
            }
        ),
        min_size=0,
        max_size=6,
    )
)
def test_the_table_reader_accepts_or_names_the_bad_cell(rows):
    """Any table: either a valid one comes back (every value in its range) or a LadderError."""
    frame = pd.DataFrame(
        rows, columns=["run", "params", "tokens", "step", "task", "task_loss", "accuracy"]
    )
    try:
        table = observations.validate(frame, source="fuzz")
    except LadderError as exc:
        assert str(exc).startswith("fuzz:") and "\n" not in str(exc)
        return
    assert (table["params"] >= 1).all() and (table["tokens"] >= 0).all()
    assert np.isfinite(table["task_loss"]).all() and (table["task_loss"] >= 0).all()
    accuracy = table["accuracy"].dropna()
    assert ((accuracy >= 0) & (accuracy <= 1)).all()


YAML_VALUE = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), TEXT),
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(TEXT, children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["name", "data", "fit", "targets", "tasks", "train", "methods", "x"]),
        YAML_VALUE,
        max_size=6,
    )
)
def test_the_spec_loader_accepts_or_names_the_mistake(raw):
    """Any mapping (as YAML could give): a valid spec or one line of LadderError."""
    try:
        spec = parse_spec(yaml.safe_load(yaml.safe_dump(raw)), "fuzz.yaml")
    except LadderError as exc:
        assert str(exc).startswith("fuzz.yaml") and "\n" not in str(exc)
        return
    assert spec.fit_runs and spec.name
