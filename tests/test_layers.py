"""The layer contract (README "Where things are"): each layer imports only the layers below it, so a new rule,
reader, channel or store lands in one place. Every import counts, those inside functions and for type checking
too; this test reads them from the code."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "monitor"

# Bottom to top. A module may import its own layer and those below; ``present.cli`` is the entry point that
# wires everything (the demo included), and ``__main__`` runs it.
LAYERS = (
    ("monitor", "monitor.errors", "monitor.redact"),
    ("monitor.model",),
    ("monitor.config",),
    ("monitor.reading",),
    ("monitor.checks",),
    ("monitor.store",),
    ("monitor.alerts",),
    ("monitor.watch",),
    ("monitor.present",),
    ("monitor.demo",),
    ("monitor.present.cli", "monitor.__main__"),
)


def layer(module: str) -> int:
    """The highest layer whose prefix names ``module`` (``monitor.present.cli`` is above ``monitor.present``)."""
    best, depth = -1, -1
    for n, prefixes in enumerate(LAYERS):
        for p in prefixes:
            if (module == p or module.startswith(p + ".")) and len(p) > depth:
                best, depth = n, len(p)
    return best


def modules() -> dict[str, Path]:
    out = {}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def imported(path: Path, name: str) -> set[str]:
    """Every monitor module ``path`` imports, at any depth of its code."""
    out = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("monitor")}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else [])
                )
            if base.startswith("monitor"):
                known = modules()
                out |= {f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names}
    return out


def test_every_module_has_a_layer():
    assert not [m for m in modules() if layer(m) < 0]


def test_each_layer_imports_only_the_layers_below_it():
    upward = []
    for name, path in sorted(modules().items()):
        for target in sorted(imported(path, name)):
            if layer(target) > layer(name):
                upward.append(f"{name} imports {target}")
    assert upward == []


def test_the_model_imports_nothing_else_of_monitor():
    for name, path in modules().items():
        if layer(name) == 1:
            assert {t for t in imported(path, name) if layer(t) != 1} <= {"monitor.errors"}, name
