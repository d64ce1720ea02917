"""What every CLI command shares: clean error exits and progress bars on stderr."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click

from navigator.errors import NavigatorError


@contextmanager
def handled() -> Iterator[None]:
    """Turn a NavigatorError into a clean one-line failure (exit 1); NAVIGATOR_DEBUG=1 shows the traceback."""
    try:
        yield
    except NavigatorError as exc:
        if os.environ.get("NAVIGATOR_DEBUG") == "1":
            raise
        raise click.ClickException(str(exc)) from exc


def tqdm_progress(label: str, total: int) -> Callable[[int], None]:
    """A progress bar on stderr that advances by the count it is given."""
    from tqdm import tqdm

    bar = tqdm(total=total, desc=label, unit="text", file=sys.stderr, dynamic_ncols=True, leave=True)

    def advance(n: int) -> None:
        bar.update(n)
        if bar.n >= total:
            bar.close()

    return advance
