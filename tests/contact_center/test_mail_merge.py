"""Word mail merge (`centrex.contact_center.mail_merge`): a .docx made here with python-docx
holding `{{ first_name }}`, `{{ company }}` and `{{ answers.interested }}` is checked at upload
(a real .docx, every field known: an unknown one is refused naming it), merged for a lead with
its fields and script answers (read back with python-docx), rendered in a sandbox, and turned
into PDF by LibreOffice where it exists — else a 501 naming the Debian package (SQLite and
PostgreSQL for the stored part)."""

from __future__ import annotations

import io
import stat
import zipfile
from pathlib import Path

import docx
import pytest

from centrex.clock import ManualClock
from centrex.contact_center import mail_merge
from centrex.contact_center.mail_merge import (
    PdfConversionFailed,
    PdfConverterMissing,
    merge_for_lead,
    render_docx,
    template_fields,
    to_pdf,
    upload_document,
)
from centrex.data.db import Database
from centrex.data.models import DocumentTemplate, Lead, LeadAnswer, LeadBatch
from centrex.data.tenancy import TenantScope
from centrex.errors import ValidationFailed
from centrex.provisioning.storage import MediaStore
from tests.contact_center.world import A, B, in_tenant, make_world, new_campaign

LETTER = [
    "Dear {{ first_name }},",
    "Your company: {{ company }}",
    "Interested: {{ answers.interested }}",
]


def make_docx(paragraphs: list[str]) -> bytes:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def docx_text(data: bytes) -> list[str]:
    return [p.text for p in docx.Document(io.BytesIO(data)).paragraphs]


# ------------------------------------------------------------------------------ pure


def test_fields_of_a_template_are_its_top_level_names() -> None:
    assert template_fields(make_docx(LETTER)) == ["answers", "company", "first_name"]
    assert template_fields(make_docx(["No field at all"])) == []


def test_rendering_merges_fields_and_answers_and_escapes_xml() -> None:
    context = {"first_name": "Zoé", "company": "Smith & <Co>", "answers": {"interested": "yes"}}
    merged = render_docx(make_docx(LETTER), context)
    assert docx_text(merged) == ["Dear Zoé,", "Your company: Smith & <Co>", "Interested: yes"]
    # a lead without the answer or the field: empty, never an error
    empty = render_docx(make_docx(LETTER), {"first_name": "Bob", "answers": {}})
    assert docx_text(empty) == ["Dear Bob,", "Your company: ", "Interested: "]


def test_a_template_cannot_reach_python_internals() -> None:
    escape = make_docx(["{{ first_name.__class__.__mro__[1].__subclasses__() }}"])
    with pytest.raises(ValidationFailed) as caught:
        render_docx(escape, {"first_name": "Zoé", "answers": {}})
    assert caught.value.error_id == "document-template-invalid"


@pytest.mark.parametrize(
    ("data", "error_id"),
    [
        (b"just some text, not a Word file", "document-not-docx"),
        (b"", "document-not-docx"),
        ("zip-without-document", "document-not-docx"),
        ("broken-jinja", "document-template-invalid"),
    ],
)
def test_refused_uploads(data: bytes | str, error_id: str) -> None:
    if data == "zip-without-document":
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            archive.writestr("hello.txt", "hi")
        data = out.getvalue()
    elif data == "broken-jinja":
        data = make_docx(["Dear {{ first_name "])
    assert isinstance(data, bytes)
    with pytest.raises(ValidationFailed) as caught:
        template_fields(data)
    assert caught.value.error_id == error_id


async def test_pdf_without_libreoffice_says_which_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("centrex.contact_center.mail_merge.shutil.which", lambda name: None)
    with pytest.raises(PdfConverterMissing) as caught:
        await to_pdf(make_docx(LETTER))
    assert caught.value.status == 501
    assert caught.value.error_id == "pdf-converter-missing"
    assert "libreoffice-writer" in caught.value.message


def _fake_soffice(tmp_path: Path, body: str) -> str:
    """A stand-in for LibreOffice's command line (the real one is not installed here)."""
    script = tmp_path / "soffice"
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


async def test_pdf_conversion_runs_soffice_headless_with_its_own_profile(tmp_path: Path) -> None:
    seen = tmp_path / "args.txt"
    fake = _fake_soffice(
        tmp_path,
        f"""echo "$@" > {seen}
while [ $# -gt 0 ]; do
  if [ "$1" = "--outdir" ]; then out="$2"; fi
  last="$1"; shift
done
cp "$last" "$out/letter.pdf"
""",
    )
    source = make_docx(LETTER)
    assert await to_pdf(source, soffice=fake) == source  # what the converter wrote is returned
    args = seen.read_text()
    assert "--headless" in args
    assert "--convert-to pdf" in args
    assert "-env:UserInstallation=file:///" in args


async def test_pdf_conversion_that_fails_or_hangs_is_an_error(tmp_path: Path) -> None:
    broken = _fake_soffice(tmp_path, "echo 'no fonts' >&2; exit 3\n")
    with pytest.raises(PdfConversionFailed) as caught:
        await to_pdf(make_docx(LETTER), soffice=broken)
    assert "exit 3" in caught.value.message
    assert "no fonts" in caught.value.message
    hanging = _fake_soffice(tmp_path, "sleep 30\n")
    with pytest.raises(PdfConversionFailed) as caught:
        await to_pdf(make_docx(LETTER), soffice=hanging, limit_s=0.2)
    assert "longer than" in caught.value.message


# ------------------------------------------------------------------------------ stored, for a lead


async def _lead(db: Database, campaign_id: int, domain: str = A) -> int:
    async def work(scope: TenantScope) -> int:
        batch = scope.add(LeadBatch(campaign_id=campaign_id))
        await scope.session.flush()
        lead = scope.add(Lead(campaign_id=campaign_id, batch_id=batch.id, number="+33142685399",
                              name="Zoé Martin", custom={"company": "Smith & Co"}))  # fmt: skip
        await scope.session.flush()
        scope.add(LeadAnswer(lead_id=lead.id, question="interested", value="yes"))
        return lead.id

    return await in_tenant(db, domain, work)


async def test_upload_checks_fields_and_merge_reads_back(db: Database, tmp_path: Path) -> None:
    clock = ManualClock()
    await make_world(db, clock)
    campaign_id = await new_campaign(db)
    lead_id = await _lead(db, campaign_id)
    store = MediaStore(tmp_path / "data")

    async def unknown(scope: TenantScope) -> None:
        await upload_document(scope, store, make_docx([*LETTER, "{{ compnay }} {{ zip }}"]),
                              name="Bad", filename="bad.docx", campaign_id=campaign_id)  # fmt: skip

    with pytest.raises(ValidationFailed) as caught:
        await in_tenant(db, A, unknown)
    assert caught.value.error_id == "template-field-unknown"
    assert "compnay, zip" in caught.value.message
    assert not list((tmp_path / "data").rglob("*.docx"))  # nothing kept

    async def upload(scope: TenantScope) -> int:
        row = await upload_document(scope, store, make_docx(LETTER), name="Welcome",
                                    filename="C:\\letters\\welcome.docx",
                                    campaign_id=campaign_id)  # fmt: skip
        assert row.fields == ["answers", "company", "first_name"]
        assert row.filename == "welcome.docx"
        return row.id

    document_id = await in_tenant(db, A, upload)
    assert len(list((tmp_path / "data" / "tenants").rglob("*.docx"))) == 1

    async def merge(scope: TenantScope) -> tuple[bytes, str, str]:
        lead = await scope.get(Lead, lead_id)
        return await merge_for_lead(scope, store, lead, document_id, "docx")

    content, filename, media_type = await in_tenant(db, A, merge)
    assert filename == f"welcome-{lead_id}.docx"
    assert media_type == mail_merge.DOCX_TYPE
    assert docx_text(content) == ["Dear Zoé,", "Your company: Smith & Co", "Interested: yes"]

    # another tenant neither sees the template nor merges it
    async def steal(scope: TenantScope) -> None:
        await mail_merge.get_document(scope, document_id)

    with pytest.raises(Exception, match="not found"):
        await in_tenant(db, B, steal)

    async def remove(scope: TenantScope) -> int:
        await mail_merge.delete_document(scope, store, document_id)
        return await scope.count(DocumentTemplate)

    assert await in_tenant(db, A, remove) == 0
    assert not list((tmp_path / "data").rglob("*.docx"))
