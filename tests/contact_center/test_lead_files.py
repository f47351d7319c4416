"""Reading lead files and the column mapping (contact_center/lead_files.py), and the export
writers (lead_export.py): pure, byte fixtures."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from centrex.contact_center.lead_export import to_csv, to_xlsx
from centrex.contact_center.lead_files import parse_mapping, read_table, resolve_columns
from centrex.contact_center.phone_numbers import BadNumber, normalise, region_of
from centrex.errors import ValidationFailed


def test_mapping_syntax() -> None:
    assert parse_mapping(["number=Téléphone", " name = Nom ", "custom.company=Société"]) == {
        "number": "Téléphone", "name": "Nom", "company": "Société",
    }  # fmt: skip
    for bad in (["number"], ["=Tel"], ["number="], ["num ber=Tel"]):
        with pytest.raises(ValidationFailed) as caught:
            parse_mapping(bad)
        assert caught.value.error_id == "lead-bad-mapping"
    with pytest.raises(ValidationFailed, match="twice"):
        parse_mapping(["number=A", "number=B"])


def test_csv_separators_line_numbers_and_bom() -> None:
    table = read_table(b'\xef\xbb\xbfNom;Tel\n\n"Du;pont";0142685300\nMartin;0491000000\n')
    assert table.headers == ["Nom", "Tel"]
    assert table.lines == [(3, ["Du;pont", "0142685300"]), (4, ["Martin", "0491000000"])]
    assert table.encoding == "utf-8-sig"
    tabbed = read_table(b"a\tb\n1\t2\n")
    assert tabbed.lines == [(2, ["1", "2"])]


def test_quoted_newlines_keep_the_files_line_numbers() -> None:
    table = read_table(b'name,number\n"two\nlines",0142685300\nnext,0142685301\n')
    assert [n for n, _cells in table.lines] == [3, 4]  # a record ends on the line it ends on


def test_columns_by_alias_mapping_and_custom() -> None:
    columns = resolve_columns(["Nom", "Téléphone", "Code postal", "Ville", ""], {})
    assert (columns.number, columns.name, columns.postal_code) == (1, 0, 2)
    assert columns.custom == {"Ville": 3}
    mapped = resolve_columns(["A", "B", "C"], {"number": "b", "segment": "C"})
    assert (mapped.number, mapped.custom) == (1, {"segment": 2, "A": 0})
    with pytest.raises(ValidationFailed, match="columns are: A, B, C"):
        resolve_columns(["A", "B", "C"], {"number": "D"})


def test_normalisation_and_region() -> None:
    assert normalise("01 42 68 53 00", "FR") == "+33142685300"
    assert normalise("0033 1 42 68 53 00", "FR") == "+33142685300"
    assert normalise("044 668 18 00", "CH") == "+41446681800"
    assert normalise("+41 44 668 18 00", "FR") == "+41446681800"
    assert (region_of("ch"), region_of(None), region_of("")) == ("CH", "FR", "FR")
    reasons = {}
    for raw in ("", "12", "hello", "+999 123456", "01 42 68 53 00 00 00 00 00"):
        with pytest.raises(BadNumber) as caught:
            normalise(raw, "FR")
        reasons[raw] = caught.value.reason
    assert reasons == {"": "no number", "12": "too short", "hello": "not a phone number",
                       "+999 123456": "unknown country code",
                       "01 42 68 53 00 00 00 00 00": "too long"}  # fmt: skip


def test_exports_neutralise_formulas_but_keep_numbers() -> None:
    data = to_csv(["number", "name"], [["+33142685300", "=HYPERLINK(1)"], ["+1", "@x"]])
    text = data.decode("utf-8-sig")
    assert "+33142685300,'=HYPERLINK(1)" in text
    assert "'+1,'@x" in text  # too short for E.164: treated as text like any other
    book = load_workbook(io.BytesIO(to_xlsx(["n"], [["=1+1"]], "Spring: a/b")))
    sheet = book.worksheets[0]
    assert sheet.title == "Spring_ a_b"
    assert sheet["A2"].value == "=1+1"
    assert sheet["A2"].data_type == "s"
