"""Progress bars for the verbs' long work (tqdm, off unless asked)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    pass


def progress_bar(progress: bool, nested: bool = False, **kwargs: Any):
    """A tqdm progress bar (disabled unless `progress`); a nested one sits below the first
    and disappears when done."""
    from tqdm import tqdm  # text bars: tqdm.auto warns in a notebook without ipywidgets

    return tqdm(disable=not progress, position=int(nested), leave=not nested, **kwargs)
