"""The command line imports a command's module only when that command is used.

`centrex --version` and `centrex --help` import no command module and none of the platform's
heavy packages; `centrex tenant list --help` imports the tenant commands but not SQLAlchemy or
the models. The static table the top-level help is written from matches the real commands, and
the lazily assembled groups have the same subcommands as the eager assembly had.
"""

from __future__ import annotations

import json
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from centrex.cli import COMMANDS, LazyGroup, cli, load_command

HEAVY = ("sqlalchemy", "alembic", "fastapi", "starlette", "pydantic_settings", "argon2", "av")
HEAVY_CENTREX = (
    "centrex.billing",
    "centrex.data",
    "centrex.media",
    "centrex.provisioning",
    "centrex.contact_center",
    "centrex.server",
    "centrex.api",
    "centrex.web",
)

PROBE = """
import json, sys
from centrex.cli import main
sys.argv = ["centrex", *json.loads(sys.argv[1])]
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def modules_after(*args: str) -> tuple[str, list[str]]:
    """(stdout, modules imported) of `centrex ARGS` in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args)],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    return done.stdout, json.loads(done.stderr.strip().splitlines()[-1])


def heavy(modules: list[str]) -> list[str]:
    return [
        m
        for m in modules
        if m.split(".")[0] in HEAVY or m.startswith(HEAVY_CENTREX) or m == "centrex.settings"
    ]


def command_modules(modules: list[str]) -> list[str]:
    return [m for m in modules if m.startswith("centrex.cli.")]


def test_version_imports_nothing_heavy() -> None:
    out, modules = modules_after("--version")
    assert out == "centrex, version 0.1.0\n"
    assert heavy(modules) == []
    assert command_modules(modules) == []


def test_top_level_help_lists_every_command_without_importing_one() -> None:
    out, modules = modules_after("--help")
    assert heavy(modules) == []
    assert command_modules(modules) == []
    rows = out.split("Commands:\n", 1)[1].splitlines()
    listed = [row.split()[0] for row in rows if row.startswith("  ") and row[2] != " "]
    assert listed == sorted(COMMANDS)


def test_a_subcommand_help_imports_its_module_only() -> None:
    out, modules = modules_after("tenant", "list", "--help")
    assert "Usage: centrex tenant list [OPTIONS]" in out
    assert command_modules(modules) == ["centrex.cli.common", "centrex.cli.tenants"]
    assert heavy(modules) == []


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_the_table_matches_the_command(name: str) -> None:
    command = load_command(name)
    assert command.name == name
    stand_in = click.Command(name, help=COMMANDS[name].help)
    for limit in (45, 1000):
        assert stand_in.get_short_help_str(limit) == command.get_short_help_str(limit)


@pytest.mark.parametrize(
    ("group", "added"),
    [("extension", {"forward", "dnd"}), ("cdr", {"show"}), ("campaign", {"explain", "simulate"})],
)
def test_groups_get_the_subcommands_other_modules_add(group: str, added: set[str]) -> None:
    command = load_command(group)
    assert isinstance(command, click.Group)
    assert added <= set(command.commands)


def test_the_lazy_help_is_the_help_click_would_print_for_the_loaded_commands() -> None:
    def group(cls: type[click.Group]) -> click.Group:
        return cls("centrex", callback=cli.callback, params=list(cli.params), help=cli.help,
                   context_settings=dict(cli.context_settings))  # fmt: skip

    lazy = group(LazyGroup)  # nothing loaded: the listing comes from the table
    eager = group(click.Group)
    for name in COMMANDS:
        eager.add_command(load_command(name), name)
    runner = CliRunner()
    for width in (80, 60):
        shown = runner.invoke(lazy, ["--help"], prog_name="centrex", terminal_width=width)
        expected = runner.invoke(eager, ["--help"], prog_name="centrex", terminal_width=width)
        assert shown.exit_code == expected.exit_code == 0
        assert shown.output == expected.output
    assert lazy.commands == {}  # --help loaded none of them
