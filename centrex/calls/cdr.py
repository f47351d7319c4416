"""Writing CDRs so that no call is ever lost from the records.

A CDR row is inserted when a call *starts* (ended_at NULL), updated when it is answered, and
completed when it ends. If the process dies mid-call, the next start finds the rows still open and
closes them (`recover_open_cdrs`) with the last time we know the call was alive, so billing sees
every call, with a `hangup_cause` that says what happened.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, Update, insert, select, update

from centrex.data.db import Database
from centrex.data.models import Cdr, CdrLeg, Direction, Disposition, HangupSide

# Core statements on the mapped tables: a call writes five small rows/updates, and the ORM's
# session, identity map and unit of work cost more CPU than the SQL itself (py-spy at 50 calls/s,
# docs/performance.md "Call rate"). The column types (UTC datetimes, enums) still apply.
_CDRS = cast(Table, Cdr.__table__)
_LEGS = cast(Table, CdrLeg.__table__)


def billable_seconds(answered_at: datetime | None, ended_at: datetime) -> int:
    """Whole seconds from answer to end, rounded up (a started second is billed), 0 unanswered."""
    if answered_at is None or ended_at <= answered_at:
        return 0
    return math.ceil((ended_at - answered_at).total_seconds() - 1e-6)


@dataclass(frozen=True, slots=True)
class EndedLeg:
    """A leg to close together with its call (`CdrWriter.end`)."""

    leg_id: int
    disposition: Disposition
    answered_at: datetime | None = None


def _end_leg(
    leg_id: int,
    ended_at: datetime,
    disposition: Disposition,
    cause: str,
    answered_at: datetime | None,
) -> Update:
    values: dict[str, object] = {
        "ended_at": ended_at,
        "disposition": disposition,
        "hangup_cause": cause,
    }
    if answered_at is not None:
        values["answered_at"] = answered_at
    return update(_LEGS).where(_LEGS.c.id == leg_id).values(**values)


class CdrWriter:
    """Creates, updates and closes CDR rows; each step is its own short transaction (committed
    before the call goes on, so a crash loses nothing that happened before it)."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def start(
        self,
        *,
        tenant_id: int,
        call_id: str,
        caller: str,
        callee: str,
        direction: Direction,
        started_at: datetime,
        extension: str | None = None,
    ) -> int:
        """Insert the row of a new call and return its id."""
        stmt = (
            insert(_CDRS)
            .values(
                tenant_id=tenant_id,
                call_id=call_id,
                caller=caller,
                callee=callee,
                direction=direction,
                started_at=started_at,
                extension=extension,
                billsec=0,
            )
            .returning(_CDRS.c.id)
        )
        async with self._db.engine.begin() as conn:
            return int((await conn.execute(stmt)).scalar_one())

    async def add_leg(
        self,
        cdr_id: int,
        *,
        tenant_id: int,
        leg_index: int,
        peer: str,
        started_at: datetime,
        trunk_id: int | None = None,
    ) -> int:
        stmt = (
            insert(_LEGS)
            .values(
                cdr_id=cdr_id,
                tenant_id=tenant_id,
                leg_index=leg_index,
                peer=peer,
                started_at=started_at,
                trunk_id=trunk_id,
            )
            .returning(_LEGS.c.id)
        )
        async with self._db.engine.begin() as conn:
            return int((await conn.execute(stmt)).scalar_one())

    async def end_leg(
        self,
        leg_id: int,
        *,
        ended_at: datetime,
        disposition: Disposition,
        cause: str,
        answered_at: datetime | None = None,
    ) -> None:
        async with self._db.engine.begin() as conn:
            await conn.execute(_end_leg(leg_id, ended_at, disposition, cause, answered_at))

    async def leg_transferred(
        self, leg_id: int, *, transferred_by: str | None, answered_at: datetime | None = None
    ) -> None:
        """A leg whose party the call was transferred to (REFER, Replaces): who transferred
        it (None: nobody — the target of a call placed from the API), and when that party
        answered."""
        values: dict[str, object] = {}
        if transferred_by is not None:
            values["transferred_by"] = transferred_by
        if answered_at is not None:
            values["answered_at"] = answered_at
        if not values:
            return
        async with self._db.engine.begin() as conn:
            await conn.execute(update(_LEGS).where(_LEGS.c.id == leg_id).values(**values))

    async def left_through_trunk(self, cdr_id: int, *, callee: str, trunk_id: int) -> None:
        """A call that was not dialled out was answered through a trunk (an extension
        forwarded to an outside number): the leg that costs makes it an outbound call of the
        tenant to `callee`, as rating expects (the forwarding extension stays in the legs)."""
        values = {"callee": callee, "direction": Direction.OUTBOUND, "trunk_id": trunk_id}
        stmt = update(_CDRS).where(_CDRS.c.id == cdr_id).values(**values)
        async with self._db.engine.begin() as conn:
            await conn.execute(stmt)

    async def answered(self, cdr_id: int, answered_at: datetime, trunk_id: int | None) -> None:
        values: dict[str, object] = {"answered_at": answered_at}
        if trunk_id is not None:
            values["trunk_id"] = trunk_id
        stmt = (
            update(_CDRS)
            .where(_CDRS.c.id == cdr_id, _CDRS.c.answered_at.is_(None))
            .values(**values)
        )
        async with self._db.engine.begin() as conn:
            await conn.execute(stmt)

    async def transferred(
        self, cdr_id: int, *, callee: str, direction: Direction, trunk_id: int | None
    ) -> None:
        """An app handed the answered call on (calls/transfer.py): the callee becomes the party
        it was finally connected to; a trunk makes it an outbound call (the leg that costs)."""
        values: dict[str, object] = {"callee": callee, "direction": direction}
        if trunk_id is not None:
            values["trunk_id"] = trunk_id
        stmt = (
            update(_CDRS).where(_CDRS.c.id == cdr_id, _CDRS.c.ended_at.is_(None)).values(**values)
        )
        async with self._db.engine.begin() as conn:
            await conn.execute(stmt)

    async def end(
        self,
        cdr_id: int,
        *,
        ended_at: datetime,
        disposition: Disposition,
        cause: str,
        side: HangupSide,
        trunk_id: int | None = None,
        leg: EndedLeg | None = None,
    ) -> None:
        """Complete the row: end time, billable seconds, disposition, cause and side; `leg` (the
        answered leg) is closed in the same transaction, one round of commits less per call."""
        current = select(_CDRS.c.answered_at, _CDRS.c.ended_at).where(_CDRS.c.id == cdr_id)
        async with self._db.engine.begin() as conn:
            if leg is not None:
                await conn.execute(
                    _end_leg(leg.leg_id, ended_at, leg.disposition, cause, leg.answered_at)
                )
            row = (await conn.execute(current)).first()
            if row is None or row.ended_at is not None:
                return
            values: dict[str, object] = {
                "ended_at": ended_at,
                "billsec": billable_seconds(row.answered_at, ended_at),
                "disposition": disposition,
                "hangup_cause": cause,
                "hangup_side": side,
            }
            if trunk_id is not None:
                values["trunk_id"] = trunk_id
            await conn.execute(
                update(_CDRS)
                .where(_CDRS.c.id == cdr_id, _CDRS.c.ended_at.is_(None))
                .values(**values)
            )

    async def recover_open_cdrs(self, now: datetime) -> int:
        """Close the rows a dead process left open. Returns how many were closed.

        The end time is `now` (the restart): the call may have gone on until then, and we cannot
        know less. Answered calls keep disposition `answered`; others become `failed`.
        """
        closed = 0
        async with self._db.transaction() as session:
            rows = (await session.scalars(select(Cdr).where(Cdr.ended_at.is_(None)))).all()
            for cdr in rows:
                cdr.ended_at = max(now, cdr.started_at)
                cdr.billsec = billable_seconds(cdr.answered_at, cdr.ended_at)
                cdr.disposition = (
                    Disposition.ANSWERED if cdr.answered_at is not None else Disposition.FAILED
                )
                cdr.hangup_cause = "process-restart"
                cdr.hangup_side = HangupSide.SYSTEM
                closed += 1
            legs = (await session.scalars(select(CdrLeg).where(CdrLeg.ended_at.is_(None)))).all()
            for leg in legs:
                leg.ended_at = max(now, leg.started_at)
                leg.disposition = leg.disposition or Disposition.FAILED
                leg.hangup_cause = "process-restart"
        return closed
