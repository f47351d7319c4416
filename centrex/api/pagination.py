"""List parameters shared by every collection: limit, offset, order, direction, search.

Collections of provisioning objects are small per tenant (hundreds of rows), so ordering and
search run on the JSON views; the CDR list, which grows without bound, pages in SQL instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Generic, Literal, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel

from centrex.errors import ValidationFailed

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """`{"total": N, "items": [...]}`: `total` counts every match, `items` is one page."""

    total: int
    items: list[T]


class ListQuery(BaseModel):
    limit: int
    offset: int
    order: str | None
    direction: Literal["asc", "desc"]
    search: str | None


def list_query(
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    order: Annotated[str | None, Query(max_length=50, pattern=r"^[a-z_]+$")] = None,
    direction: Annotated[Literal["asc", "desc"], Query()] = "asc",
    search: Annotated[str | None, Query(max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")] = None,
) -> ListQuery:
    return ListQuery(limit=limit, offset=offset, order=order, direction=direction, search=search)


Listing = Annotated[ListQuery, Depends(list_query)]


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, "")
    if isinstance(value, bool | int | float):
        return (1, value)
    return (2, str(value).lower())


def paginate(
    items: Sequence[dict[str, Any]],
    query: ListQuery,
    *,
    orders: Sequence[str],
    default: str = "id",
    searchable: Sequence[str] = (),
) -> dict[str, Any]:
    """Search, order and slice JSON views; an unknown `order` is a 422 naming `order`."""
    order = query.order or default
    if order not in orders:
        raise ValidationFailed(
            f"cannot order by {order!r}; use one of {', '.join(orders)}",
            error_id="invalid-order",
            field="order",
        )
    selected = list(items)
    if query.search:
        needle = query.search.lower()
        selected = [
            item
            for item in selected
            if any(needle in str(item.get(key) or "").lower() for key in searchable)
        ]
    selected.sort(key=lambda item: _sort_key(item.get(order)), reverse=query.direction == "desc")
    return {
        "total": len(selected),
        "items": selected[query.offset : query.offset + query.limit],
    }
