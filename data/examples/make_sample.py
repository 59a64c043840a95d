"""Write data/examples/sample.csv: a small slice of the bundled ladder (data/olmo-ladder.parquet)
to copy when preparing your own table: 20 rungs (190M-3B at 1, 2, 5, 10 x C), the 7B-4T target's
final evaluation, two tasks (HellaSwag and ARC-Easy), every 5th checkpoint and each run's last 5.

    python data/examples/make_sample.py
"""

from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
TASKS = {"hellaswag_val_rc_5shot": "hellaswag", "arc_easy_test_rc_5shot": "arc_easy"}
RUNS = [f"{size}-{k}xC" for size in ("190M", "370M", "760M", "1B", "3B") for k in (1, 2, 5, 10)]
COLUMNS = ["run", "params", "tokens", "step", "task", "task_loss", "accuracy"]


def main() -> None:
    table = pd.read_parquet(HERE.parent / "olmo-ladder.parquet")
    table = table[table["run"].isin([*RUNS, "peteish7_eval_anneal"]) & table["task"].isin(TASKS)]
    table = table.replace({"task": TASKS, "run": {"peteish7_eval_anneal": "7B-4T"}})
    steps = table.groupby("run")["step"].transform(lambda s: s.rank(method="dense"))
    last = table.groupby("run")["step"].transform(lambda s: s.rank(method="dense", ascending=False))
    table = table[(steps % 5 == 1) | (last <= 5)]
    table[COLUMNS].round({"task_loss": 5, "accuracy": 5}).to_csv(HERE / "sample.csv", index=False)


if __name__ == "__main__":
    main()
