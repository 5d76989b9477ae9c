"""Read catalog files into (location, record) pairs: CSV/TSV, JSON, JSONL and Parquet."""

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from retrieval.errors import CatalogError

Record = dict[str, Any]
FORMATS = {
    ".csv": "csv", ".tsv": "tsv", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl",
    ".parquet": "parquet", ".pq": "parquet",
}  # fmt: skip
ID_KEY = "__key__"  # where a JSON object's key (id -> record) is kept


def read_records(path: Path, notes: list[str]) -> Iterator[tuple[str, Record | str]]:
    """Yield (location, record) per row; a row that cannot be parsed yields (location, error).

    `notes` receives remarks about the whole file (such as a fallback encoding).
    """
    if not path.exists():
        raise CatalogError(f"catalog file not found: {path}")
    if not path.is_file():
        raise CatalogError(f"not a file: {path}")
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise CatalogError(
            f"cannot read {path.name!r}: unknown format; use .csv, .tsv, .json, .jsonl or .parquet"
        )
    if path.stat().st_size == 0:
        raise CatalogError(f"catalog file is empty: {path}")
    if fmt == "parquet":
        return _read_parquet(path)
    text = _decode(path.read_bytes(), notes)
    if not text.strip():
        raise CatalogError(f"catalog file is empty: {path}")
    if fmt in ("csv", "tsv"):
        return _read_csv(text, "\t" if fmt == "tsv" else ",")
    if fmt == "jsonl":
        return _read_jsonl(text)
    return _read_json(text, path)


def _decode(raw: bytes, notes: list[str]) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        notes.append(f"not UTF-8 (byte {err.start}); read as Latin-1")
        return raw.decode("latin-1")


def _read_csv(text: str, delimiter: str) -> Iterator[tuple[str, Record | str]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader, None)
    if not header:
        raise CatalogError("the CSV file has no header row")
    names = [h.strip() for h in header]
    start = reader.line_num + 1
    for row in reader:
        where = f"line {start}"
        start = reader.line_num + 1
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(names) and any(cell.strip() for cell in row[len(names) :]):
            yield where, f"{len(row)} fields where the header has {len(names)}"
            continue
        yield where, {name: cell for name, cell in zip(names, row, strict=False) if name}


def _read_jsonl(text: str) -> Iterator[tuple[str, Record | str]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"line {number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            yield where, f"not valid JSON ({err.msg})"
            continue
        yield (where, record) if isinstance(record, dict) else (where, "not a JSON object")


def _read_json(text: str, path: Path) -> Iterator[tuple[str, Record | str]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        salvaged = _complete_records(text)
        if salvaged:  # a list cut off (an interrupted download): keep what is whole
            return iter(salvaged)
        raise CatalogError(
            f"{path.name} is not valid JSON (line {err.lineno}, column {err.colno}: {err.msg})"
        ) from None
    if isinstance(data, dict):
        lists = [v for v in data.values() if isinstance(v, list)]
        if len(data) == 1 and lists:  # {"items": [...]}
            data = lists[0]
        else:
            return (
                (f"key {key!r}", {**value, ID_KEY: key})
                if isinstance(value, dict)
                else (f"key {key!r}", "not a JSON object")
                for key, value in data.items()
            )
    if not isinstance(data, list):
        raise CatalogError(f"{path.name}: expected a list of records or an object of id -> record")
    return (
        (f"record {n}", r) if isinstance(r, dict) else (f"record {n}", "not a JSON object")
        for n, r in enumerate(data, start=1)
    )


def _complete_records(text: str) -> list[tuple[str, Record | str]]:
    """The whole records at the start of a JSON list that is cut off or broken further on, and
    one entry saying where it breaks; empty when nothing before the break is whole."""
    decoder = json.JSONDecoder()
    start = len(text) - len(text.lstrip())
    if not text.startswith("[", start):
        return []
    out: list[tuple[str, Record | str]] = []
    at = start + 1
    while True:
        while at < len(text) and text[at] in " \t\r\n,":
            at += 1
        if at >= len(text) or text[at] == "]":
            return []  # not broken after all (json.loads failed elsewhere): report as invalid
        try:
            record, at = decoder.raw_decode(text, at)
        except json.JSONDecodeError:
            break
        n = len(out) + 1
        out.append((f"record {n}", record) if isinstance(record, dict)
                   else (f"record {n}", "not a JSON object"))  # fmt: skip
    if not out:
        return []
    line = text.count("\n", 0, at) + 1
    reason = (f"the file breaks off here (line {line}): it is truncated or not valid JSON from "
              "this point; the records before it were read")  # fmt: skip
    out.append((f"record {len(out) + 1}", reason))
    return out


def _read_parquet(path: Path) -> Iterator[tuple[str, Record | str]]:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as err:  # pyarrow raises several types for a bad file
        raise CatalogError(f"cannot read {path.name} as Parquet: {err}") from None
    return ((f"row {n}", r) for n, r in enumerate(table.to_pylist(), start=1))
