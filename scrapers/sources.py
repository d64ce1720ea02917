"""Read scrapers/sources.toml into ``SourceConfig`` objects, and make one for a single start URL."""

from __future__ import annotations

import tomllib
from dataclasses import fields, replace
from pathlib import Path
from typing import Any, get_args
from urllib.parse import urlsplit

from navigator.errors import ConfigError
from scrapers.base import CrawlLimits, SourceConfig, SourceKind

DEFAULT_SOURCES = Path(__file__).with_name("sources.toml")
_LIMIT_KEYS = {f.name for f in fields(CrawlLimits)}
_SOURCE_KEYS = {"name", "start_url", "kind", "allowed_hosts", "path_prefixes", "exclude_prefixes", "publisher",
                "enabled"}


def parse_source(raw: dict[str, Any]) -> SourceConfig:
    """One ``[[source]]`` table.

    Raises:
        ConfigError: an unknown key, kind or value, or an enabled source without an http(s) start URL.

    """
    unknown = set(raw) - _SOURCE_KEYS - _LIMIT_KEYS
    name = str(raw.get("name", "?"))
    if unknown:
        raise ConfigError(f"Source {name!r} in sources.toml has unknown keys: {', '.join(sorted(unknown))}.")
    kind = raw.get("kind", "auto")
    if kind not in get_args(SourceKind):
        raise ConfigError(f"Source {name!r}: kind must be one of {', '.join(get_args(SourceKind))}, not {kind!r}.")
    try:
        limits = CrawlLimits(**{k: raw[k] for k in _LIMIT_KEYS if k in raw})
        source = SourceConfig(
            name=name,
            start_url=str(raw.get("start_url", "")),
            kind=kind,
            allowed_hosts=tuple(raw.get("allowed_hosts", ())),
            path_prefixes=tuple(raw.get("path_prefixes", ("/",))),
            exclude_prefixes=tuple(raw.get("exclude_prefixes", ())),
            publisher=str(raw.get("publisher", "Birmingham City Council")),
            limits=limits,
            enabled=bool(raw.get("enabled", True)),
        )
    except TypeError as exc:
        raise ConfigError(f"Source {name!r} in sources.toml is malformed: {exc}") from exc
    if source.enabled and urlsplit(source.start_url).scheme not in {"http", "https"}:
        raise ConfigError(f"Source {name!r} needs an http(s) start_url (or enabled = false).")
    return source


def load_sources(path: Path = DEFAULT_SOURCES) -> list[SourceConfig]:
    """Every source in the file, enabled or not.

    Raises:
        ConfigError: the file is missing, not TOML, or a source is invalid.

    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"Cannot read {path}: {exc}") from exc
    sources = [parse_source(raw) for raw in data.get("source", [])]
    names = [s.name for s in sources]
    if len(set(names)) != len(names):
        raise ConfigError(f"Source names in {path} must be unique.")
    return sources


def source_for_url(url: str, kind: SourceKind = "auto", **limits: Any) -> SourceConfig:
    """A one-off source for ``navigator corpus scrape URL``: that host, everything under the URL's folder.

    Its name comes from the host, the folder and the kind ("www.example.gov.uk/send/", "www.example.gov.uk/
    (oruk)"), never from the host alone: a website, one of its sections and a directory feed on the same host
    are three sources, and a run of one never touches the others' documents.

    Raises:
        ConfigError: the URL is not http(s).

    """
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ConfigError(f"{url!r} is not an http(s) URL.")
    folder = parts.path.rsplit("/", 1)[0] + "/" if kind not in {"document", "oruk"} else "/"
    folder = folder or "/"
    name = f"{parts.hostname}{folder}" + (f" ({kind})" if kind != "auto" else "")
    base = SourceConfig(name=name, start_url=url, kind=kind, allowed_hosts=(parts.hostname,), path_prefixes=(folder,))
    given = {k: v for k, v in limits.items() if v is not None}
    return replace(base, limits=replace(base.limits, **given)) if given else base
