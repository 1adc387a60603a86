"""The shape of the package can be seen and is held: imports go down only, sibling imports sit at the top of
each module, no module takes another's private name, and no module imports itself back through others."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "geo"


def _modules() -> dict[str, ast.Module]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = ast.parse(path.read_text(encoding="utf-8"))
    return out


MODULES = _modules()


def _target(name: str) -> str | None:
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def _imports(tree: ast.Module) -> list[tuple[ast.AST, str, list[str]]]:
    """(node, module, names) of every import of the package, at any depth."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] == "geo":
            out.append((node, node.module or "", [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            out += [(node, a.name, []) for a in node.names if a.name.split(".")[0] == "geo"]
    return out


def test_import_linter_contract_holds() -> None:
    """The layers contract in pyproject.toml ([tool.importlinter]): edges → domain → maps → analyses → run → cli."""
    exe = Path(sys.executable).with_name("lint-imports")
    out = subprocess.run([str(exe)], cwd=ROOT, capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "1 kept, 0 broken" in out.stdout


def test_sibling_imports_sit_at_the_top_of_each_module() -> None:
    nested = []
    for name, tree in MODULES.items():
        top = {id(n) for n in tree.body}
        for node, module, _ in _imports(tree):
            if id(node) not in top:
                nested.append(f"{name}:{node.lineno} imports {module} inside a function")
    assert not nested, "\n".join(nested)


def test_no_module_takes_another_modules_private_name() -> None:
    taken = []
    for name, tree in MODULES.items():
        for node, module, names in _imports(tree):
            owner = _target(module)
            for n in names:
                submodule = f"{module}.{n}" in MODULES  # a package's private module is its own plumbing
                if owner and owner != name and n.startswith("_") and not n.startswith("__") and not submodule:
                    taken.append(f"{name}:{node.lineno} takes {owner}.{n}")
    assert not taken, "\n".join(taken)


def test_no_import_cycle() -> None:
    """Edges between modules (a package's __init__ re-exporting its children is not an edge back)."""
    edges: dict[str, set[str]] = {m: set() for m in MODULES}
    for name, tree in MODULES.items():
        for _, module, names in _imports(tree):
            for target in {_target(f"{module}.{n}") or _target(module) for n in names} or {_target(module)}:
                if target and target != name and not name.startswith(target + "."):
                    edges[name].add(target)
    packages = {m for m in MODULES if (PACKAGE.parent / m.replace(".", "/") / "__init__.py").exists()}
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in sorted(edges[node] - packages):
            if state.get(nxt) == 1:
                return [*path, node, nxt]
            if nxt not in state and (cycle := visit(nxt, [*path, node])):
                return cycle
        state[node] = 2
        return None

    for module in sorted(set(MODULES) - packages):
        if module not in state and (cycle := visit(module, [])):
            raise AssertionError("import cycle: " + " → ".join(cycle))


def test_no_module_is_a_wall() -> None:
    """About 800 lines at most, except modules that hold one algorithm (named here with the reason)."""
    one_algorithm = {
        "geo.crosswalk": "conversion of tables between code dates (one algorithm and its report)",
        "geo.maps.static": "the print page renderer (one figure, its furniture and insets)",
    }
    long = {m: n for m, n in _lengths().items() if n > 800 and m not in one_algorithm}
    assert not long, long


def _lengths() -> dict[str, int]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        out[".".join(p for p in parts if p != "__init__")] = len(path.read_text(encoding="utf-8").splitlines())
    return out


def test_every_module_sits_in_a_layer_of_the_contract() -> None:
    """A new module must be placed in a layer, or the contract would not see it."""
    import tomllib

    layers = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    named = {m.strip() for layer in layers["contracts"][0]["layers"] for m in layer.replace("|", ":").split(":")}
    top = {".".join(m.split(".")[:2]) for m in MODULES if m != "geo"}
    assert sorted(top - named) == []
