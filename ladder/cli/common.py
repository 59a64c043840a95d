"""What every verb shares: the help format, the spec and output flags, number parsing.

Conventions: `-c/--config SPEC` (default: the bundled configs/olmo-paper.yaml for every verb),
`-o/--output FILE` for a file the verb writes, `--output-dir DIR` for a folder, `-q/--quiet`
for no progress bars. N and D are numbers such as 6.9e9 everywhere.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import textwrap
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from ladder.errors import LadderError

if TYPE_CHECKING:
    from ladder.api import EvalSettings


class Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line (and exit code 2), like every other
    error of `ladder`."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """An option's default shown in its help unless the help already says it or there is none
    to show (None, False, an empty list: a required option, a flag, a repeatable one);
    descriptions (wrapped by `wrap`) and examples kept as written."""

    def _get_help_string(self, action: argparse.Action) -> str:
        help_ = action.help or ""
        default = action.default
        if default in (None, False, [], argparse.SUPPRESS) or "default" in help_:
            return help_
        return f"{help_} (default: %(default)s)"


def wrap(text: str) -> str:
    """A description wrapped for the help screen."""
    return textwrap.fill(text, width=88)


def add_verb(
    sub: Any,
    name: str,
    help_: str,
    description: str,
    examples: Sequence[str],
    aliases: Sequence[str] = (),
) -> argparse.ArgumentParser:
    """A subcommand with the shared help format and an example section (and other names)."""
    return sub.add_parser(
        name,
        aliases=list(aliases),
        help=help_,
        description=wrap(description),
        epilog="examples:\n" + "\n".join(f"  {line}" for line in examples),
        formatter_class=HelpFormatter,
    )


def add_config(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        "-c",
        metavar="SPEC",
        help="ladder spec (YAML; default: the bundled configs/olmo-paper.yaml)",
    )


TABLE_HELP = (
    "an observation table (.parquet or .csv; columns run, params, tokens, step, task and "
    "task_loss or accuracy) instead of --config; needs --fit-runs"
)


def add_ladder_args(parser: argparse.ArgumentParser, saved_fit: bool = False) -> None:
    """The ladder a fitting verb works on: -c/--config SPEC or the positional TABLE (with
    `saved_fit`: FIT|TABLE, a fit's .json or a table), with --fit-runs, --target and --chance
    (see ladder_spec)."""
    parser.add_argument(
        "table",
        nargs="?",
        metavar="FIT|TABLE" if saved_fit else "TABLE",
        help=("a fit written by `ladder fit -o` (.json; nothing is refitted), or " * saved_fit)
        + TABLE_HELP,
    )
    add_config(parser)
    parser.add_argument(
        "--fit-runs",
        metavar="RUNS",
        help="comma-separated runs to fit on, by name or shell pattern ('*-1xC,*-2xC', "
        "'190M-*'; quote them); required with a TABLE, overrides the spec's",
    )
    parser.add_argument(
        "--target",
        action="append",
        default=[],
        metavar="NAME=N,D[,RUN]",
        help="a model to predict: N parameters, D tokens, RUN holding its actual results "
        "(repeatable; overrides the spec's targets)",
    )
    parser.add_argument(
        "--chance",
        action="append",
        default=[],
        metavar="TASK=P[,TASK=P]",
        help="chance accuracy of a TABLE's task (repeatable; default: the task family's, "
        "else 0.25)",
    )


def ladder_spec(args: argparse.Namespace, tasks: Sequence[str] | None = None, **fit: Any):
    """The spec and table of add_ladder_args' flags (ladder.api.spec_and_table) with the fit
    options `fit` and, where given, only `tasks`."""
    from ladder import api
    from ladder.spec.ladder import parse_target

    return api.spec_and_table(
        args.config,
        getattr(args, "table", None),
        split(args.fit_runs, "--fit-runs"),
        [parse_target(text) for text in args.target],
        tasks,
        pairs(args.chance, "--chance"),
        **{key: value for key, value in fit.items() if value is not None},
    )


def add_method(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--method",
        help="auto (the default), paper (arXiv 2412.04403 exactly), ensemble, or a method's "
        "name (see `ladder fit --help`)",
    )
    add_anchor(parser)


def add_anchor(parser: argparse.ArgumentParser) -> None:
    """--anchor / --no-anchor: the spec's fit.anchor (None: the spec's)."""
    parser.add_argument(
        "--anchor",
        action=argparse.BooleanOptionalAction,
        help="step 2 also fits the ideal point (loss 0, accuracy 1) (default: the spec's "
        "fit.anchor, yes; a method that sets its own keeps it); --no-anchor for a task that "
        "tops out below 100%%",
    )


def add_quiet(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bars")


def add_output(
    parser: argparse.ArgumentParser, help_: str, required: bool = False, appends: bool = False
) -> None:
    """-o/--output; `appends`: the verb adds rows to that table (the spec's own table may be
    it), rather than replacing the file."""
    parser.add_argument("--output", "-o", metavar="FILE", required=required, help=help_)
    parser.set_defaults(output_appends=appends)


def add_output_dir(parser: argparse.ArgumentParser, default: str | None, help_: str) -> None:
    parser.add_argument(
        "--output-dir", metavar="DIR", default=default, required=default is None, help=help_
    )


def add_noise_args(parser: argparse.ArgumentParser) -> None:
    """The flags of the noise floor (ladder.api.noise)."""
    parser.add_argument("--runs", help="runs for the noise floor (default: fit and target runs)")
    parser.add_argument("--last-n", type=count, default=10, help="evaluations per run")
    parser.add_argument(
        "--raw",
        dest="detrend",
        action="store_false",
        help="the paper's Table 4: SD of the raw values, the training trend included "
        "(default: SD of the residuals from a line over the window)",
    )


def add_eval_args(parser: argparse.ArgumentParser, context_default: str) -> None:
    """The evaluation settings' flags but --device (see eval_settings)."""
    parser.add_argument("--tasks", help="comma-separated olmo_eval tasks (default: train.eval's)")
    parser.add_argument("--limit", type=count, help="documents per task (default: train.eval's)")
    parser.add_argument("--batch-size", type=count, default=32, help="requests per forward pass")
    parser.add_argument(
        "--context-length",
        type=count,
        help=f"left-truncate requests to this many tokens (default: {context_default})",
    )


def eval_settings(args: argparse.Namespace) -> EvalSettings:
    """The evaluation settings of add_eval_args' flags, --device and, where the verb has them,
    --tokenizer and --tokenizer-file."""
    from ladder.api import EvalSettings

    return EvalSettings(
        tasks=tuple(split(args.tasks, "--tasks")),
        limit=args.limit,
        batch_size=args.batch_size,
        context_length=args.context_length,
        device=args.device,
        tokenizer=getattr(args, "tokenizer", None),
        tokenizer_file=getattr(args, "tokenizer_file", None),
    )


def progress(args: argparse.Namespace) -> bool:
    """Progress bars unless --quiet or stderr is not a terminal."""
    return not getattr(args, "quiet", False) and sys.stderr.isatty()


def split(text: str | None, flag: str) -> list[str]:
    """A comma-separated list (empty items dropped; [] when the flag is not given);
    LadderError when the flag is given but names nothing (`--tasks ,`)."""
    items = [item.strip() for item in (text or "").split(",") if item.strip()]
    if text is not None and not items:
        raise LadderError(f"{flag} {text!r}: names nothing (give comma-separated names)")
    return items


def count(text: str) -> int:
    """A positive whole number, written plainly or as 6.9e9 (argparse type)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value <= 2**63 - 1 or value != int(value):  # NaN and infinity fail the first
        raise argparse.ArgumentTypeError(f"{text!r}: expected a positive whole number")
    return int(value)


def fraction(text: str) -> float:
    """A number strictly between 0 and 1 (argparse type)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a number between 0 and 1")
    return value


def pairs(items: Sequence[str], flag: str, kind: type = float) -> dict[str, Any]:
    """NAME=VALUE pairs (repeatable flags, each one or more comma-separated pairs) as a
    mapping; LadderError naming a bad one."""
    out: dict[str, Any] = {}
    for item in (part.strip() for text in items for part in text.split(",") if part.strip()):
        key, sep, value = item.partition("=")
        try:
            number = count(value) if kind is int else float(value)
        except (argparse.ArgumentTypeError, ValueError):
            sep = ""
        if not sep or not key:
            raise LadderError(f"{flag} {item!r}: expected NAME=NUMBER")
        if key in out:
            raise LadderError(f"{flag} {key}: given twice")
        out[key] = number
    return out


def input_paths(args: argparse.Namespace) -> Iterator[str]:
    """Every file a verb's arguments name apart from its --output (tables, specs, fits, logs)
    and, for a verb with a ladder spec that does not append to --output, the spec's table."""
    for key, value in vars(args).items():
        if key == "output":
            continue
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and os.path.isfile(item):
                yield item
    appends = getattr(args, "output_appends", False)
    if "config" in vars(args) and getattr(args, "table", None) is None and not appends:
        from ladder import api

        with contextlib.suppress(LadderError):  # not a ladder spec (e.g. a proxy spec)
            data = api.spec(args.config).data
            if data is not None:
                yield str(data)


def check_outputs(args: argparse.Namespace) -> None:
    """Before any work (a fit of minutes should not end in a refusal): LadderError for an
    --output or --output-dir that cannot be written, or a figure format that cannot be drawn."""
    from ladder.files import check_output

    if isinstance(getattr(args, "output", None), str):
        check_output(args.output)
    if isinstance(getattr(args, "output_dir", None), str):
        check_output(args.output_dir, folder=True)
    if isinstance(getattr(args, "formats", None), str):
        from ladder.api import check_formats

        check_formats(split(args.formats, "--formats"))


def check_output_apart(args: argparse.Namespace) -> None:
    """LadderError when --output is one of the verb's inputs (it would be overwritten)."""
    output = getattr(args, "output", None)
    if not isinstance(output, str) or not os.path.isfile(output):
        return
    for path in input_paths(args):
        if os.path.samefile(path, output):
            raise LadderError(
                f"{output}: is also an input of `ladder {args.command}` ({path}); refusing to "
                "overwrite it (write to another path)"
            )
