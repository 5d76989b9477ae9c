"""HTML for the UI's product cards, the need summary and the weight chart. Every string from a
catalog or a person is escaped here: catalog text is shown as text, never run as markup, and
links and images are kept only when they are plain http(s) addresses."""

from html import escape
from typing import Any
from urllib.parse import urlparse

from bot.explaining.explain import best_clause
from retrieval.amounts import format_price
from retrieval.text import normalize

MAX_CHIPS = 3
MAX_CHIP_TEXT = 60
FIELD_NAMES = {"facets": "listing details"}  # where a chip's words come from, in its tooltip
MAX_ATTRIBUTES = 12


def safe_url(url: str | None) -> str | None:
    """The URL, escaped for an attribute, if it is http(s); None for anything else
    (javascript:, data:, relative paths)."""
    if not url:
        return None
    parsed = urlparse(url.strip())
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        return None
    return escape(url.strip(), quote=True)


MAX_VARIANTS = 4  # named on a card; the rest counted


def variant_names(
    others: list[dict[str, Any]],
    currency: str | None,
    most: int | None = MAX_VARIANTS,
    price: float | None = None,
) -> list[tuple[str, str]]:
    """(name, id) of the product's other colours, sizes or carriers offered on its card: by
    what sets each apart, else by its price where that differs from the card's `price`, else
    as another listing of the same; one per name."""

    def name(v: dict[str, Any]) -> str:
        if v.get("label"):
            return str(v["label"])
        if v.get("price") is not None and v["price"] != price:
            return format_price(v["price"], currency)
        return "another listing"

    named: dict[str, str] = {}
    for v in others:
        named.setdefault(name(v), v["id"])
    return list(named.items())[:most]


def variants(others: list[dict[str, Any]], currency: str | None, price: float | None = None) -> str:
    """The words before a card's variant buttons (the buttons are Gradio's: bot/web/ui.py)."""
    if not others:
        return ""
    names = len(variant_names(others, currency, most=None, price=price))
    more = f", and {names - MAX_VARIANTS} more" if names > MAX_VARIANTS else ""
    return f'<span class="cc-variants">Also as{more}:</span>'


def card(
    item: dict[str, Any], number: int, currency: str | None, mark: str = "", details: bool = False
) -> str:
    """One recommendation (the API's item shape) as a card; with details, its attributes."""
    title = escape(item["title"])
    url = safe_url(item.get("url"))
    heading = (
        f'<a href="{url}" target="_blank" rel="noopener noreferrer">{title}</a>' if url else title
    )
    image = safe_url(item.get("image_url"))
    # Initials on a tint, under the picture: what shows when there is none or it cannot load
    # (offline, a dead link), never the browser's broken-image box.
    photo = (
        f'<img src="{image}" alt="" loading="lazy" referrerpolicy="no-referrer" '
        'onerror="this.hidden=true">'
        if image
        else ""
    )
    picture = f'<div class="cc-img"><span>{escape(initials(item["title"]))}</span>{photo}</div>'
    meta = []
    if item.get("price") is not None:
        meta.append(
            f'<span class="cc-price">{escape(format_price(item["price"], currency))}</span>'
        )
    rating = (item.get("attributes") or {}).get("rating")
    if isinstance(rating, int | float):
        meta.append(f'<span class="cc-rating" title="rating">★ {rating:.1f}</span>')
    if item.get("closest"):
        meta.append('<span class="cc-closest">closest match</span>')
    if mark:
        meta.append(f'<span class="cc-mark">{escape(mark)}</span>')
    chips = "".join(
        f'<span class="cc-chip" title="from its {escape(field, quote=True)}: '
        f'{escape(text, quote=True)}">{escape(_short(text))}</span>'
        for field, text in evidence_chips(item.get("evidence") or [])
    )
    weight = float(item.get("weight") or 0.0)
    return (
        f'<article class="cc-card" data-item="{escape(item["id"], quote=True)}">{picture}'
        f'<div class="cc-body"><h3 class="cc-title"><span class="cc-n">{number}.</span> {heading}'
        f'</h3><div class="cc-meta">{" ".join(meta)}</div>'
        f'<p class="cc-why">{escape(item.get("explanation") or "")}</p>'
        f'<div class="cc-chips">{chips}</div>'
        f'<div class="cc-weight" title="attention weight {weight:.2f}">'
        f'<span style="width:{max(2.0, weight * 100):.0f}%"></span></div>'
        f"{attributes(item.get('attributes') or {}) if details else ''}</div></article>"
    )


def initials(title: str) -> str:
    """Two letters for a picture's placeholder: "Samsung Galaxy S9" -> "SG"."""
    words = [w for w in title.split() if w[:1].isalpha()]
    return "".join(w[0] for w in words[:2]).upper()


def attributes(values: dict[str, Any]) -> str:
    rows = []
    for name, value in list(values.items())[:MAX_ATTRIBUTES]:
        text = ", ".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
        if text and text != "None":
            rows.append(f"<dt>{escape(name.replace('_', ' '))}</dt><dd>{escape(_short(text))}</dd>")
    return f'<dl class="cc-need cc-attrs">{"".join(rows)}</dl>' if rows else ""


def evidence_chips(evidence: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(where, words) for the facts that drew the most attention, each once, in the item's own
    words: the value asked for ("Samsung", "Blue"), or the clause of the field that answers
    the want ("2-seat sofa", not the description's whole lead or the item's facet line). The
    title and the whole item are on the card already: never a chip."""
    seen: dict[str, str] = {}
    for e in evidence:
        field, text = str(e.get("field") or ""), " ".join(str(e.get("text") or "").split())
        name, _, value = str(e.get("part") or "").partition(": ")
        if not text or not value or field in ("item", "title"):
            continue  # "need" (the whole request) has no value of its own
        has = (
            field == "facets"
            and name != "want"
            and f" {normalize(value)} " in f" {normalize(text)} "
        )
        words = value if has else best_clause(text, value)  # the item's value, not the asked one
        if field == "facets" and words == text.rstrip("."):
            continue  # no part of the facet line says the want: the line itself is no fact
        seen.setdefault(words.strip(), FIELD_NAMES.get(field, field))
    return [(field, words) for words, field in seen.items() if words][:MAX_CHIPS]


def weight_chart(items: list[dict[str, Any]], theta: float) -> str:
    """The shown items' attention weights as bars, with θ drawn across them."""
    if not items:
        return '<p class="cc-empty">No items shown yet.</p>'
    rows = []
    for n, item in enumerate(items, start=1):
        w = float(item.get("weight") or 0.0)
        state = "cc-pass" if w > theta else "cc-fail"
        rows.append(
            f'<div class="cc-bar-row"><span class="cc-bar-label">'
            f'{n}. {escape(_short(item["title"]))}</span><span class="cc-bar {state}">'
            f'<span style="width:{w * 100:.0f}%"></span>'
            f'<i class="cc-theta" style="left:{theta * 100:.0f}%"></i></span>'
            f'<span class="cc-bar-value">{w:.2f}</span></div>'
        )
    note = (f"Attention weight w of each shown item (best = 1); the line is θ = {theta:.2f}. "
            "Items need w &gt; θ.")  # fmt: skip
    return f'<div class="cc-chart"><p class="cc-chart-note">{note}</p>{"".join(rows)}</div>'


def need_summary(need: dict[str, Any], currency: str | None) -> str:
    """The structured need in a few readable lines."""
    lines = []
    if need.get("wants"):
        lines.append(("Looking for", "; ".join(need["wants"])))
    for facet, values in (need.get("include") or {}).items():
        if values:
            lines.append((facet.capitalize(), ", ".join(values)))
    for facet, values in (need.get("exclude") or {}).items():
        if values:
            lines.append((f"Not {facet}", ", ".join(values)))
    for name, bounds in (need.get("ranges") or {}).items():
        text = _range(name, bounds.get("min"), bounds.get("max"), currency)
        if text:
            lines.append((name.replace("_", " ").capitalize(), text))
    if need.get("avoid"):
        lines.append(("Avoid", "; ".join(need["avoid"])))
    lines += [("Read as", reading) for reading in need.get("readings") or []]
    for key, label in (("liked", "Liked"), ("disliked", "Disliked")):
        if need.get(key):
            count = len(need[key])
            lines.append((label, f"{count} item" + ("s" if count > 1 else "")))
    if not lines:
        return '<p class="cc-empty">Nothing yet: tell me what you need.</p>'
    body = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in lines)
    return f'<dl class="cc-need">{body}</dl>'


def _range(name: str, low: float | None, high: float | None, currency: str | None) -> str:
    def show(v: float) -> str:
        return format_price(v, currency) if name == "price" else f"{v:g}"

    if low is not None and high is not None:
        return f"{show(low)} to {show(high)}"
    if high is not None:
        return f"up to {show(high)}"
    return f"at least {show(low)}" if low is not None else ""


def _short(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= MAX_CHIP_TEXT else text[: MAX_CHIP_TEXT - 1] + "…"


CSS = """
.cc-box{border:1px solid var(--border-color-primary)!important;border-radius:12px!important;
 background:var(--background-fill-primary)!important;padding:12px!important;gap:8px!important;
 margin-bottom:8px}
.cc-card{display:flex;gap:12px}
.cc-img{position:relative;width:84px;height:84px;border-radius:8px;flex:none;overflow:hidden;
 background:linear-gradient(135deg,#eef2ff,#e0e7ff);display:flex;align-items:center;
 justify-content:center;color:#4338ca;font-weight:600;font-size:22px}
.cc-img img{position:absolute;inset:0;width:100%;height:100%;object-fit:contain;background:#fff}
.cc-body{min-width:0;flex:1}
.cc-title{font-size:15px;margin:0 0 4px;line-height:1.3;overflow-wrap:anywhere}
.cc-title a{text-decoration:none;color:inherit}.cc-title a:hover{text-decoration:underline}
.cc-n{color:var(--body-text-color-subdued)}
.cc-meta{display:flex;gap:8px;flex-wrap:wrap;font-size:14px;margin-bottom:4px}
.cc-price{font-weight:600}.cc-rating{color:#b45309}
.cc-closest,.cc-mark{font-size:12px;padding:1px 8px;border-radius:999px;background:#fef3c7}
.cc-mark{background:#dcfce7}
.cc-why{font-size:14px;margin:4px 0;overflow-wrap:anywhere}
.cc-chips{display:flex;flex-wrap:wrap;gap:4px;margin:4px 0}
.cc-chip{font-size:12px;padding:2px 8px;border-radius:999px;background:#eef2ff;color:#3730a3;
 max-width:100%;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.cc-weight{height:6px;border-radius:3px;background:#e4e4e7;overflow:hidden;margin-top:6px}
.cc-weight span{display:block;height:100%;background:#6366f1}
.cc-actions{gap:6px!important;margin:0 0 0 96px;flex-wrap:wrap!important}
.cc-actions button{min-width:0!important;flex:0 0 auto!important;width:auto!important}
.cc-attrs{margin-top:8px;font-size:13px}
.cc-empty{color:var(--body-text-color-subdued);font-size:14px}
.cc-need{display:grid;grid-template-columns:max-content 1fr;gap:4px 12px;font-size:14px;margin:0}
.cc-need dt{font-weight:600}.cc-need dd{margin:0;overflow-wrap:anywhere}
.cc-chart-note{font-size:13px;color:var(--body-text-color-subdued);margin:0 0 6px}
.cc-bar-row{display:grid;grid-template-columns:minmax(0,1.3fr) 2fr 3em;gap:8px;align-items:center;
 font-size:13px;margin:3px 0}
.cc-bar-label{overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.cc-bar{position:relative;height:14px;background:#f4f4f5;border-radius:4px}
.cc-bar>span{display:block;height:100%;border-radius:4px;background:#6366f1}
.cc-fail>span{background:#d4d4d8}
.cc-theta{position:absolute;top:-3px;bottom:-3px;width:2px;background:#dc2626}
.cc-quick .row,.cc-quick .form{flex-wrap:wrap!important;gap:6px!important}
.cc-quick button{border-radius:999px!important;flex:0 0 auto!important;width:auto!important;
 max-width:100%;white-space:normal!important;overflow-wrap:anywhere}
.cc-variants{font-size:12px;color:var(--body-text-color-subdued);margin:2px 0 0}
.cc-choices{flex-wrap:wrap!important;gap:4px!important;align-items:center!important}
.cc-choices-label{flex:0 0 auto!important;width:auto!important;min-width:0!important}
.cc-choices button{font-size:12px!important;border-radius:999px!important;flex:0 0 auto!important;
 width:auto!important;max-width:100%;white-space:normal!important}
.cc-header{align-items:center!important}
.cc-header>button{align-self:center!important;height:auto!important;flex:0 0 auto!important}
@media (max-width:640px){.cc-img{width:64px;height:64px}.cc-actions{margin-left:0}}
"""
