"""The dependency audit (.ci/audit.py): which source checks each package, and when it fails."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("ci_audit", ROOT / ".ci" / "audit.py")
assert _spec and _spec.loader
audit_mod = importlib.util.module_from_spec(_spec)
sys.modules["ci_audit"] = audit_mod
_spec.loader.exec_module(audit_mod)

ADVISORY = {
    "id": "PYSEC-2099-1", "aliases": ["CVE-2099-0001"], "fixed_in": ["2.0"], "summary": "bad", "withdrawn": None,
}


def page(latest: str, vulns: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"info": {"version": latest}, "vulnerabilities": vulns or []}


def test_installed_latest_release_is_checked_through_its_project_page() -> None:
    result = audit_mod.from_project_page("uvicorn", "1.0", page("1.0", [ADVISORY]))
    assert result.source == "project page"
    assert [a["id"] for a in result.advisories] == ["PYSEC-2099-1"]
    assert result.advisories[0]["fixed_in"] == ["2.0"]


def test_an_older_release_is_not_audited_and_says_why() -> None:
    # The project page lists the latest release's advisories only: they say nothing about 0.9.
    result = audit_mod.from_project_page("uvicorn", "0.9", page("1.0", [ADVISORY]))
    assert result.source == "not audited"
    assert result.advisories == []
    assert result.note == "installed 0.9, latest 1.0"


def test_no_page_is_not_audited() -> None:
    assert audit_mod.from_project_page("gone", "1.0", None).source == "not audited"


def test_withdrawn_advisories_are_dropped() -> None:
    result = audit_mod.from_project_page("x", "1.0", page("1.0", [ADVISORY | {"withdrawn": "2099-01-01"}]))
    assert result.advisories == []


def test_pip_audit_answers_win_and_only_the_rest_are_fetched() -> None:
    fetched: list[str] = []

    def fetch(name: str) -> dict[str, Any]:
        fetched.append(name)
        return page("3.0")

    per_release = {"fast-api": [{"id": "GHSA-1", "aliases": [], "fixed_in": [], "summary": ""}]}
    results = audit_mod.audit([("Fast_API", "1.0"), ("httpx", "3.0"), ("numpy", "2.0")], per_release, fetch)
    by_name = {r.name: r for r in results}
    assert by_name["Fast_API"].source == "release"
    assert by_name["httpx"].source == "project page"
    assert by_name["numpy"].source == "not audited"
    assert sorted(fetched) == ["httpx", "numpy"]


def test_ignored_advisories_match_by_id_or_alias() -> None:
    results = [audit_mod.Result("x", "1.0", "project page", [ADVISORY])]
    assert len(audit_mod.unaccepted(results, set())) == 1
    assert audit_mod.unaccepted(results, {"PYSEC-2099-1"}) == []
    assert audit_mod.unaccepted(results, {"CVE-2099-0001"}) == []


@pytest.mark.parametrize(
    ("pages", "strict", "status"),
    [
        ({"a": page("1.0"), "b": page("1.0")}, False, 0),  # all clean
        ({"a": page("1.0", [ADVISORY]), "b": page("1.0")}, False, 1),  # a vulnerability fails
        ({"a": page("2.0"), "b": page("1.0")}, False, 0),  # one not audited: a warning only
        ({"a": page("2.0"), "b": page("1.0")}, True, 1),  # … unless --strict
        ({}, False, 1),  # nothing could be checked: fail rather than pass silently
    ],
)
def test_exit_status(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                     pages: dict[str, Any], strict: bool, status: int) -> None:
    monkeypatch.setattr(audit_mod, "installed", lambda python: [("a", "1.0"), ("b", "1.0")])
    monkeypatch.setattr(audit_mod, "pip_audit", lambda python, timeout: {})
    monkeypatch.setattr(audit_mod, "project_page", lambda name, client: pages.get(name))
    assert audit_mod.main(["--strict"] if strict else []) == status
    out = capsys.readouterr().out
    assert "audit: 2 packages" in out
    if status and pages.get("a") and pages["a"]["vulnerabilities"]:
        assert "VULNERABLE: a 1.0: PYSEC-2099-1" in out


def test_a_page_that_is_not_json_counts_as_no_page() -> None:
    import httpx

    transport = httpx.MockTransport(lambda request: httpx.Response(200, text="<html>proxy error</html>"))
    with httpx.Client(transport=transport) as client:
        assert audit_mod.project_page("numpy", client) is None
