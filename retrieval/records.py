"""Small typed records passed between the catalog, the store and the bot."""

import functools
import hashlib
import json
from dataclasses import dataclass, field, fields

FIELD_NAMES = ("title", "facets", "description")  # fields with vectors of their own
# What is stored per item; a new layout re-embeds everything once. v2: an item's vector is the
# normalised sum of its field vectors (v1 embedded its whole text besides).
LAYOUT = "fields-v2"


@dataclass(frozen=True)
class Item:
    """One catalog item, normalised. Facet values keep the catalog's own spelling."""

    id: str
    title: str
    description: str = ""
    price: float | None = None
    rating: float | None = None
    image_url: str | None = None
    url: str | None = None
    facets: dict[str, tuple[str, ...]] = field(default_factory=dict)  # brand, category levels, ...
    numbers: dict[str, float] = field(default_factory=dict)  # other numeric fields
    attributes: dict[str, str] = field(default_factory=dict)  # other text fields, for explanations

    def to_json(self) -> str:
        return self._json

    @functools.cached_property
    def _json(self) -> str:
        """Made once: ingest needs it for the content hash and again for the stored record.
        The fields as they are (dataclasses.asdict deep-copies them, a third of the time)."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        return json.dumps(data, sort_keys=True, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> "Item":
        data = json.loads(text)
        data["facets"] = {k: tuple(v) for k, v in data["facets"].items()}
        return cls(**data)

    def content_hash(self, embedder_name: str) -> str:
        """Changes when the item or the embedder changes: the key for skipping re-embedding."""
        key = f"{embedder_name}\n{LAYOUT}\n{self.to_json()}"
        return hashlib.sha256(key.encode()).hexdigest()[:32]

    def field_texts(self) -> dict[str, str]:
        """The texts of the item's fields that get vectors of their own (the reranker's keys,
        and the snippets quoted as evidence). Empty fields are left out."""
        facets = "; ".join(", ".join(values) for values in self.facets.values() if values)
        out = {"title": self.title, "facets": facets, "description": lead(self.description)}
        return {name: text for name, text in out.items() if text.strip()}

    def embedding_text(self) -> str:
        """The item as one text (title, facets, then description): the document the store keeps
        and lexical search reads."""
        parts = [self.title]
        parts += [", ".join(values) for values in self.facets.values() if values]
        if self.description:
            parts.append(self.description)
        return ". ".join(parts)


DESCRIPTION_SNIPPET = 300  # characters of the description that get a vector of their own


def lead(text: str) -> str:
    """The description's opening sentences, up to DESCRIPTION_SNIPPET characters."""
    text = " ".join(text.split())
    if len(text) <= DESCRIPTION_SNIPPET:
        return text
    cut = text.rfind(". ", 0, DESCRIPTION_SNIPPET)
    return text[: cut + 1] if cut > 0 else text[:DESCRIPTION_SNIPPET].rsplit(" ", 1)[0]


@dataclass(frozen=True)
class Skipped:
    """A row that was not ingested, and why."""

    where: str  # "line 12", "record 5", "key 'abc'"
    reason: str


@dataclass(frozen=True)
class Passage:
    """One section of a store's policy documents (retrieval/policies.py)."""

    id: str  # "<file>#<n>"
    doc: str  # the document's title (its first heading, else the file name)
    source: str  # the file name
    section: str  # the section's heading ("" before the first one)
    text: str  # the section's text, markup removed

    def document(self) -> str:
        """What is embedded: the headings say what the section is about."""
        return f"{self.doc}. {self.section}. {self.text}"
