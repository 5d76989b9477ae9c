"""A store's policy documents (Markdown: shipping, returns, warranty...) cut into passages, one
per section, for the support desk (bot/answering/support.py). Text is cleaned of markup like any
catalog text: it is quoted to the person, never obeyed."""

import re
from pathlib import Path
from typing import TYPE_CHECKING

from retrieval.errors import ConciergeError
from retrieval.records import Passage
from retrieval.text import clean_text

if TYPE_CHECKING:
    from retrieval.embed import Embedder
    from retrieval.store import ItemStore

MAX_DOC_BYTES = 1_000_000
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_MARKDOWN = re.compile(r"(\*\*|__|`|^\s*[-*+]\s+|^\s*\d+\.\s+|^>\s?)", re.M)
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")


def read_policies(folder: Path) -> list[Passage]:
    """Every `*.md` file in folder, one passage per section that has text."""
    if not folder.is_dir():
        raise ConciergeError(f"no policy folder {folder} (it should hold Markdown files)")
    passages: list[Passage] = []
    for path in sorted(folder.glob("*.md")):
        if path.stat().st_size > MAX_DOC_BYTES:
            raise ConciergeError(f"{path} is over {MAX_DOC_BYTES:,} bytes; split it up")
        text = path.read_text(encoding="utf-8-sig", errors="replace")
        passages += split_sections(text, path.name)
    if not passages:
        raise ConciergeError(f"no Markdown policy text in {folder}")
    return passages


def ingest_policies(folder: Path, catalog: str, store: "ItemStore", embedder: "Embedder") -> str:
    """Replace the catalog's policy passages with those in folder; a one-line summary."""
    store.manifest(catalog)  # the catalog must exist: raises UnknownCatalogError with the fix
    passages = read_policies(folder)
    store.save_policies(catalog, passages, embedder.embed([p.document() for p in passages]))
    docs = len({p.source for p in passages})
    return f"policies for {catalog}: {len(passages)} sections from {docs} documents"


def split_sections(markdown: str, source: str) -> list[Passage]:
    doc, section = "", ""
    lines: list[str] = []
    sections: list[tuple[str, str]] = []
    for line in markdown.splitlines():
        found = _HEADING.match(line)
        if found:
            sections.append((section, "\n".join(lines)))
            title = _plain(found.group(2))
            if not doc and len(found.group(1)) == 1:
                doc, section = title, ""
            else:
                section = title
            lines = []
        else:
            lines.append(line)
    sections.append((section, "\n".join(lines)))
    doc = doc or Path(source).stem.replace("_", " ").replace("-", " ").capitalize()
    out: list[Passage] = []
    for heading, body in sections:
        text = _plain(body)
        if text:
            out.append(Passage(f"{source}#{len(out)}", doc, source, heading, text))
    return out


def _plain(markdown: str) -> str:
    text = _LINK.sub(r"\1", markdown)
    text = _MARKDOWN.sub("", text)
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text)]
    return clean_text("\n".join(p for p in paragraphs if p))
