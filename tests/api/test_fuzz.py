"""The whole API fuzzed from its own OpenAPI document with schemathesis, on SQLite and PostgreSQL.

Authenticated as a platform admin acting in one tenant, so every operation is reachable. Checks:
no 5xx, every answer matches its documented schema, status code and content type. Bounded: a
few examples per operation, no shrinking.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from centrex.data.db import Database
from centrex.data.models import Cdr, Direction, Disposition, Role
from centrex.provisioning import extensions as extension_service
from centrex.provisioning import numbers as number_service
from centrex.provisioning import tenants as tenant_service
from centrex.provisioning import tokens as token_service
from centrex.provisioning import users as user_service
from tests.api.live_server import live_api
from tests.conftest import PostgresDatabases

TENANT = "fuzz.example.com"


async def _seed(database: Database) -> str:
    now = datetime.now(UTC)
    async with database.transaction() as session:
        partner = await tenant_service.create_partner(session, name="Fuzz Partner")
        await tenant_service.create_tenant(
            session,
            now=now,
            name="Fuzz",
            domain=TENANT,
            extension_digits=3,
            max_calls=5,
            partner_id=partner.id,
        )
        scope = await tenant_service.scope_for(session, TENANT)
        user = await user_service.create_user(scope, name="Fuzzy", email="fuzzy@fuzz.example.com")
        made = await extension_service.create_extension(scope, number="101", user_id=user.id)
        await number_service.assign_number(
            scope, "+41215550100", now=now, extension_number=made.extension.number
        )
        scope.add(
            Cdr(
                call_id="fuzz-1",
                caller="101",
                callee="+41215550199",
                direction=Direction.OUTBOUND,
                started_at=now,
                disposition=Disposition.ANSWERED,
                billsec=12,
                extension="101",
            )
        )
        created = await token_service.create_token(session, role=Role.PLATFORM_ADMIN, now=now)
        return created.secret


CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]


LAST = ("/api/v1/partners/", "/api/v1/tenants/{tenant_id}", "/api/v1/tokens/")


def _destructiveness(operation: Any) -> tuple[int, str]:
    """Reads and writes first, deletes after, and last the deletes that could remove the
    fuzzing tenant or revoke the fuzzing token (which would turn everything after into 404/401).
    """
    if operation.method.upper() != "DELETE":
        return (0, operation.label)
    if operation.path.startswith(LAST) and "contacts" not in operation.path:
        return (2, operation.label)
    return (1, operation.label)


def _fuzz_operation(operation: Any, base: str, token: str) -> None:
    headers = {"Authorization": f"Bearer {token}", "Centrex-Tenant": TENANT}

    @given(case=operation.as_strategy())
    @settings(
        max_examples=4,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        response = case.call(base_url=base, headers=headers, timeout=30)
        case.validate_response(response, checks=CHECKS)

    run()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_api_fuzz(
    backend: str,
    tmp_path: Path,
    sqlite_template: Path,
    postgres_databases: PostgresDatabases,
) -> None:
    """Every operation of the OpenAPI document, a few generated requests each."""
    if backend == "sqlite":
        target = tmp_path / "centrex.db"
        target.write_bytes(sqlite_template.read_bytes())
        url = f"sqlite+aiosqlite:///{target}"
    else:
        url = postgres_databases.fresh()
    failures: list[str] = []
    with live_api(url, _seed) as (base, token, _loop, _bus):
        schema = schemathesis.openapi.from_url(f"{base}/api/v1/openapi.json")
        operations = sorted(
            (result.ok() for result in schema.get_all_operations()), key=_destructiveness
        )
        assert len(operations) > 40
        for operation in operations:
            try:
                _fuzz_operation(operation, base, token)
            except Exception as exc:  # collect every failing operation, then report them all
                failures.append(f"{operation.label}: {str(exc)[:1500]}")
    assert not failures, "\n\n".join(failures)
