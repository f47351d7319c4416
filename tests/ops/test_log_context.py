"""Log lines carry the tenant and call of their context (defect 5 of issue 11), and tasks
spawned inside a context keep it (PEP 567: asyncio copies the context at task creation)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator

import pytest

from centrex.logs import ContextFilter, bind, current_call_id, current_tenant, set_log_context


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.addFilter(ContextFilter())
        self.seen: list[tuple[str, str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.append((record.getMessage(), record.tenant, record.call_id))  # type: ignore[attr-defined]


@pytest.fixture
def capture() -> Iterator[_Capture]:
    handler = _Capture()
    logger = logging.getLogger("tests.ops.context")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler
    logger.removeHandler(handler)


LOG = logging.getLogger("tests.ops.context")


def test_bind_sets_and_restores(capture: _Capture) -> None:
    LOG.info("before")
    with bind(tenant="a.example.com", call_id="c1"):
        LOG.info("inside")
        with bind(call_id="c2"):
            LOG.info("nested")
        LOG.info("back")
    LOG.info("after")
    assert capture.seen == [
        ("before", "-", "-"),
        ("inside", "a.example.com", "c1"),
        ("nested", "a.example.com", "c2"),
        ("back", "a.example.com", "c1"),
        ("after", "-", "-"),
    ]


def test_bind_restores_after_an_exception() -> None:
    with pytest.raises(RuntimeError), bind(tenant="a.example.com"):
        raise RuntimeError("boom")
    assert current_tenant.get() == "-"


def test_empty_string_clears_to_dash() -> None:
    with bind(tenant="a.example.com"), bind(tenant=""):
        assert current_tenant.get() == "-"


async def test_spawned_tasks_inherit_the_context(capture: _Capture) -> None:
    async def work(name: str) -> None:
        await asyncio.sleep(0)
        LOG.info(name)

    with bind(tenant="a.example.com", call_id="c1"):
        task = asyncio.create_task(work("child"))
    # the block has ended; the task still logs the values it was created with
    await task
    LOG.info("parent")
    assert capture.seen == [("child", "a.example.com", "c1"), ("parent", "-", "-")]


async def test_set_log_context_stays_inside_its_task(capture: _Capture) -> None:
    async def entry() -> None:
        set_log_context(tenant="b.example.com", call_id="c9")
        LOG.info("entry")

    await asyncio.create_task(entry())
    LOG.info("spawner")
    assert current_call_id.get() == "-"
    assert capture.seen == [("entry", "b.example.com", "c9"), ("spawner", "-", "-")]
