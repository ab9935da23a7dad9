"""The emulator's imports go one way: service handlers on top, the runner below them, shared
state and the judge at the bottom, and no module imports itself back through another.

Every ``import`` counts, module-level or inside a function: a lazy import is still a
dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "pipewright_emulator"
NAME = PACKAGE.name

BOTTOM = ("common", "control", "protocol", "patches", "state", "judge")
LAYERS = {"bottom": 0, "runner": 1, "handlers": 2}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def layer_of(module: str) -> str:
    head = module.split(".")[0] if module else ""
    if module == "" or head in BOTTOM:
        return "bottom"
    if head == "runner":
        return "runner"
    return "handlers"


def imports_of(path: Path) -> set[str]:
    """Modules of this package that ``path`` imports."""
    module = module_name(path)
    is_package = path.name == "__init__.py"
    base = module.split(".") if module else []
    if not is_package:
        base = base[:-1]
    found: set[str] = set()
    known = {module_name(p) for p in PACKAGE.rglob("*.py")}
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom):
            if node.level == 0:
                if node.module and (node.module == NAME or node.module.startswith(NAME + ".")):
                    target = node.module[len(NAME):].lstrip(".")
                else:
                    continue
            else:
                anchor = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                target = ".".join(anchor + ([node.module] if node.module else []))
            for alias in node.names:
                candidate = f"{target}.{alias.name}" if target else alias.name
                found.add(candidate if candidate in known else target)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(NAME + "."):
                    found.add(alias.name[len(NAME) + 1:])
    found.discard(module)
    return found


def graph() -> dict[str, set[str]]:
    return {module_name(p): imports_of(p) for p in PACKAGE.rglob("*.py")}


def test_imports_only_go_down_the_layers():
    upward = []
    for module, targets in sorted(graph().items()):
        for target in sorted(targets):
            if LAYERS[layer_of(target)] > LAYERS[layer_of(module)]:
                upward.append(f"{module} ({layer_of(module)}) imports {target} ({layer_of(target)})")
    assert not upward, "imports that go up a layer:\n" + "\n".join(upward)


def test_no_module_imports_itself_back():
    edges = graph()
    cycles = []

    def visit(node: str, path: list[str], on_path: set[str], done: set[str]) -> None:
        for target in sorted(edges.get(node, ())):
            if target in on_path:
                cycles.append(" -> ".join(path[path.index(target):] + [target]))
            elif target not in done:
                on_path.add(target)
                visit(target, path + [target], on_path, done)
                on_path.discard(target)
        done.add(node)

    done: set[str] = set()
    for start in sorted(edges):
        if start not in done:
            visit(start, [start], {start}, done)
    # a package's __init__ naming its own modules is not a cycle worth reporting
    cycles = [c for c in cycles if not c.startswith(" ->")]
    assert not cycles, "import cycles:\n" + "\n".join(sorted(set(cycles)))


def test_the_checker_sees_lazy_and_relative_imports():
    # a function-level relative import two levels up is still an edge
    assert "state.git" in imports_of(PACKAGE / "runner" / "actions.py")
    assert "runner.triggers" in imports_of(PACKAGE / "codecommit.py")
    assert layer_of("state.git") == "bottom" and layer_of("runner.build") == "runner"
