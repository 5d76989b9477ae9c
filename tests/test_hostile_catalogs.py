"""Hostile catalog files: every bad row is reported and skipped, every good one kept, and nothing
else goes wrong; hypothesis writes the rows."""

import csv
import io
import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retrieval.catalog import MAX_TEXT, load_catalog
from retrieval.errors import CatalogError
from retrieval.ingest import ingest


def write(path, text: str | bytes):
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("price", "kept"),
    [
        ("NaN", False),
        ("nan", False),
        ("inf", False),
        ("-5", False),
        ("1e15", False),
        ("0", True),
        ("12.50", True),
        ("$1,299.00", True),
        ("", True),
    ],
)
def test_impossible_prices_are_reported_and_the_row_skipped(tmp_path, price, kept):
    text = f'id,title,price\n1,Good,10\n2,Tested,"{price}"\n3,Also good,20\n'
    catalog = load_catalog(write(tmp_path / "c.csv", text))
    assert [i.id for i in catalog.items] == (["1", "2", "3"] if kept else ["1", "3"])
    if not kept:
        assert catalog.skipped[0].where == "line 3" and "price" in catalog.skipped[0].reason


def test_json_nan_and_nested_values(tmp_path):
    text = ('[{"id": 1, "title": "A", "price": NaN},'
            ' {"id": 2, "title": "B", "price": 5, "specs": {"ram": "4GB", "deep": {"x": [1, 2]}}},'
            ' {"id": 3, "title": {"en": "C"}, "price": 5},'
            ' {"id": [4], "title": "D"}]')  # fmt: skip
    catalog = load_catalog(write(tmp_path / "c.json", text))
    assert [i.id for i in catalog.items] == ["2"]
    assert "price" in {s.where: s.reason for s in catalog.skipped}["record 1"]
    assert {s.where for s in catalog.skipped} == {"record 1", "record 3", "record 4"}


def test_very_long_fields_are_cut_and_kept(tmp_path):
    rows = [
        {"id": "1", "title": "T" * 100_000, "description": "word " * 200_000, "brand": "B" * 5000}
    ]
    item = load_catalog(write(tmp_path / "c.json", json.dumps(rows))).items[0]
    assert len(item.title) == MAX_TEXT and len(item.description) <= MAX_TEXT


def test_a_truncated_json_list_keeps_its_whole_records_and_says_where_it_breaks(tmp_path):
    whole = json.dumps([{"id": n, "title": f"item {n}"} for n in range(1, 6)], indent=1)
    catalog = load_catalog(write(tmp_path / "c.json", whole[: whole.index('"item 4"') + 3]))
    assert [i.id for i in catalog.items] == ["1", "2", "3"]
    [cut] = catalog.skipped
    assert cut.where == "record 4" and "breaks off" in cut.reason


def test_a_truncated_csv_and_jsonl_keep_their_whole_rows(tmp_path):
    csv_text = 'id,title,price\n1,A,5\n2,B,6\n3,"C unfinished'
    catalog = load_catalog(write(tmp_path / "c.csv", csv_text))
    assert [i.id for i in catalog.items][:2] == ["1", "2"]
    jsonl = '{"id": 1, "title": "A"}\n{"id": 2, "title": "B"}\n{"id": 3, "ti'
    catalog = load_catalog(write(tmp_path / "c.jsonl", jsonl))
    assert [i.id for i in catalog.items] == ["1", "2"] and catalog.skipped[0].where == "line 3"


def test_latin1_bom_and_mixed_line_endings(tmp_path):
    latin = "id,title,price\r\n1,Caf\xe9 cr\xe8me,5\r\n2,Na\xefve,6\n".encode("latin-1")
    catalog = load_catalog(write(tmp_path / "l.csv", latin))
    assert [i.title for i in catalog.items] == ["Café crème", "Naïve"]
    assert any("Latin-1" in note for note in catalog.notes)
    bom = "\ufeff" + json.dumps([{"id": "1", "title": "x"}])
    assert load_catalog(write(tmp_path / "b.json", bom)).items[0].id == "1"


EMPTY = [("e.csv", ""), ("e.json", "   "), ("e.jsonl", "\n\n"), ("h.csv", "id,title\n")]


@pytest.mark.parametrize(("name", "content"), EMPTY)
def test_empty_files_are_a_clear_error(tmp_path, name, content):
    with pytest.raises(CatalogError, match=r"empty"):
        load_catalog(write(tmp_path / name, content))


def test_duplicate_ids_keep_the_first_and_report_the_rest(tmp_path):
    text = "id,title,price\n1,First,5\n1,First,5\n1,Other title,9\n2,Two,3\n"
    catalog = load_catalog(write(tmp_path / "c.csv", text))
    assert [(i.id, i.title) for i in catalog.items] == [("1", "First"), ("2", "Two")]
    assert len(catalog.skipped) >= 1 and all("1" in s.reason or "id" in s.reason
                                              for s in catalog.skipped)  # fmt: skip


def test_markup_and_scripts_in_fields_are_stored_as_text_and_ingest(tmp_path, store, fake_embedder):
    rows = [{"id": "x", "title": "<img src=x onerror=alert(1)> Lamp",
             "description": "<script>steal()</script>Bright.", "brand": "<b>Lumo</b>"}]  # fmt: skip
    path = write(tmp_path / "c.json", json.dumps(rows))
    report = ingest(path, "lamps", store, fake_embedder, progress=False)
    assert report.added == 1
    [item] = store.get("lamps", ["x"])
    assert item.title == "<img src=x onerror=alert(1)> Lamp"  # verbatim; escaped where shown


cell = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        ["NaN", "-1", "1e309", "", "  ", "<b>x</b>", "₹1,099", "$5", '{"a": 1}', "\x00"]
    ),
    st.integers(-(10**6), 10**12).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)
optional = {"price": cell, "brand": cell, "description": cell}
row = st.fixed_dictionaries({"id": cell, "title": cell}, optional=optional)


def _csv(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, ["id", "title", "price", "brand", "description"])
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(row, min_size=1, max_size=12), fmt=st.sampled_from(["csv", "json", "jsonl"]))
def test_every_row_is_either_an_item_or_a_reported_skip(tmp_path, rows, fmt):
    text = {"csv": _csv(rows), "json": json.dumps(rows),
            "jsonl": "".join(json.dumps(r) + "\n" for r in rows)}[fmt]  # fmt: skip
    path = write(tmp_path / f"h.{fmt}", text)
    try:
        catalog = load_catalog(path)
    except CatalogError as err:  # only when nothing at all could be read, with a message
        assert str(err)
        return
    kept = {i.id for i in catalog.items}
    assert len(kept) == len(catalog.items)  # no duplicate ids
    for item in catalog.items:
        assert item.title.strip() and item.id.strip()
        assert item.price is None or (math.isfinite(item.price) and item.price >= 0)
    assert len(catalog.items) + len(catalog.skipped) + catalog.merged <= len(rows)
    assert all(s.reason for s in catalog.skipped)
