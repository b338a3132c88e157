"""The package's imports run downward only and have no cycle (function-level imports included):
cli/qheat -> engine/submission -> registry -> protocols -> backends/plotting -> mitigation -> circuits
-> physics -> core; a protocol never imports another; protocols/__init__.py holds no dispatch code."""

from __future__ import annotations

import ast
from pathlib import Path

import qheat

ROOT = Path(qheat.__file__).resolve().parent
LAYERS = [
    ("qheat.core",),
    ("qheat.physics",),
    ("qheat.circuits",),
    ("qheat.mitigation",),
    ("qheat.backends", "qheat.plotting"),
    ("qheat.protocols",),
    ("qheat.protocols.registry",),
    ("qheat.engine", "qheat.submission", "qheat.reproduce", "qheat.planning"),
    ("qheat.cli", "qheat"),
]


def _module(path: Path) -> str:
    parts = ["qheat", *path.relative_to(ROOT).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in ROOT.rglob("*.py"):
        found = set()
        for node in ast.walk(ast.parse(path.read_text())):  # imports for type checkers count too
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module)
                found |= {f"{node.module}.{a.name}" for a in node.names}  # "from pkg import module"
            elif isinstance(node, ast.Import):
                found |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level:
                raise AssertionError(f"{path}: relative import")
        graph[_module(path)] = {m for m in found if m == "qheat" or m.startswith("qheat.")}
    modules = set(graph)
    return {m: {t for t in targets if t in modules and t != m} for m, targets in graph.items()}


def _layer(module: str) -> int:
    best, level = -1, -1
    for i, names in enumerate(LAYERS):
        for name in names:
            if (module == name or module.startswith(name + ".")) and len(name) > best:
                best, level = len(name), i
    assert level >= 0, module
    return level


def _protocol(module: str) -> str | None:
    parts = module.split(".")
    return parts[2] if len(parts) > 2 and parts[1] == "protocols" and parts[2] != "registry" else None


def test_imports_point_downward_and_protocols_stay_apart():
    bad = []
    for module, targets in _imports().items():
        for target in targets:
            if module == "qheat" or target == "qheat" or target.startswith(module + "."):
                continue  # the package's front door (which every import runs), a package's own modules
            if _layer(target) > _layer(module):
                bad.append(f"{module} -> {target}")
            a, b = _protocol(module), _protocol(target)
            if a and b and a != b:
                bad.append(f"{module} -> {target} (another protocol)")
    assert not bad, "\n".join(sorted(bad))


def test_no_import_cycle():
    graph = _imports()
    for module in graph:  # a package importing its own submodules is not a cycle of modules
        graph[module] = {t for t in graph[module] if not t.startswith(module + ".")}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    assert not cycles, cycles


def test_protocols_package_is_a_registry_not_dispatch():
    tree = ast.parse((ROOT / "protocols" / "__init__.py").read_text())
    assert all(isinstance(n, ast.Expr) for n in tree.body)  # a docstring only
    registry = (ROOT / "protocols" / "registry.py").read_text()
    assert "isinstance(spec, " not in registry.replace("isinstance(spec, SpecFile)", "")
