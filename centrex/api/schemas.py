"""Input types shared by the request models: bounded, NUL-free strings and database-sized ids.

Bounds here are not cosmetic: a string longer than its column or an integer beyond 32 bits is a
database error on PostgreSQL, so the API refuses them up front with a 422 naming the field.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

MAX_INT = 2**31 - 1
NO_CONTROL = r"^[^\x00-\x1f\x7f]*$"


def text(max_length: int, min_length: int = 0) -> object:
    return StringConstraints(min_length=min_length, max_length=max_length, pattern=NO_CONTROL)


Name = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=NO_CONTROL)]
OptName = Annotated[str, StringConstraints(max_length=200, pattern=NO_CONTROL)]
Email = Annotated[
    str, StringConstraints(min_length=3, max_length=254, pattern=r"^[^\s@]+@[^\s@]+$")
]
Phone = Annotated[str, StringConstraints(max_length=20, pattern=r"^\+?[0-9 ]*$")]
LongPhone = Annotated[str, StringConstraints(max_length=40, pattern=r"^\+?[0-9 ]*$")]
Password = Annotated[str, StringConstraints(min_length=8, max_length=200, pattern=NO_CONTROL)]
Domain = Annotated[
    str, StringConstraints(min_length=3, max_length=253, pattern=r"^[A-Za-z0-9.-]+$")
]
Language = Annotated[str, StringConstraints(pattern=r"^(de|fr|en|it)$")]
Count = Annotated[int, Field(ge=0, le=1_000_000)]
IdPath = Annotated[int, Path(ge=1, le=MAX_INT)]
RefId = Annotated[int, Field(ge=1, le=MAX_INT)]
# which digest algorithms phones are offered (centrex.provisioning.digest_policy)
DigestPolicyName = Literal["compatible", "prefer-sha256", "require-sha256"]


class Strict(BaseModel):
    """Request bodies refuse unknown fields: a typo must not be silently ignored."""

    model_config = ConfigDict(extra="forbid")
