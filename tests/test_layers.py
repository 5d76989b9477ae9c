"""The house's rules, read from the source: layers point one way (eval -> bot -> retrieval,
prompts), only bot/web (and app.py, which serves it) touches the web frameworks, and no module
imports itself back through others. Every import counts, including those inside functions."""

import ast
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import ROOT

PACKAGES = ("bot", "retrieval", "prompts", "eval")
WEB = ("fastapi", "gradio", "starlette", "uvicorn")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def sources() -> dict[str, Path]:
    found = {module_name(p): p for package in PACKAGES for p in (ROOT / package).rglob("*.py")}
    return found | {"app": ROOT / "app.py"}


def imported(path: Path, known: set[str]) -> Iterator[str]:
    """Every module `path` imports: a project module by its own name ("from bot.engine import
    Turn" -> bot.engine; "from bot import wiring" -> bot.wiring), anything else by its top
    package."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in known
                     else node.module for a in node.names]  # fmt: skip
        else:
            continue
        for name in names:
            yield name if name.split(".")[0] in PACKAGES else name.split(".")[0]


def graph() -> dict[str, set[str]]:
    modules = sources()
    return {name: set(imported(path, set(modules))) for name, path in modules.items()}


def layer(module: str) -> str:
    return module.split(".")[0]


def test_lower_layers_never_import_higher_ones():
    allowed = {"retrieval": {"retrieval"}, "prompts": {"prompts"},
               "bot": {"bot", "retrieval", "prompts"}, "app": {"bot", "retrieval", "prompts"},
               "eval": set(PACKAGES)}  # fmt: skip
    wrong = [f"{m} imports {i}" for m, deps in graph().items() for i in sorted(deps)
             if layer(i) in PACKAGES and layer(i) not in allowed[layer(m)]]  # fmt: skip
    assert wrong == []


def test_only_the_web_room_imports_the_web_frameworks():
    wrong = [f"{m} imports {i}" for m, deps in graph().items() for i in sorted(deps)
             if i in WEB and not (m.startswith("bot.web") or m == "app")]  # fmt: skip
    assert wrong == []


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in edges.get(node, ()):
            if nxt not in edges:
                continue
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1 or node in edges[node]:
                out.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return out


def test_no_module_imports_itself_back():
    assert cycles(graph()) == []


def test_the_walk_sees_cycles_and_wrong_layers():
    """The checks above can fail: a cycle and an upward import are found when they exist."""
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    edges = graph()
    assert "retrieval.text" in edges["retrieval.policies"]  # project modules by full name
    assert "bot.engine" in edges["bot.web.services"] and "fastapi" in edges["bot.web.api"]
    assert len(edges) > 50
