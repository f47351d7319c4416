"""`TenantScope`: the one place where tenant isolation is enforced (shared/DESIGN.md §4.7).

Every query that serves a tenant is built here, so the `tenant_id` filter is written once and
cannot be forgotten by a route or a CLI command. A scope is bound to a session and a tenant; an
object of another tenant is simply *not found* through it (the API turns that into 404, never 403).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from centrex.errors import NotFound

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class TenantScope:
    """A session restricted to one tenant's rows."""

    session: AsyncSession
    tenant_id: int
    domain: str

    def _column(self, model: type[Any]) -> ColumnElement[bool]:
        column = getattr(model, "tenant_id", None)
        if column is None:
            raise TypeError(f"{model.__name__} is not tenant-owned: it has no tenant_id")
        result: ColumnElement[bool] = column == self.tenant_id
        return result

    def select(self, model: type[T], *where: ColumnElement[bool]) -> Select[T]:
        """`SELECT model WHERE tenant_id = <this tenant> AND <where...>`."""
        return select(model).where(self._column(model), *where)

    async def list(
        self,
        model: type[T],
        *where: ColumnElement[bool],
        order_by: Any = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> Sequence[T]:
        """Rows of this tenant, optionally filtered, ordered and paged."""
        stmt = self.select(model, *where)
        stmt = stmt.order_by(order_by if order_by is not None else model.id)  # type: ignore[attr-defined]
        if limit is not None:
            stmt = stmt.limit(limit)
        if offset:
            stmt = stmt.offset(offset)
        return (await self.session.scalars(stmt)).all()

    async def count(self, model: type[Any], *where: ColumnElement[bool]) -> int:
        """How many rows of this tenant match."""
        stmt = select(func.count()).select_from(model).where(self._column(model), *where)
        return int((await self.session.execute(stmt)).scalar_one())

    async def first(self, model: type[T], *where: ColumnElement[bool]) -> T | None:
        """The first matching row of this tenant, or None."""
        return (await self.session.scalars(self.select(model, *where).limit(1))).first()

    async def get(self, model: type[T], object_id: int) -> T:
        """The row with this id *if it belongs to this tenant*, else `NotFound`."""
        row = await self.first(model, model.id == object_id)  # type: ignore[attr-defined]
        if row is None:
            raise NotFound(f"{model.__name__.lower()} {object_id} not found")
        return row

    def add(self, obj: T) -> T:
        """Attach a new row to this tenant (whatever tenant_id it carried) and stage it."""
        if not hasattr(obj, "tenant_id"):
            raise TypeError(f"{type(obj).__name__} is not tenant-owned")
        obj.tenant_id = self.tenant_id
        self.session.add(obj)
        return obj

    async def update(
        self, model: type[Any], where: Sequence[ColumnElement[bool]], **values: Any
    ) -> int:
        """Bulk update of this tenant's matching rows; returns how many changed."""
        if "tenant_id" in values:
            raise ValueError("a scope cannot move rows to another tenant")
        stmt = update(model).where(self._column(model), *where).values(**values)
        result = await self.session.execute(stmt)
        return int(getattr(result, "rowcount", 0) or 0)

    async def delete(self, model: type[Any], *where: ColumnElement[bool]) -> int:
        """Delete this tenant's matching rows; returns how many went."""
        if not where:
            raise ValueError("refusing to delete every row of a tenant without a condition")
        stmt = delete(model).where(self._column(model), *where)
        result = await self.session.execute(stmt)
        return int(getattr(result, "rowcount", 0) or 0)

    async def remove(self, obj: Any) -> None:
        """Delete one loaded row after checking it is this tenant's."""
        if getattr(obj, "tenant_id", None) != self.tenant_id:
            raise NotFound(f"{type(obj).__name__.lower()} not found")
        await self.session.delete(obj)
