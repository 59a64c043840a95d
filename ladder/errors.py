"""The one exception type the CLI turns into a one-line message and exit code 2."""


class LadderError(Exception):
    """Bad input or a fit that cannot be trusted; the message names the problem in one line."""


class NotFittedError(LadderError):
    """A law or predictor used before `fit`."""


class LadderWarning(UserWarning):
    """Input that is valid but looks wrong (N in millions, a run unlike its name); the CLI
    prints it as one line `warning: ...` and goes on."""
