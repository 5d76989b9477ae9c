"""Load a catalog file into validated Items; bad rows are reported with their location, skipped."""

import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

from retrieval.amounts import parse_amount, parse_number
from retrieval.enrich import enrich_all
from retrieval.errors import CatalogError
from retrieval.mapping import (
    IGNORED,
    SAMPLE,
    Mapping,
    guess_mapping,
    guess_separator,
    load_mapping,
    norm,
)
from retrieval.readers import Record, read_records
from retrieval.records import Item, Skipped
from retrieval.types import FACET as TYPE_FACET
from retrieval.types import coverage_note, mine_types, types_of_name

MAX_TEXT = 4000  # characters kept of one text field
MAX_FACET_VALUE = 200


class RowError(ValueError):
    """A row that cannot become an item; the message is the reason shown to the user."""


@dataclass
class Catalog:
    items: list[Item]
    skipped: list[Skipped]
    mapping: Mapping
    currency: str | None
    notes: list[str] = field(default_factory=list)
    merged: int = 0  # rows folded into an earlier row with the same id (e.g. a second category)
    mined: dict[str, int] = field(default_factory=dict)  # attribute -> items that gained it


def load_catalog(path: Path, mapping_path: Path | None = None, enrich: bool = True) -> Catalog:
    """Read, map and validate a catalog file; with `enrich`, mine attributes from item text."""
    notes: list[str] = []
    rows = list(read_records(path, notes))
    if not rows:
        raise CatalogError(f"{path.name} has no rows: it is empty but for its header")
    records = [r for _, r in rows if isinstance(r, dict)]
    override = load_mapping(mapping_path) if mapping_path else None
    mapping = guess_mapping(records[:SAMPLE], override)
    if mapping.title is None:
        fields = ", ".join(list(dict.fromkeys(k for r in records[:SAMPLE] for k in r))[:12])
        raise CatalogError(
            f"no title field found in {path.name} (fields: {fields}); "
            "name it with 'title:' in a mapping file passed as --mapping"
        )
    if mapping.id is None:
        notes.append("no id field: ids are derived from each row's content")
    separator = mapping.category_separator or _category_separator(records, mapping)
    builder = _RowBuilder(mapping, separator)
    items: dict[str, Item] = {}
    first_seen: dict[str, str] = {}
    skipped: list[Skipped] = []
    currencies: Counter[str] = Counter()
    merged = 0
    for where, record in rows:
        if isinstance(record, str):
            skipped.append(Skipped(where, record))
            continue
        try:
            item, currency = builder.build(record)
        except RowError as err:
            skipped.append(Skipped(where, str(err)))
            continue
        if currency:
            currencies[currency] += 1
        previous = items.get(item.id)
        if previous is None:
            items[item.id] = item
            first_seen[item.id] = where
        elif (previous.title, previous.price) == (item.title, item.price):
            items[item.id] = _merge_facets(previous, item)
            merged += 1
        else:
            skipped.append(
                Skipped(where, f"duplicate id {item.id!r} (first at {first_seen[item.id]})")
            )
    currency = mapping.currency or (currencies.most_common(1)[0][0] if currencies else None)
    enriched, gained = (
        enrich_all(list(items.values())) if enrich else (list(items.values()), Counter())
    )
    if gained:
        mined = ", ".join(f"{name} {count:,}" for name, count in gained.most_common())
        notes.append(f"attributes mined from titles and descriptions (items gaining each): {mined}")
    if enrich:
        enriched, types = mine_types(enriched)
        notes.append(coverage_note(enriched, types))
    return Catalog(enriched, skipped, mapping, currency, notes, merged, dict(gained))


class _RowBuilder:
    def __init__(self, mapping: Mapping, separator: str | None) -> None:
        self.m = mapping
        self.separator = separator
        self.id_pattern = re.compile(mapping.id_pattern) if mapping.id_pattern else None
        named = {mapping.id, mapping.title, mapping.price, mapping.rating, mapping.image_url}
        named |= {mapping.url, mapping.type, *mapping.description, *mapping.ignore}
        named |= {f for fs in mapping.facets.values() for f in fs} | set(mapping.numbers.values())
        self.named = named

    def build(self, record: Record) -> tuple[Item, str | None]:
        m = self.m
        title = _text(record.get(m.title or ""))
        if not title:
            raise RowError("no title")
        price, currency = self._price(record)
        facets = {
            facet: values
            for facet, sources in m.facets.items()
            if (values := self._facet_values(record, sources, split=facet == "category"))
        }
        if m.type and (named_type := types_of_name(_text(record.get(m.type)))):
            facets[TYPE_FACET] = named_type
        numbers = {}
        for name, source in m.numbers.items():
            try:
                number = parse_number(record.get(source))
            except ValueError:
                number = None  # an optional number that is absent in words ("No old price")
            if number is not None:
                numbers[name] = number
        attributes = {
            key: text[:MAX_TEXT]
            for key, value in record.items()
            if key not in self.named
            and not key.startswith("__")
            and not IGNORED.match(norm(key))
            and (text := _text(value))
        }
        item = Item(
            id=self._id(record),
            title=title[:MAX_TEXT],
            description=" ".join(_text(record.get(d)) for d in m.description).strip()[:MAX_TEXT],
            price=price,
            rating=self._rating(record),
            image_url=_text(record.get(m.image_url or "")) or None,
            url=_text(record.get(m.url or "")) or None,
            facets=facets,
            numbers=numbers,
            attributes=attributes,
        )
        return item, currency

    def _id(self, record: Record) -> str:
        if self.m.id is None:
            canonical = json.dumps(record, sort_keys=True, ensure_ascii=False, default=str)
            return hashlib.sha1(canonical.encode()).hexdigest()[:16]
        raw = record.get(self.m.id)
        if isinstance(raw, list | dict):
            raise RowError(f"the id (field {self.m.id!r}) is a {type(raw).__name__}, not one value")
        value = _text(raw)
        if isinstance(raw, float) and raw.is_integer():
            value = str(int(raw))
        if self.id_pattern and value:
            match = self.id_pattern.search(value)
            value = match.group(1) if match and match.groups() else ""
        if not value:
            raise RowError(f"no id (field {self.m.id!r} is empty or does not match)")
        return value

    def _price(self, record: Record) -> tuple[float | None, str | None]:
        if self.m.price is None:
            return None, None
        raw = record.get(self.m.price)
        try:
            price, currency = parse_amount(raw)
        except ValueError:
            raise RowError(f"unparseable price {_text(raw)[:40]!r}") from None
        if price is not None and not 0 <= price < 1e9:
            raise RowError(f"price out of range ({price:g})")
        return price, currency

    def _rating(self, record: Record) -> float | None:
        try:
            return parse_number(record.get(self.m.rating or ""))
        except ValueError:
            return None  # junk ratings are dropped, not fatal

    def _facet_values(self, record: Record, sources: list[str], split: bool) -> tuple[str, ...]:
        values: list[str] = []
        for source in sources:
            raw = record.get(source)
            parts = raw if isinstance(raw, list) else [raw]
            for part in parts:
                text = _text(part)
                if split and self.separator and self.separator in text:
                    values += [p.strip() for p in text.split(self.separator)]
                elif text:
                    values.append(text)
        return tuple(dict.fromkeys(v[:MAX_FACET_VALUE] for v in values if v))


def _text(value: object) -> str:
    """A field as one line of text; lists are joined, nested objects and NaN are empty."""
    if isinstance(value, list):
        return ", ".join(text for v in value if (text := _text(v)))
    if value is None or isinstance(value, dict) or (isinstance(value, float) and value != value):
        return ""
    return re.sub(r"\s+", " ", str(value)).strip()


def _category_separator(records: list[Record], mapping: Mapping) -> str | None:
    sources = mapping.facets.get("category", [])
    values = [str(r[s]) for r in records[:SAMPLE] for s in sources if isinstance(r.get(s), str)]
    return guess_separator(values) if values else None


def _merge_facets(first: Item, second: Item) -> Item:
    facets = dict(first.facets)
    for facet, values in second.facets.items():
        facets[facet] = tuple(dict.fromkeys((*facets.get(facet, ()), *values)))
    return replace(first, facets=facets)
