"""The ``navigator`` command: a thin click group over corpus, models, index, search, serve, eval and feedback.

Each command group lives in its own module and imports what it needs when it runs, so ``navigator --help``
stays fast; everything a command builds comes from ``navigator.assembly``.
"""

from __future__ import annotations

import logging
import sys

import click

from navigator.cli.chat import ask, conversations, feedback
from navigator.cli.corpus import corpus
from navigator.cli.eval import eval_group
from navigator.cli.index import index, search, serve, start
from navigator.cli.models import models


def main() -> None:
    """Entry point of the console script."""
    cli(prog_name="navigator")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log progress details to stderr.")
def cli(verbose: bool) -> None:
    """SEND Navigator: cited answers from Birmingham's SEND documents, in families' languages."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


for command in (corpus, models, index, search, serve, start, ask, feedback, conversations, eval_group):
    cli.add_command(command)
