"""The README and docs show only commands and options the CLI really has."""

import re
from pathlib import Path

import click

from navigator.cli import cli

ROOT = Path(__file__).resolve().parents[3]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _readme_commands():
    for doc in DOCS:
        for line in doc.read_text(encoding="utf-8").splitlines():
            if line.startswith("navigator "):
                yield line.split("#")[0].strip()


def test_every_readme_command_and_option_exists():
    commands = list(_readme_commands())
    assert len(commands) >= 6
    for line in commands:
        words = line.split()[1:]
        command: click.Command = cli
        while isinstance(command, click.Group) and words and words[0] in command.commands:
            command = command.commands[words.pop(0)]
        assert not isinstance(command, click.Group), f"README names an incomplete command: {line}"
        options = {opt for param in command.params for opt in getattr(param, "opts", [])}
        for option in re.findall(r"(?<![\w-])(--?[a-z][\w-]*)", " ".join(words)):
            assert option in options, f"{line}: {option} is not an option of {command.name}"
