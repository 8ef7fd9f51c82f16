"""The layers only look down (docs/architecture.md): every `import adapter...` in adapter/ is
read from the source (AST, type-checking-only imports aside) and must name a module of the
same layer or a lower one; and nothing outside adapter/store/ reaches into the store's own
modules (it uses `adapter.store`, the store's public interface)."""

from __future__ import annotations

import ast
from pathlib import Path

ADAPTER = Path(__file__).resolve().parents[1] / "adapter"

# Bottom to top. A module's layer is the first dotted part after `adapter.`.
LAYERS: list[set[str]] = [
    {  # the shared vocabulary every stage may use
        "model", "errors", "instants", "limits", "fhir", "version", "safexml", "xml",
        "mappings", "params", "phrases", "scopes", "deadline", "tally", "verhoeff", "facts",
        "supply", "policy", "collector", "editions",
    },
    {"ingest", "pull"},
    {"translate"},
    {"link", "providers"},
    {"rules"},
    {"judging", "partition", "engine"},
    {"report", "store", "migrations"},
    {"api", "board", "synth"},
    {"commands", "cli", "adapter"},  # `adapter` is the package's own __init__ (its facade)
    {"__main__"},
]  # fmt: skip
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}

# Known upward imports, each made inside the function that needs it, with the reason.
ALLOWED = {
    # A policy file's [rules.<id>] tables are validated by each rule's own parameter model.
    ("policy", "rules"),
}


def module_name(path: Path) -> str:
    parts = path.relative_to(ADAPTER.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "adapter"


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every adapter import, skipping `if TYPE_CHECKING:` blocks."""
    tree = ast.parse(path.read_text(), str(path))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped |= {id(n) for n in ast.walk(node)}
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "adapter":
                found += [(node.lineno, f"adapter.{a.name}") for a in node.names]
            elif node.module.startswith("adapter."):
                found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("adapter.")]
    return found


def sources() -> list[Path]:
    return sorted(ADAPTER.rglob("*.py"))


def test_every_module_has_a_layer() -> None:
    unknown = {layer(module_name(p)) for p in sources()} - set(RANK)
    assert not unknown, f"give these a layer in tests/test_layers.py: {sorted(unknown)}"


def test_imports_only_look_down() -> None:
    upward = []
    for path in sources():
        source = layer(module_name(path))
        for line, target in imports(path):
            edge = (source, layer(target))
            if RANK[edge[1]] > RANK[source] and edge not in ALLOWED:
                upward.append(f"{path.relative_to(ADAPTER.parent)}:{line} imports {target}")
    assert not upward, "\n".join(upward)


def test_only_the_store_reaches_into_its_own_modules() -> None:
    reaching = []
    for path in sources():
        name = module_name(path)
        if layer(name) in ("store", "migrations"):
            continue
        for line, target in imports(path):
            if target.startswith("adapter.store."):
                reaching.append(f"{path.relative_to(ADAPTER.parent)}:{line} imports {target}")
    assert not reaching, "\n".join(reaching)


def test_the_layering_test_can_fail(tmp_path: Path) -> None:
    """An upward import is found, a type-checking-only one is not (so a pass means something)."""
    probe = tmp_path / "probe.py"
    probe.write_text(
        "from typing import TYPE_CHECKING\n"
        "from adapter.engine import check\n"
        "if TYPE_CHECKING:\n"
        "    from adapter.api import app\n"
        "def f():\n"
        "    import adapter.store.schema\n"
    )
    assert imports(probe) == [(2, "adapter.engine"), (6, "adapter.store.schema")]
    assert RANK[layer("adapter.engine")] > RANK["ingest"]
