"""Small typed records passed between the catalog, the store and the bot."""

import hashlib
import json
from dataclasses import asdict, dataclass, field


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
        return json.dumps(asdict(self), sort_keys=True, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> "Item":
        data = json.loads(text)
        data["facets"] = {k: tuple(v) for k, v in data["facets"].items()}
        return cls(**data)

    def content_hash(self, embedder_name: str) -> str:
        """Changes when the item or the embedder changes: the key for skipping re-embedding."""
        return hashlib.sha256(f"{embedder_name}\n{self.to_json()}".encode()).hexdigest()[:32]

    def embedding_text(self) -> str:
        """What the item's vector is computed from: title, facets, then description."""
        parts = [self.title]
        parts += [", ".join(values) for values in self.facets.values() if values]
        if self.description:
            parts.append(self.description)
        return ". ".join(parts)


@dataclass(frozen=True)
class Skipped:
    """A row that was not ingested, and why."""

    where: str  # "line 12", "record 5", "key 'abc'"
    reason: str
