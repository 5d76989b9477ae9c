"""Which source field feeds which item field: guessed from common names, overridden by YAML."""

import re
from collections.abc import Sequence
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from retrieval.amounts import currency_in_name, parse_number
from retrieval.errors import CatalogError
from retrieval.readers import ID_KEY, Record


class Mapping(BaseModel):
    """A catalog's field mapping. Every key is optional in a YAML file; unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = None  # None: ids are derived from the row's content
    id_pattern: str | None = None  # a regex whose first group is the id, applied to the id field
    title: str | None = None
    description: list[str] = []  # joined in order
    price: str | None = None
    rating: str | None = None
    image_url: str | None = None
    url: str | None = None
    currency: str | None = None  # ISO code, when the values carry no currency mark
    category_separator: str | None = None  # splits "A|B|C" or "A > B" into levels
    facets: dict[str, list[str]] = {}  # facet -> source fields (several: category levels)
    numbers: dict[str, str] = {}  # number name -> source field
    ignore: list[str] = []  # fields to drop entirely
    type: str | None = None  # the field that names each item's product type (else it is mined)
    type_synonyms: dict[str, str] = {}  # a shopper's word -> the catalog's type ("couch": sofa)


# Normalised source names (lowercase letters and digits) for each item field, best first.
_FIELDS: dict[str, Sequence[str]] = {
    "id": ("id", "itemid", "productid", "sku", "asin", "objectid", "uid", ID_KEY.strip("_")),
    "title": ("title", "name", "productname", "itemname", "product"),
    "description": (
        "description", "productdescription", "shortdescription", "aboutproduct", "about",
        "plot", "summary", "overview", "details", "desc",
    ),
    "price": (
        "price", "saleprice", "discountedprice", "sellingprice", "currentprice", "finalprice",
        "priceinr", "priceusd", "priceeur", "pricegbp", "pricesar", "priceinrs",
    ),
    "rating": ("rating", "averagerating", "avgrating", "stars", "rating5"),
    "image_url": ("imageurl", "image", "img", "imglink", "imagelink", "thumbnail", "picture"),
    "url": ("url", "link", "producturl", "productlink", "href"),
}  # fmt: skip
_FACETS: dict[str, Sequence[str]] = {
    "brand": ("brand", "productbrand", "manufacturer", "make"),
    "category": (
        "categories", "category", "categorypath", "productcategory", "maincategory",
        "department", "subcategory", "type", "producttype",
    ),
    "genre": ("genre", "genres"),
    "director": ("director", "directors"),
    "writer": ("writer", "writers"),
    "star": ("star", "stars", "cast", "actors", "actor"),
    "colour": ("colour", "color", "primarycolour", "primarycolor", "colours", "colors"),
    "gender": ("gender",),
    "material": ("material", "materials"),
    "designer": ("designer", "designers"),
}  # fmt: skip
IGNORED = re.compile(r"^(index|x\d*|unnamed.*|level0)$")  # exported row numbers (normalised)
_SEPARATORS = ("|", " > ", ">", " / ")
SAMPLE = 500


def norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def snake(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "value"


def load_mapping(path: Path) -> Mapping:
    if not path.exists():
        raise CatalogError(f"mapping file not found: {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return Mapping.model_validate(data)
    except (yaml.YAMLError, ValidationError) as err:
        first = str(err).splitlines()[:3]
        raise CatalogError(f"bad mapping file {path}: {' '.join(first)}") from None


def guess_mapping(sample: list[Record], override: Mapping | None = None) -> Mapping:
    """Map fields by name; the override's keys win. Unmapped numeric fields become numbers."""
    names = list(dict.fromkeys(key for record in sample for key in record))
    by_norm = {norm(n): n for n in reversed(names)}  # first spelling wins
    taken: set[str] = set()

    def pick(candidates: Sequence[str]) -> str | None:
        for candidate in candidates:
            name = by_norm.get(candidate)
            if name and name not in taken:
                taken.add(name)
                return name
        return None

    guessed: dict[str, object] = {}
    explicit = override.model_fields_set if override else set()
    if override:
        taken.update(_fields_named(override))
    for key, candidates in _FIELDS.items():
        if key in explicit:
            continue
        if key == "description":
            guessed[key] = [d] if (d := pick(candidates)) else []
        else:
            guessed[key] = pick(candidates)
    if "facets" not in explicit:
        facets: dict[str, list[str]] = {}
        for facet, candidates in _FACETS.items():
            sources = [by_norm[c] for c in candidates if c in by_norm and by_norm[c] not in taken]
            if sources:
                taken.update(sources)
                facets[facet] = sources
        guessed["facets"] = facets
    ignored = set(override.ignore) if override else set()
    if "numbers" not in explicit:
        guessed["numbers"] = {
            snake(n): n
            for n in names
            if n not in taken
            and n not in ignored
            and not IGNORED.match(norm(n))
            and _mostly_numeric([r.get(n) for r in sample])
        }
    if "currency" not in explicit:
        price = (override.price if override and "price" in explicit else guessed.get("price")) or ""
        guessed["currency"] = currency_in_name(str(price)) if price else None
    merged = {**guessed, **(override.model_dump(exclude_unset=True) if override else {})}
    return Mapping.model_validate(merged)


def guess_separator(values: list[str]) -> str | None:
    for sep in _SEPARATORS:
        if sum(sep in v for v in values) >= max(1, len(values) // 5):
            return sep
    return None


def _fields_named(mapping: Mapping) -> set[str]:
    # A field the id is only extracted from (id_pattern) may still serve as another field.
    singles = [
        None if mapping.id_pattern else mapping.id,
        mapping.title,
        mapping.price,
        mapping.rating,
        mapping.image_url,
    ]
    names = {n for n in [*singles, mapping.url, mapping.type] if n}
    names.update(mapping.description, *mapping.facets.values(), mapping.numbers.values())
    return names


def _mostly_numeric(values: list[object]) -> bool:
    present = [v for v in values if v not in (None, "") and not isinstance(v, list | dict | bool)]
    if len(present) < max(3, len(values) // 10):
        return False
    good = 0
    for value in present:
        try:
            parse_number(value)
            good += 1
        except ValueError:
            pass
    return good >= 0.9 * len(present)
