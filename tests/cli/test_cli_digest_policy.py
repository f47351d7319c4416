"""`centrex tenant set-digest` and `centrex extension update --digest`, on SQLite and
PostgreSQL: the policy is stored and shown, `tenant` clears an extension's override, bad
values are refused by the option parser."""

from __future__ import annotations

from tests.cli.test_cli_admin import Centrex, centrex  # noqa: F401 - the fixture


def test_tenant_and_extension_digest_policy(centrex: Centrex) -> None:  # noqa: F811
    centrex.ok(
        "tenant", "create", "--name", "A", "--domain", "a.example.com",
        "--extension-digits", "3", "--max-calls", "4",
    )  # fmt: skip
    shown = centrex.ok("tenant", "set-digest", "a.example.com", "--policy", "prefer-sha256")
    assert shown["digest_policy"] == "prefer-sha256"
    assert centrex.ok("tenant", "show", "a.example.com")["digest_policy"] == "prefer-sha256"
    created = centrex.ok("extension", "create", "--tenant", "a.example.com", "--number", "101")
    assert created["digest_policy"] is None
    updated = centrex.ok(
        "extension", "update", "--tenant", "a.example.com", "--number", "101",
        "--digest", "require-sha256",
    )  # fmt: skip
    assert updated["digest_policy"] == "require-sha256"
    renamed = centrex.ok(
        "extension", "update", "--tenant", "a.example.com", "--number", "101", "--name", "Al"
    )
    assert renamed["digest_policy"] == "require-sha256"
    cleared = centrex.ok(
        "extension", "update", "--tenant", "a.example.com", "--number", "101",
        "--digest", "tenant",
    )  # fmt: skip
    assert cleared["digest_policy"] is None
    bad = centrex.run("tenant", "set-digest", "a.example.com", "--policy", "md5-only")
    assert bad.exit_code == 2
    assert "md5-only" in bad.output
    missing = centrex.run("tenant", "set-digest", "nowhere.example.com", "--policy", "compatible")
    assert missing.exit_code != 0
