import json
from pathlib import Path

import pytest

from retrieval.catalog import load_catalog
from retrieval.errors import CatalogError

ROWS = [
    {"sku": "a1", "name": "Nokia 3310", "brand": "Nokia", "price": "$59.99", "color": "Blue"},
    {"sku": "a2", "name": "Galaxy S9", "brand": "Samsung", "price": "$499", "color": "Black"},
]


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_common_field_names_are_mapped_automatically(tmp_path):
    catalog = load_catalog(write(tmp_path / "c.json", json.dumps(ROWS)))
    first = catalog.items[0]
    assert (first.id, first.title, first.price) == ("a1", "Nokia 3310", 59.99)
    assert first.facets == {"brand": ("Nokia",), "colour": ("Blue",)}
    assert catalog.currency == "USD"


@pytest.mark.parametrize("fmt", ["csv", "tsv", "jsonl", "parquet", "json-object"])
def test_every_format_gives_the_same_items(tmp_path, fmt):
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        path = tmp_path / "c.parquet"
        pq.write_table(pa.Table.from_pylist(ROWS), path)
    elif fmt == "json-object":
        path = write(tmp_path / "c.json", json.dumps({r["sku"]: r for r in ROWS}))
    elif fmt == "jsonl":
        path = write(tmp_path / "c.jsonl", "\n".join(json.dumps(r) for r in ROWS))
    else:
        sep = "," if fmt == "csv" else "\t"
        lines = [sep.join(ROWS[0])] + [sep.join(r.values()) for r in ROWS]
        path = write(tmp_path / f"c.{fmt}", "\n".join(lines))
    items = load_catalog(path).items
    assert [(i.id, i.title, i.price, i.facets["brand"]) for i in items] == [
        ("a1", "Nokia 3310", 59.99, ("Nokia",)),
        ("a2", "Galaxy S9", 499.0, ("Samsung",)),
    ]


def test_json_object_keys_are_the_ids(tmp_path):
    path = write(
        tmp_path / "m.json", json.dumps({"77": {"name": "Heat (1995)", "genre": ["crime"]}})
    )
    item = load_catalog(path).items[0]
    assert (item.id, item.facets["genre"]) == ("77", ("crime",))


def test_bad_rows_are_reported_with_their_line_and_skipped(tmp_path):
    text = (
        "id,title,price\n"
        "1,Good phone,$10\n"
        ",No id here,$5\n"
        "3,,$5\n"
        "4,Bad price,ten dollars\n"
        '5,"A title\nover two lines",$7\n'
        "6,Negative,-3\n"
        "7,Last good one,₹1,099\n"  # unquoted comma: one field too many
        "8,Fine,\n"
    )
    catalog = load_catalog(write(tmp_path / "c.csv", text))
    assert [i.id for i in catalog.items] == ["1", "5", "8"]
    assert catalog.items[2].price is None  # no price is allowed; a bad one is not
    reasons = {s.where: s.reason for s in catalog.skipped}
    assert reasons["line 3"].startswith("no id")
    assert reasons["line 4"] == "no title"
    assert reasons["line 5"] == "unparseable price 'ten dollars'"
    assert reasons["line 8"] == "price out of range (-3)"
    assert reasons["line 9"] == "4 fields where the header has 3"


def test_category_paths_become_levels(tmp_path):
    text = "id,name,category\n1,Cable,Computers|Accessories|Cables\n2,Mouse,Computers|Mice\n"
    items = load_catalog(write(tmp_path / "c.csv", text)).items
    assert items[0].facets["category"] == ("Computers", "Accessories", "Cables")


def test_an_id_repeated_with_another_category_is_merged_and_a_conflict_is_skipped(tmp_path):
    text = (
        "item_id,name,category,price\n"
        "1,STIG,Bar furniture,69\n"
        "1,STIG,Chairs,69\n"
        "1,Other thing,Chairs,10\n"
    )
    catalog = load_catalog(write(tmp_path / "c.csv", text))
    assert catalog.items[0].facets["category"] == ("Bar furniture", "Chairs")
    assert catalog.merged == 1
    assert catalog.skipped[0].reason == "duplicate id '1' (first at line 2)"


def test_a_mapping_file_overrides_the_guess(tmp_path):
    path = write(tmp_path / "c.json", json.dumps(ROWS))
    mapping = write(
        tmp_path / "m.yaml",
        "id: name\ntitle: sku\ncurrency: EUR\nfacets:\n  maker: [brand]\n",
    )
    catalog = load_catalog(path, mapping)
    assert (catalog.items[0].id, catalog.items[0].title, catalog.currency) == (
        "Nokia 3310",
        "a1",
        "EUR",
    )
    assert catalog.items[0].facets == {"maker": ("Nokia",)}


def test_a_mistyped_mapping_key_is_an_error(tmp_path):
    mapping = write(tmp_path / "m.yaml", "titel: name\n")
    with pytest.raises(CatalogError, match="bad mapping file"):
        load_catalog(write(tmp_path / "c.json", json.dumps(ROWS)), mapping)


def test_latin1_and_bom_files_are_read(tmp_path):
    latin = tmp_path / "l.csv"
    latin.write_bytes("id,name,price\n1,Caf\xe9 table,12\n".encode("latin-1"))
    catalog = load_catalog(latin)
    assert catalog.items[0].title == "Café table"
    assert "Latin-1" in catalog.notes[0]
    bom = tmp_path / "b.csv"
    bom.write_bytes("\ufeffid,name\n1,Lamp\n".encode())
    assert load_catalog(bom).items[0].id == "1"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.csv", None, "not found"),
        ("empty.csv", "", "empty"),
        ("blank.json", "  \n", "empty"),
        ("broken.json", '[{"id": 1,', "not valid JSON"),
        ("table.xlsx", "x", "unknown format"),
        ("notitle.csv", "id,colour\n1,red\n", "no title field"),
    ],
)
def test_unreadable_files_get_a_message_that_says_what_to_do(tmp_path, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_text(content)
    with pytest.raises(CatalogError, match=message):
        load_catalog(path)


def test_markup_in_fields_is_kept_as_text(tmp_path):
    rows = [{"id": "x", "name": "<img src=x onerror=alert(1)>", "description": "<b>bold</b>"}]
    item = load_catalog(write(tmp_path / "c.json", json.dumps(rows))).items[0]
    assert item.title == "<img src=x onerror=alert(1)>"  # stored verbatim; escaped where shown
