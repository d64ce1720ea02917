"""The built wheel, installed into a fresh virtual environment, holds and serves everything its commands need."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import venv
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from navigator.corpus.documents import load_documents

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


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding the wheel; its dependencies are the ones already installed (torch alone is gigabytes).

    A .pth line adds the current environment's site-packages after the venv's own, without running that folder's
    .pth files, so the checkout's editable install is not visible: only the wheel's copy of the package is.
    """
    env_dir = tmp_path_factory.mktemp("venv") / "env"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    site = Path(sysconfig.get_path("purelib", vars={"base": str(env_dir), "platbase": str(env_dir)}))
    (site / "borrowed-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(env_dir / "bin" / "python"), "install", "--no-deps",
         "--no-index", "-q", str(wheel)],
        check=True, capture_output=True, timeout=600,
    )
    return env_dir


def test_the_wheel_holds_the_data_its_commands_read(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "scrapers/sources.toml" in names  # `navigator corpus scrape` without a URL
    data = {"navigator/data/contacts.json", "navigator/data/safeguarding.json", "navigator/data/locales/en.json"}
    assert data <= names and "evals/safeguarding/test.jsonl" in names
    shared = {n.split(".data/data/", 1)[1] for n in names if ".data/data/" in n}
    assert "share/send-navigator/widget/navigator.js" in shared
    assert "share/send-navigator/corpus/sources/manifest.json" in shared
    assert not any(n.startswith("tests/") for n in names)


def _run(env_dir: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(env_dir / "bin" / "navigator"), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, check=False, env={**os.environ, "NAVIGATOR_CORPUS_DIR": str(cwd / "corpus")})


def test_the_installed_wheel_runs_help_and_builds_the_corpus(installed: Path, tmp_path: Path) -> None:
    helped = _run(installed, "--help", cwd=tmp_path)
    assert helped.returncode == 0 and "corpus" in helped.stdout, helped.stderr
    located = subprocess.run([str(installed / "bin" / "python"), "-c", "import navigator; print(navigator.__file__)"],
                             cwd=tmp_path, capture_output=True, text=True, timeout=60, check=True)
    assert located.stdout.startswith(str(installed))  # the wheel's copy, not the checkout's
    built = _run(installed, "corpus", "build", cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    documents = load_documents(tmp_path / "corpus" / "documents.jsonl")
    assert len(documents) == 5 and all(d.sections for d in documents)


@pytest.fixture
def served(installed: Path, tmp_path: Path) -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "NAVIGATOR_INDEX_DIR": str(tmp_path / "no-index"),
           "NAVIGATOR_DATABASE_PATH": str(tmp_path / "nav.sqlite3")}
    server = subprocess.Popen([str(installed / "bin" / "navigator"), "serve", "--port", str(port)], cwd=tmp_path,
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                httpx.get(base + "/healthz", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.2)  # a real process starting: nothing to inject a clock into
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_the_installed_wheel_serves_the_widget(served: str) -> None:
    script = httpx.get(served + "/widget/navigator.js", timeout=10)
    assert script.status_code == 200 and script.content == (ROOT / "widget" / "navigator.js").read_bytes()
    page = httpx.get(served + "/", timeout=10)
    assert page.status_code == 200 and "/widget/navigator.js" in page.text
    assert httpx.get(served + "/healthz", timeout=10).status_code == 503  # no index here: said, not crashed
