"""The answer of `GET /api/v1/campaigns/{id}/stats` in its three formats (issue 16).

`format=json` (the default) keeps the dialer's figures the route always gave (placed,
answered, dropped, drop_pct, outcomes, dispositions, today, last_30_days, callbacks...) and
adds `period` (`since`, `until`), `agents` and `totals` (`contact_center/agent_report.py`);
`format=pdf` and `format=xlsx` are the same agents' figures as documents
(`contact_center/stats_documents.py`). `since`/`until` (ISO 8601; a time without a zone is
UTC) choose the agents' period: today (UTC) up to now by default. Kept out of the campaigns
router so that module stays about campaigns.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import Query, Response

from centrex.contact_center.agent_report import campaign_report, period
from centrex.contact_center.stats import campaign_stats
from centrex.contact_center.stats_documents import (
    PDF_TYPE,
    XLSX_TYPE,
    render_stats_pdf,
    render_stats_xlsx,
)
from centrex.data.models import Campaign
from centrex.data.tenancy import TenantScope

__all__ = ["Since", "StatsFormat", "Until", "stats_answer", "utc"]

StatsFormat = Annotated[Literal["json", "pdf", "xlsx"], Query(alias="format")]
Since = Annotated[datetime | None, Query()]
Until = Annotated[datetime | None, Query()]
# the dialer's all-time figures printed in the documents' heading
SUMMARY = ("placed", "answered", "dropped", "drop_pct")


def utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


async def stats_answer(
    scope: TenantScope,
    campaign: Campaign,
    now: datetime,
    fmt: str,
    since: datetime | None,
    until: datetime | None,
) -> dict[str, Any] | Response:
    start, end = period(utc(since), utc(until), now)
    figures = await campaign_stats(scope, campaign, now)
    report = await campaign_report(scope, campaign, start, end, now)
    if fmt == "json":
        answer = report.as_dict()
        return {**figures, "period": {"since": answer.pop("since"), "until": answer.pop("until")},
                **answer}  # fmt: skip
    summary = {f"{key} (all time)": figures[key] for key in SUMMARY}
    if fmt == "pdf":
        content, media, suffix = render_stats_pdf(report, summary), PDF_TYPE, "pdf"
    else:
        content, media, suffix = render_stats_xlsx(report, summary), XLSX_TYPE, "xlsx"
    name = f"campaign-{campaign.id}-stats-{start.date().isoformat()}.{suffix}"
    return Response(content, media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip
