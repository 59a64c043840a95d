"""The `ladder` command: one module per group of verbs, each parsing its arguments, calling one
function of ladder.api and printing. No logic lives here.

Every error in the input is one line on stderr and exit code 2, with nothing written; an
interrupted command exits 130; a closed output pipe is not an error.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import warnings
from collections.abc import Sequence
from functools import partial
from typing import Any, TextIO

from ladder import __version__
from ladder.cli import (
    analyses,
    collect,
    data,
    fit,
    forecast,
    predict,
    proxy,
    proxy_tuning,
    train,
)
from ladder.cli.common import HelpFormatter, Parser, check_output_apart, check_outputs, wrap
from ladder.errors import LadderError, LadderWarning
from ladder.spec.config import ValidationError, describe

VERB_GROUPS = (fit, forecast, predict, analyses, train, collect, data, proxy, proxy_tuning)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="ladder",
        formatter_class=HelpFormatter,
        description=wrap(
            "Predict a large model's task accuracy from a ladder of small models: "
            "(N, D) -> task loss (power law) -> accuracy (sigmoid), with prediction intervals. "
            "With no other arguments every verb works on the bundled ladder of arXiv 2412.04403 "
            "(configs/olmo-paper.yaml)."
        ),
        epilog="examples:\n  ladder fit\n  ladder backtest --kind size\n  ladder fit --help",
    )
    parser.add_argument("--version", action="version", version=f"ladder {__version__}")
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=Parser
    )
    for group in VERB_GROUPS:
        group.register(sub)
    return parser


class QuietPipe:
    """stdout that goes quiet once its reader has gone away (`| head`): the verb goes on and
    writes its files, and nothing is reported at exit."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        try:
            return self.stream.write(text)
        except BrokenPipeError:
            self.silence()
            return len(text)

    def flush(self) -> None:
        try:
            self.stream.flush()
        except BrokenPipeError:
            self.silence()

    def silence(self) -> None:
        """Point the stream's file at /dev/null (its buffered text then goes nowhere)."""
        with contextlib.suppress(OSError, ValueError):  # no file (a captured stream)
            os.dup2(os.open(os.devnull, os.O_WRONLY), self.stream.fileno())

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse: --help, --version, or a usage error (exit 2)
        return int(exc.code or 0)
    with contextlib.suppress(AttributeError, ValueError):  # a captured stream has no such
        sys.stdout.reconfigure(line_buffering=True)  # each line out at once, under nohup too
    stdout, sys.stdout = sys.stdout, QuietPipe(sys.stdout)
    try:
        return run_verb(args)
    finally:
        sys.stdout.flush()
        sys.stdout = stdout


def show_warning(
    command: str, other: Any, message: Warning | str, category: type, *rest: Any
) -> None:
    """A LadderWarning as one line on stderr, `ladder VERB: warning: ...`; others as Python
    shows them."""
    if issubclass(category, LadderWarning):
        print(f"ladder {command}: warning: {message}", file=sys.stderr)
    else:
        other(message, category, *rest)


def run_verb(args: argparse.Namespace) -> int:
    """The verb's exit code: 0, 2 for bad input (one line), 130 interrupted, 1 a bug."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always", LadderWarning)  # each one shown, never raised
            warnings.showwarning = partial(show_warning, args.command, warnings.showwarning)
            check_output_apart(args)
            check_outputs(args)
            return args.func(args)
    except (LadderError, ValidationError) as exc:  # ValidationError: a spec built in Python
        message = exc if isinstance(exc, LadderError) else describe(exc, "spec", None)
        print(f"ladder {args.command}: error: {message}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader (e.g. `| head`) went away: not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print(f"ladder {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # never a traceback for the user; LADDER_DEBUG=1 shows it
        if os.environ.get("LADDER_DEBUG"):
            raise
        print(
            f"ladder {args.command}: internal error: {type(exc).__name__}: {exc} "
            "(rerun with LADDER_DEBUG=1 for the traceback)",
            file=sys.stderr,
        )
        return 1
