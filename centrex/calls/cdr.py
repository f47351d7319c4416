"""Writing CDRs so that no call is ever lost from the records.

A CDR row is inserted when a call *starts* (ended_at NULL), updated when it is answered, and
completed when it ends. If the process dies mid-call, the next start finds the rows still open and
closes them (`recover_open_cdrs`) with the last time we know the call was alive, so billing sees
every call, with a `hangup_cause` that says what happened.
"""

from __future__ import annotations

import math
from datetime import datetime

from sqlalchemy import select

from centrex.data.db import Database
from centrex.data.models import Cdr, CdrLeg, Direction, Disposition, HangupSide


def billable_seconds(answered_at: datetime | None, ended_at: datetime) -> int:
    """Whole seconds from answer to end, rounded up (a started second is billed), 0 unanswered."""
    if answered_at is None or ended_at <= answered_at:
        return 0
    return math.ceil((ended_at - answered_at).total_seconds() - 1e-6)


class CdrWriter:
    """Creates, updates and closes CDR rows; each step is its own short transaction."""

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
        async with self._db.transaction() as session:
            cdr = Cdr(
                tenant_id=tenant_id,
                call_id=call_id,
                caller=caller,
                callee=callee,
                direction=direction,
                started_at=started_at,
                extension=extension,
            )
            session.add(cdr)
            await session.flush()
            return cdr.id

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
        async with self._db.transaction() as session:
            leg = CdrLeg(
                cdr_id=cdr_id,
                tenant_id=tenant_id,
                leg_index=leg_index,
                peer=peer,
                started_at=started_at,
                trunk_id=trunk_id,
            )
            session.add(leg)
            await session.flush()
            return leg.id

    async def end_leg(
        self,
        leg_id: int,
        *,
        ended_at: datetime,
        disposition: Disposition,
        cause: str,
        answered_at: datetime | None = None,
    ) -> None:
        async with self._db.transaction() as session:
            leg = await session.get(CdrLeg, leg_id)
            if leg is None:
                return
            leg.answered_at = answered_at or leg.answered_at
            leg.ended_at = ended_at
            leg.disposition = disposition
            leg.hangup_cause = cause

    async def answered(self, cdr_id: int, answered_at: datetime, trunk_id: int | None) -> None:
        async with self._db.transaction() as session:
            cdr = await session.get(Cdr, cdr_id)
            if cdr is not None and cdr.answered_at is None:
                cdr.answered_at = answered_at
                cdr.trunk_id = trunk_id if trunk_id is not None else cdr.trunk_id

    async def end(
        self,
        cdr_id: int,
        *,
        ended_at: datetime,
        disposition: Disposition,
        cause: str,
        side: HangupSide,
        trunk_id: int | None = None,
    ) -> None:
        """Complete the row: end time, billable seconds, disposition, cause and side."""
        async with self._db.transaction() as session:
            cdr = await session.get(Cdr, cdr_id)
            if cdr is None or cdr.ended_at is not None:
                return
            cdr.ended_at = ended_at
            cdr.billsec = billable_seconds(cdr.answered_at, ended_at)
            cdr.disposition = disposition
            cdr.hangup_cause = cause
            cdr.hangup_side = side
            if trunk_id is not None:
                cdr.trunk_id = trunk_id

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
