"""Known-vulnerable dependencies: every package installed in this environment, checked against PyPI's advisories.

pip-audit reads advisories per release (``/pypi/NAME/VERSION/json``). Where that lookup is refused (some
registry mirrors and proxies serve only the project pages), a package is still checked when its installed
version is the project's latest release: the project page (``/pypi/NAME/json``) lists the advisories that
affect exactly that release. Packages that neither source covers are listed as not audited, with the installed
and latest versions, so that a report never claims more than it checked.

    python .ci/audit.py [--ignore ID ...] [--strict] [--timeout SECONDS] [--json FILE]

Exit status: 0 when no advisory (other than ignored ones) affects an installed package; 1 when one does, when
no package could be checked at all, or with ``--strict`` when any package was not audited.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx

PYPI = "https://pypi.org/pypi"


@dataclass
class Result:
    """What is known about one installed package."""

    name: str
    version: str
    source: str  # "release" (pip-audit), "project page", or "not audited"
    advisories: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""


def installed(python: str) -> list[tuple[str, str]]:
    """(name, version) of every non-editable package installed for ``python``."""
    out = subprocess.run(
        [python, "-m", "pip", "list", "--format", "json", "--exclude-editable", "--disable-pip-version-check"],
        check=True, capture_output=True, text=True,
    ).stdout
    return [(p["name"], p["version"]) for p in json.loads(out)]


def pip_audit(python: str, timeout: float) -> dict[str, list[dict[str, Any]]]:
    """Advisories per package from pip-audit's per-release lookup; packages it could not look up are absent."""
    try:
        done = subprocess.run(
            [python, "-m", "pip_audit", "--vulnerability-service", "pypi", "--skip-editable", "--format", "json",
             "--progress-spinner", "off", "--timeout", "30"],
            capture_output=True, text=True, timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        print(f"audit: pip-audit gave no answer within {timeout:.0f} s; using project pages only", file=sys.stderr)
        return {}
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        print(f"audit: pip-audit failed (exit {done.returncode}): {done.stderr.strip()[-500:]}", file=sys.stderr)
        return {}
    return {
        normalise(dep["name"]): [
            {"id": v["id"], "aliases": v.get("aliases", []), "fixed_in": v.get("fix_versions", []),
             "summary": v.get("description", "")}
            for v in dep.get("vulns", [])
        ]
        for dep in report.get("dependencies", [])
        if "skip_reason" not in dep
    }


def project_page(name: str, client: httpx.Client) -> dict[str, Any] | None:
    """PyPI's project page as JSON, or None when it cannot be had."""
    try:
        response = client.get(f"{PYPI}/{name}/json")
        return response.json() if response.status_code == 200 else None
    except (httpx.HTTPError, ValueError):  # unreachable, or a 200 that is not JSON (a proxy's error page)
        return None


def from_project_page(name: str, version: str, page: dict[str, Any] | None) -> Result:
    """A package checked through its project page, which holds the advisories of the latest release only."""
    if page is None:
        return Result(name, version, "not audited", note="no project page")
    latest = str(page.get("info", {}).get("version", ""))
    if latest != version:
        return Result(name, version, "not audited", note=f"installed {version}, latest {latest}")
    advisories = [
        {"id": v.get("id", ""), "aliases": v.get("aliases", []), "fixed_in": v.get("fixed_in", []),
         "summary": v.get("summary") or v.get("details", "")}
        for v in page.get("vulnerabilities", []) or []
        if not v.get("withdrawn")
    ]
    return Result(name, version, "project page", advisories)


def audit(
    packages: Sequence[tuple[str, str]],
    per_release: dict[str, list[dict[str, Any]]],
    fetch_page: Callable[[str], dict[str, Any] | None],
    workers: int = 8,
) -> list[Result]:
    """One result per package: pip-audit's answer where it had one, else the project page's."""
    rest = [(n, v) for n, v in packages if normalise(n) not in per_release]
    results = [Result(n, v, "release", per_release[normalise(n)]) for n, v in packages if normalise(n) in per_release]
    with ThreadPoolExecutor(workers) as pool:
        pages = list(pool.map(lambda nv: fetch_page(nv[0]), rest))
    results += [from_project_page(n, v, page) for (n, v), page in zip(rest, pages, strict=True)]
    return sorted(results, key=lambda r: normalise(r.name))


def unaccepted(results: Iterable[Result], ignore: set[str]) -> list[tuple[Result, dict[str, Any]]]:
    """Advisories not accepted by ID or alias."""
    return [
        (r, a) for r in results for a in r.advisories
        if a["id"] not in ignore and not ignore.intersection(a.get("aliases", []))
    ]


def normalise(name: str) -> str:
    """PEP 503 name: case and runs of -, _, . do not matter."""
    return re.sub(r"[-_.]+", "-", name).lower()


def main(argv: Sequence[str] | None = None) -> int:
    """Audit, print one line per problem and a summary, and return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ignore", action="append", default=[], metavar="ID",
                        help="an accepted advisory (ID or alias); give the reason in docs/reliability.md")
    parser.add_argument("--strict", action="store_true", help="fail when any package could not be audited")
    parser.add_argument("--timeout", type=float, default=300, help="seconds for pip-audit and for the pages")
    parser.add_argument("--json", metavar="FILE", help="write every result as JSON")
    parser.add_argument("--python", default=sys.executable, help="the environment to audit")
    args = parser.parse_args(argv)

    packages = installed(args.python)
    per_release = pip_audit(args.python, args.timeout)
    with httpx.Client(timeout=30, follow_redirects=True) as client:
        results = audit(packages, per_release, lambda name: project_page(name, client))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump([asdict(r) for r in results], handle, indent=2)

    counts = {s: sum(r.source == s for r in results) for s in ("release", "project page", "not audited")}
    for r in results:
        if r.source == "not audited":
            print(f"not audited: {r.name} {r.version} ({r.note})")
    bad = unaccepted(results, set(args.ignore))
    for r, a in bad:
        fixed = ", ".join(a.get("fixed_in") or []) or "no fixed release"
        print(f"VULNERABLE: {r.name} {r.version}: {a['id']} {a.get('aliases') or ''} (fixed in {fixed}) "
              f"{a.get('summary', '')[:200]}")
    checked = counts["release"] + counts["project page"]
    print(f"audit: {len(results)} packages: {counts['release']} checked per release (pip-audit), "
          f"{counts['project page']} through the project page (installed = latest), "
          f"{counts['not audited']} not audited; {len(bad)} unaccepted advisories")
    if bad:
        print("audit: FAILED: known vulnerabilities above (accept one only with --ignore ID and a reason)")
        return 1
    if checked == 0:
        print("audit: FAILED: no package could be checked (is pypi.org reachable?)")
        return 1
    if args.strict and counts["not audited"]:
        print("audit: FAILED (--strict): some packages could not be audited")
        return 1
    print("audit: no known vulnerability in the packages checked")
    return 0


if __name__ == "__main__":
    sys.exit(main())
