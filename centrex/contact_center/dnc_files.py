"""Reading a file of numbers to block: the tenant's DNC imports and the national lists.

One number per line, or the first column of a CSV (`,` or `;`); blank lines and `#` comments
are skipped, and a first line with no digit at all is taken for a header. The encoding is
detected like a lead file's (`lead_files.decode_text`). Each number keeps its line number so a
bad one can be reported where the person can find it.
"""

from __future__ import annotations

from centrex.contact_center.lead_files import decode_text
from centrex.errors import ValidationFailed


def numbered_lines(data: bytes, *, what: str, error_id: str) -> list[tuple[int, str]]:
    """(line number, raw number) pairs of `data`; `ValidationFailed(error_id)` when none."""
    text, _encoding = decode_text(data)
    lines: list[tuple[int, str]] = []
    for index, line in enumerate(text.splitlines(), start=1):
        value = line.replace(";", ",").split(",")[0].strip().strip('"')
        if not value or value.startswith("#"):
            continue
        if not lines and index == 1 and not any(c.isdigit() for c in value):
            continue
        lines.append((index, value))
    if not lines:
        raise ValidationFailed(f"{what} has no numbers", error_id=error_id, field="file")
    return lines
