"""Word mail merge: `.docx` letter templates (docxtpl) filled with a lead's fields and answers.

A template is a Word document whose text holds Jinja fields: `{{ first_name }}`, `{{ company }}`
(the lead's merge fields, `lead_fields.py`) and `{{ answers.interested }}` (the lead's script
answers, `scripts.lead_answers`). The upload is checked once: it must be a real `.docx` (a zip
with `word/document.xml` that python-docx opens), its Jinja must parse, and every top-level name
it uses must be a field the campaign's leads have, or `answers` (422
`template-field-unknown`, the same error as mail templates). The file is then kept under the
data directory (`tenants/<id>/documents/`), like the tenant's media files.

Why a sandbox: the template comes from a tenant's user and Jinja is a language; rendering it in
`jinja2.sandbox.SandboxedEnvironment` stops `{{ ''.__class__.__mro__ }}`-style escapes into the
server. Autoescape is on because the output is WordprocessingML: a lead called "Smith & Co"
must stay well-formed XML.

PDF is LibreOffice's job (`soffice --headless --convert-to pdf`), run with a timeout and a
throw-away profile directory (two conversions at once would otherwise fight over the user's
profile lock). Where LibreOffice is not installed the answer is 501 `pdf-converter-missing`
naming the Debian package; the .docx is always available.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import shutil
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import docx
from docx.opc.exceptions import PackageNotFoundError
from docxtpl import DocxTemplate
from jinja2 import TemplateError
from jinja2.sandbox import SandboxedEnvironment

from centrex.contact_center.campaigns import get_campaign_by_id
from centrex.contact_center.lead_fields import known_fields
from centrex.contact_center.mail_templates import custom_keys, merge_fields, refuse_unknown
from centrex.contact_center.scripts import lead_answers
from centrex.data.models import DocumentTemplate, Lead
from centrex.data.tenancy import TenantScope
from centrex.errors import CentrexError, Conflict, NotFound, ValidationFailed
from centrex.provisioning.storage import MediaStore, check_quota

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_NAME = 100
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF_TYPE = "application/pdf"
PDF_TIMEOUT_S = 60.0
ANSWERS = "answers"


class PdfConverterMissing(CentrexError):
    """No LibreOffice on this server: PDF letters cannot be made (501 Not Implemented)."""

    status = 501
    error_id = "pdf-converter-missing"


class PdfConversionFailed(CentrexError):
    """LibreOffice ran but gave no PDF (crash, timeout)."""

    status = 502
    error_id = "pdf-conversion-failed"


def sandbox() -> SandboxedEnvironment:
    return SandboxedEnvironment(autoescape=True)


# ------------------------------------------------------------------------------ pure .docx work


def template_fields(data: bytes) -> list[str]:
    """The top-level names a .docx template uses, sorted; 422 when it is no usable template."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValidationFailed(
            f"a letter template may be at most {MAX_UPLOAD_BYTES // 2**20} MB",
            error_id="document-too-large",
            field="file",
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if "word/document.xml" not in archive.namelist():
                raise zipfile.BadZipFile("no word/document.xml")
        docx.Document(io.BytesIO(data))
    except (
        zipfile.BadZipFile,
        PackageNotFoundError,
        KeyError,
        ValueError,
        OSError,
        SyntaxError,
    ) as exc:
        raise ValidationFailed(
            f"the file is not a Word .docx document ({exc})",
            error_id="document-not-docx",
            field="file",
        ) from exc
    try:
        names = DocxTemplate(io.BytesIO(data)).get_undeclared_template_variables(sandbox())
    except TemplateError as exc:
        raise ValidationFailed(
            f"the template's fields cannot be read: {exc}",
            error_id="document-template-invalid",
            field="file",
        ) from exc
    return sorted(str(name) for name in names)


def render_docx(data: bytes, context: Mapping[str, Any]) -> bytes:
    """The template filled with `context`, as .docx bytes (names it lacks render empty)."""
    template = DocxTemplate(io.BytesIO(data))
    try:
        template.render(dict(context), sandbox())
    except TemplateError as exc:
        raise ValidationFailed(
            f"the letter could not be merged: {exc}",
            error_id="document-template-invalid",
            field="template_id",
        ) from exc
    out = io.BytesIO()
    template.save(out)
    return out.getvalue()


async def to_pdf(
    data: bytes, *, soffice: str | None = None, limit_s: float = PDF_TIMEOUT_S
) -> bytes:
    """The .docx `data` converted to PDF by LibreOffice (`soffice` found on PATH by default)."""
    program = soffice or shutil.which("soffice") or shutil.which("libreoffice")
    if program is None:
        raise PdfConverterMissing(
            "PDF letters need LibreOffice, which is not installed on this server (Debian "
            "package libreoffice-writer); download the .docx instead"
        )
    with tempfile.TemporaryDirectory(prefix="centrex-pdf-") as work:
        folder = Path(work)
        source = folder / "letter.docx"
        source.write_bytes(data)
        profile = (folder / "profile").as_uri()
        process = await asyncio.create_subprocess_exec(
            program,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(folder),
            str(source),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            _, err = await asyncio.wait_for(process.communicate(), limit_s)
        except TimeoutError as exc:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
            raise PdfConversionFailed(f"LibreOffice took longer than {limit_s:.0f} s") from exc
        result = folder / "letter.pdf"
        if process.returncode != 0 or not result.exists():
            detail = err.decode(errors="replace").strip()[:300]
            raise PdfConversionFailed(
                f"LibreOffice made no PDF (exit {process.returncode}): {detail}"
            )
        return result.read_bytes()


# ------------------------------------------------------------------------------ the lead's context


async def lead_context(scope: TenantScope, lead: Lead) -> dict[str, Any]:
    """What a letter of `lead` is filled with: its merge fields and `answers`."""
    return {**merge_fields(lead), ANSWERS: await lead_answers(scope, lead.id)}


# ------------------------------------------------------------------------------ stored templates


def document_dict(row: DocumentTemplate) -> dict[str, Any]:
    return {
        "id": row.id,
        "campaign_id": row.campaign_id,
        "name": row.name,
        "filename": row.filename,
        "size_bytes": row.size_bytes,
        "fields": list(row.fields),
        "created_at": row.created_at.isoformat(),
    }


async def list_documents(
    scope: TenantScope, campaign_id: int | None = None
) -> list[DocumentTemplate]:
    """Every letter template, or those usable in one campaign (its own and tenant-wide)."""
    rows = await scope.list(DocumentTemplate, order_by=DocumentTemplate.name)
    if campaign_id is None:
        return list(rows)
    return [row for row in rows if row.campaign_id in (None, campaign_id)]


async def get_document(scope: TenantScope, document_id: int) -> DocumentTemplate:
    found = await scope.first(DocumentTemplate, DocumentTemplate.id == document_id)
    if found is None:
        raise NotFound(
            f"letter template {document_id} not found", error_id="document-template-not-found"
        )
    return found


def _clean_filename(filename: str) -> str:
    base = Path(filename.replace("\\", "/")).name.strip() or "letter.docx"
    base = "".join(c for c in base if c.isprintable() and c not in '"')[:200]
    return base if base.lower().endswith(".docx") else f"{base}.docx"


async def upload_document(
    scope: TenantScope,
    store: MediaStore,
    data: bytes,
    *,
    name: str,
    filename: str,
    campaign_id: int | None,
) -> DocumentTemplate:
    """Check and keep an uploaded letter template (module docstring); nothing kept if refused."""
    clean = name.strip()
    if not clean or len(clean) > MAX_NAME or not clean.isprintable():
        raise ValidationFailed(
            f"a name of 1 to {MAX_NAME} characters is needed",
            error_id="document-template-bad-name",
            field="name",
        )
    if campaign_id is not None:
        await get_campaign_by_id(scope, campaign_id)
    if await scope.first(DocumentTemplate, DocumentTemplate.name == clean) is not None:
        raise Conflict(
            f"a letter template is called {clean!r} already",
            error_id="document-template-name-taken",
            field="name",
        )
    names = template_fields(data)
    allowed = known_fields(await custom_keys(scope, campaign_id)) | {ANSWERS}
    refuse_unknown([n for n in names if n not in allowed], "file")
    await check_quota(scope, len(data))
    relative, absolute = store.new_file(scope.tenant_id, "documents", suffix=".docx")
    absolute.write_bytes(data)
    try:
        row = scope.add(
            DocumentTemplate(
                campaign_id=campaign_id,
                name=clean,
                filename=_clean_filename(filename),
                path=relative,
                size_bytes=len(data),
                fields=names,
            )
        )
        await scope.session.flush()
    except Exception:
        store.remove(relative)
        raise
    return row


async def delete_document(scope: TenantScope, store: MediaStore, document_id: int) -> None:
    row = await get_document(scope, document_id)
    path = row.path
    await scope.remove(row)
    await scope.session.flush()
    store.remove(path)


async def merge_for_lead(
    scope: TenantScope, store: MediaStore, lead: Lead, document_id: int, fmt: str
) -> tuple[bytes, str, str]:
    """(content, file name, media type) of the letter `document_id` for `lead`."""
    row = await get_document(scope, document_id)
    if row.campaign_id not in (None, lead.campaign_id):
        raise ValidationFailed(
            "this letter template belongs to another campaign than the lead's",
            error_id="document-template-other-campaign",
            field="template_id",
        )
    if fmt not in ("docx", "pdf"):
        raise ValidationFailed(
            "format is docx or pdf", error_id="document-bad-format", field="format"
        )
    try:
        template = store.absolute(row.path).read_bytes()
    except FileNotFoundError as exc:
        raise NotFound(
            "the letter template's file is missing", error_id="document-file-missing"
        ) from exc
    merged = render_docx(template, await lead_context(scope, lead))
    stem = Path(row.filename).stem or "letter"
    if fmt == "pdf":
        return await to_pdf(merged), f"{stem}-{lead.id}.pdf", PDF_TYPE
    return merged, f"{stem}-{lead.id}.docx", DOCX_TYPE
