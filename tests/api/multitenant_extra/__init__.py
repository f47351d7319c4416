"""Per-feature rows of the multi-tenant table: a module here per feature, each with

* ``ROWS: list[Row]`` - its routes attacked from outside tenant A (see `multitenant_row.Row`);
* ``async def seed(env: Env) -> None`` - gives tenant A (and B where a reference row needs it)
  one object of each kind of the feature, storing their ids in ``env.ids``.

Seeding runs once per backend after the world of `multitenant_world._own_everything`, in module
name order, so a feature may use every object seeded there (campaign_id, lead_id, ...).
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.api.multitenant_row import Row
    from tests.api.multitenant_world import Env


def extra_modules() -> list[ModuleType]:
    """Every row module of this package, sorted by name."""
    names = sorted(info.name for info in pkgutil.iter_modules(__path__) if not info.ispkg)
    return [importlib.import_module(f"{__name__}.{name}") for name in names]


def extra_rows() -> list[Row]:
    rows: list[Row] = []
    for module in extra_modules():
        rows.extend(module.ROWS)
    return rows


async def seed_extras(env: Env) -> None:
    for module in extra_modules():
        await module.seed(env)
