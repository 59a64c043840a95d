"""Learning-rate schedules named for imported runs (ladder.runs.rates, `fit.schedule`,
`ladder fit --schedule`): their rates, their errors, and the rates they fill in a table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

from ladder import api
from ladder.cli import main
from ladder.data.observations import with_schedule
from ladder.errors import LadderError
from ladder.runs.rates import parse_schedule

PYTHIA = ROOT / "configs" / "corpus" / "pythia.yaml"


@pytest.mark.parametrize(
    ("text", "at", "expected"),
    [
        ("cosine", [0, 500, 1000], [1.0, 0.55, 0.1]),
        ("cosine:warmup=0.1,floor=0", [50, 100, 550, 1000], [0.5, 1.0, 0.5, 0.0]),
        ("linear:warmup=100,floor=0.2", [50, 550, 1000], [0.5, 0.6, 0.2]),
        ("constant:warmup=10,peak=3e-4", [5, 10, 1000], [1.5e-4, 3e-4, 3e-4]),
        ("wsd:decay=0.2", [0, 800, 900, 1000], [1.0, 1.0, 0.5, 0.0]),
        ("cosine:steps=2000", [1000], [0.55]),
    ],
)
def test_schedule_rates(text, at, expected):
    rates = parse_schedule(text).rates(np.array(at), 1000)
    np.testing.assert_allclose(rates, expected, atol=1e-12)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("cosin", "unknown shape 'cosin'"),
        ("constant:floor=0.1", "constant takes warmup, steps, peak, not 'floor'"),
        ("cosine:warmup=abc", "warmup must be a number >= 0, not 'abc'"),
        ("cosine:warmup", "warmup must be a number >= 0, not ''"),
        ("cosine:floor=2", "floor must be in [0, 1], not 2"),
        ("wsd:decay=0", "decay must be in (0, 1], not 0"),
        ("linear:steps=10.5", "steps must be a whole number"),
    ],
)
def test_bad_schedules_are_one_line_errors(text, message, capsys):
    with pytest.raises(LadderError, match=message.replace("(", r"\(").replace("[", r"\[")):
        parse_schedule(text)
    assert main(["fit", "-c", str(PYTHIA), "--schedule", text]) == 2
    err = capsys.readouterr().err.strip()
    assert "fit.schedule" in err and message in err and "\n" not in err


def test_pythias_schedule_fills_its_rates_when_the_table_has_none():
    """Pythia's logged rates (1% warm-up, cosine to 10%) are what the schedule fills, within
    0.1%, on every run; a run that logged its rates keeps them."""
    spec = api.spec(PYTHIA)
    logged = api.table(spec)
    table = logged.drop(columns="learning_rate")
    table.loc[table["run"] == "pythia-70m", "learning_rate"] = 0.5  # logged: kept
    spec = spec.with_fit(schedule="cosine:warmup=0.01,floor=0.1")
    filled = api.observations_for(spec, table)
    assert (filled.loc[filled["run"] == "pythia-70m", "learning_rate"] == 0.5).all()
    others = filled["run"] != "pythia-70m"
    peak = logged.groupby("run")["learning_rate"].transform("max")
    relative = (logged["learning_rate"] / peak)[others]
    np.testing.assert_allclose(filled.loc[others, "learning_rate"], relative, rtol=1e-3)


def test_a_table_without_rates_names_the_schedule_option(tmp_path, capsys):
    table = pd.read_parquet(ROOT / "data" / "pythia.parquet").drop(columns="learning_rate")
    frame = with_schedule(table.head(0), parse_schedule("cosine"))
    assert frame.empty and "learning_rate" in frame
    path = tmp_path / "pythia.parquet"
    table.to_parquet(path)
    args = ["fit", str(path), "--fit-runs", "pythia-70m,pythia-160m", "--method", "lr"]
    assert main([*args, "--tasks", "piqa_0shot", "-q"]) == 2
    assert "no learning_rate (name its schedule: --schedule" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("drop_rates", "method", "remedy", "loss_errors"),
    [
        (False, "paper", "cannot tell D's term from its floor; fit every checkpoint with --method",
         [0.050, 0.181, 0.222]),
        (True, "paper", "name the runs' schedule (--schedule, e.g. cosine:warmup=0.01) and fit",
         [0.050, 0.181, 0.222]),
        (False, "multipower", "the whole-curve law sees D vary along each run's checkpoints",
         [0.016, 0.054, 0.049]),
    ],
)  # fmt: skip
def test_one_d_names_the_remedy(drop_rates, method, remedy, loss_errors):
    """Pythia's runs all end at 300B tokens: the warning says what to do about it, and the
    whole-curve law predicts LAMBADA's task loss at 2.8B, 6.9B and 12B within 5.5% where the
    final points' law errs by up to 22% (benchmarks/curves.md)."""
    spec = api.spec(PYTHIA).with_tasks(["lambada_openai"]).with_fit(method=method, bootstrap=0)
    table = api.table(spec)
    if drop_rates:
        table = table.drop(columns="learning_rate")
    fit = api.fit(spec, table, workers=1)
    messages = [w["message"] for w in fit.warnings if w["check"] == "design"]
    assert any(m.startswith("every fit run has the same D") and remedy in m for m in messages)
    errors = fit.table()["step1_rel_error"].to_numpy()
    np.testing.assert_allclose(errors, loss_errors, atol=1e-3)


def test_schedule_flag_fits_a_table_without_rates(tmp_path, capsys):
    """`ladder fit --schedule` on Pythia's table without its learning_rate column: the same
    LAMBADA prediction as with the logged rates (multipower's 12B task loss 4.9% off)."""
    table = pd.read_parquet(ROOT / "data" / "pythia.parquet").drop(columns="learning_rate")
    path = tmp_path / "pythia.parquet"
    table.to_parquet(path)
    spec = tmp_path / "pythia.yaml"
    spec.write_text(PYTHIA.read_text().replace("../../data/pythia.parquet", str(path)))
    out = tmp_path / "fit.json"
    args = ["fit", "-c", str(spec), "--tasks", "lambada_openai", "--method", "multipower"]
    schedule = ["--schedule", "cosine:warmup=0.01,floor=0.1"]
    assert main([*args, *schedule, "-q", "-o", str(out)]) == 0
    errors = api.load_fit(out).table().set_index("target")["step1_rel_error"]
    assert errors["12B"] == pytest.approx(0.049, abs=1e-3)
    assert "--schedule" not in capsys.readouterr().out  # the one-D warning needs no schedule now
