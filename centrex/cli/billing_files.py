"""Invoice files for the `centrex billing` commands: `--pdf`, `--xlsx`, `--csv` options.

The documents are built inside the command's database session (they read the stored invoice)
and written to disk after it closed, so a failed render never leaves a transaction open.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

from centrex.billing import issuing
from centrex.billing.documents import details_csv, details_xlsx, render_pdf
from centrex.data.tenancy import TenantScope

F = TypeVar("F", bound=Callable[..., Any])

_PATH = click.Path(dir_okay=False, writable=True, path_type=Path)


def file_options(func: F) -> F:
    """`--pdf FILE`, `--xlsx FILE`, `--csv FILE` on a command that shows one invoice."""
    for option in (
        click.option("--csv", "csv_file", type=_PATH, help="Write the rated calls as CSV."),
        click.option("--xlsx", "xlsx_file", type=_PATH, help="Write the rated calls as XLSX."),
        click.option("--pdf", "pdf_file", type=_PATH, help="Write the invoice as PDF."),
    ):
        func = option(func)
    return func


@dataclass(slots=True)
class InvoiceFiles:
    """Rendered bytes waiting to be written, keyed by target path."""

    outputs: dict[Path, bytes]

    def write(self) -> dict[str, str]:
        """Write every file; the JSON output lists what was written."""
        written: dict[str, str] = {}
        for path, data in self.outputs.items():
            path.write_bytes(data)
            written[path.suffix.lstrip(".") or "file"] = str(path)
        return written


async def render_invoice_files(
    scope: TenantScope,
    invoice_id: int,
    *,
    pdf_file: Path | None,
    xlsx_file: Path | None,
    csv_file: Path | None,
) -> InvoiceFiles:
    """Render the requested documents of one stored invoice of the scope's tenant."""
    outputs: dict[Path, bytes] = {}
    if pdf_file is not None:
        outputs[pdf_file] = render_pdf(await issuing.invoice_document(scope, invoice_id))
    if xlsx_file is not None or csv_file is not None:
        details = await issuing.invoice_call_details(scope, invoice_id)
        if xlsx_file is not None:
            outputs[xlsx_file] = details_xlsx(details)
        if csv_file is not None:
            outputs[csv_file] = details_csv(details).encode("utf-8")
    return InvoiceFiles(outputs)
