"""A real HTTP server for the API (uvicorn in a thread with its own event loop)."""

from __future__ import annotations

import asyncio
import tempfile
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn

from centrex.api.app import create_app
from centrex.data.db import Database
from centrex.events import EventBus
from tests.helpers import api_wiring, free_port, wait_http


@contextmanager
def live_api(
    database_url: str,
    seed: Callable[[Database], Awaitable[Any]],
    **app_options: Any,
) -> Iterator[tuple[str, Any, asyncio.AbstractEventLoop, EventBus]]:
    """Yield (base URL, what `seed` returned, the server's loop, its event bus)."""
    port = free_port()
    data_dir = tempfile.TemporaryDirectory(prefix="centrex-api-")
    loop = asyncio.new_event_loop()
    bus = EventBus()
    holder: dict[str, Any] = {}
    ready = threading.Event()

    async def main() -> None:
        database = Database(database_url)
        try:
            holder["seed"] = await seed(database)
            app = create_app(
                database, events_bus=bus, **{**api_wiring(Path(data_dir.name)), **app_options}
            )
            config = uvicorn.Config(
                app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"
            )
            holder["server"] = uvicorn.Server(config)
            ready.set()
            await holder["server"].serve()
        finally:
            ready.set()
            await database.dispose()

    thread = threading.Thread(target=lambda: loop.run_until_complete(main()), daemon=True)
    thread.start()
    ready.wait(60)
    base = f"http://127.0.0.1:{port}"
    wait_http(f"{base}/api/v1/health")
    try:
        yield base, holder["seed"], loop, bus
    finally:
        holder["server"].should_exit = True
        thread.join(timeout=30)
        loop.close()
        data_dir.cleanup()
