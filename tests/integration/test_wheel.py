"""The built wheel holds what its commands read, and runs from outside the source tree."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    leftover = not (ROOT / "build").exists()  # setuptools builds in ./build; leave the checkout as it was
    try:
        subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out),
             str(ROOT)],
            check=True, capture_output=True, timeout=600,
        )
    finally:
        if leftover:
            shutil.rmtree(ROOT / "build", ignore_errors=True)
    (built,) = out.glob("send_navigator-*.whl")
    return built


def test_the_wheel_holds_the_data_its_commands_read(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "scrapers/sources.toml" in names  # `navigator corpus scrape` without a URL
    data = {"navigator/data/contacts.json", "navigator/data/safeguarding.json", "navigator/data/locales/en.json"}
    assert data <= names
    assert "navigator/py.typed" in names and not any(n.startswith("tests/") for n in names)


def test_the_installed_wheel_runs_outside_the_source_tree(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q", "--target", str(target), str(wheel)],
        check=True, capture_output=True, timeout=600,
    )
    # The installed code only, with the already installed dependencies; run from a folder with no checkout in it.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(target), sysconfig.get_paths()["purelib"]])}
    script = (
        "import navigator, scrapers; from scrapers.sources import load_sources; "
        f"assert str(navigator.__file__).startswith({str(target)!r}), navigator.__file__; "
        "print(len([s for s in load_sources() if s.enabled]))"
    )
    sources = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
                             timeout=120, check=False)
    assert sources.returncode == 0, sources.stderr
    assert int(sources.stdout) >= 1  # the shipped sources.toml, read from the installed package
    helped = subprocess.run([sys.executable, "-m", "navigator.cli", "--help"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    assert helped.returncode == 0 and "corpus" in helped.stdout, helped.stderr
