"""The package's shape: imports point one way along the data path, no cycles, no hidden imports.

Reads the source with :mod:`ast` (nothing is imported), so it runs in milliseconds.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "relate"

#: The data path, upstream first: a module may import from its own layer or any earlier one.
LAYERS = [
    {"errors", "config", "config_values", "fileio", "mapped", "progress", "user_cache"},
    {"records"},
    {"frontmatter"},
    {"corpus"},
    {"text"},
    {"embed"},
    {"index", "lexical", "words", "quality", "rank", "evidence", "story", "digests"},
    {"workspace"},
    {"engine"},
    {"batch"},
    {"evaluation"},
    {"report"},
    {"cli", "cli_flags"},
]
#: Libraries heavy enough (or optional enough) to be imported inside the function that needs them.
HEAVY = {"faiss", "sklearn", "scipy", "torch", "sentence_transformers", "transformers", "onnx", "onnxruntime",
         "onnxscript", "ray", "matplotlib", "ranx", "nbclient", "nbformat", "pandas", "bm25s"}
MAX_LINES = 420


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(SRC.rglob("*.py"))}


def _resolve(module: str, node: ast.ImportFrom | ast.Import, is_package: bool) -> list[str]:
    """The relate modules one import statement loads (``[]`` for other libraries)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] == "relate"]
    if node.level == 0:
        base = node.module or ""
        if base.split(".")[0] != "relate":
            return []
    else:
        here = module.split(".") if is_package else module.split(".")[:-1]
        here = here[: len(here) - (node.level - 1)]
        base = ".".join(here + ([node.module] if node.module else []))
    out = []
    for alias in node.names:
        sub = f"{base}.{alias.name}"
        out.append(sub if sub in MODULES else base)
    return out


def _imports(module: str) -> tuple[list[tuple[str, int]], list[tuple[str, int]], list[tuple[str, int]]]:
    """(module-level relate imports, relate imports inside functions, other libraries inside functions)."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"
    top, inner, inner_libs = [], [], []

    def visit(node: ast.AST, in_function: bool, type_checking: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                targets = _resolve(module, child, is_package)
                if in_function:
                    inner.extend((t, child.lineno) for t in targets)
                    if not targets:
                        names = [a.name for a in child.names] if isinstance(child, ast.Import) else [child.module or ""]
                        inner_libs.extend((n, child.lineno) for n in names)
                elif not type_checking:
                    top.extend((t, child.lineno) for t in targets)
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                visit(child, True, type_checking)
            elif isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                visit(child, in_function, True)
            else:
                visit(child, in_function, type_checking)

    visit(tree, False, False)
    return top, inner, inner_libs


def _layer(module: str) -> int | None:
    parts = module.split(".")
    if len(parts) < 2:
        return None  # relate/__init__.py re-exports lazily from everywhere
    for i, names in enumerate(LAYERS):
        if parts[1] in names:
            return i
    raise AssertionError(f"{module} is in no layer of the data path: add it to LAYERS in {__file__}")


def _imports_heavy_at_top(module: str) -> bool:
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    for node in tree.body:
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        if any(n.split(".")[0] in HEAVY for n in names):
            return True
    return False


def test_every_module_has_a_layer_and_a_one_line_job():
    for module, path in MODULES.items():
        _layer(module)
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
        assert doc and doc.splitlines()[0].strip(), f"{path}: the first docstring line should say the module's job"


def test_imports_point_one_way_along_the_data_path():
    wrong = []
    for module in MODULES:
        mine = _layer(module)
        if mine is None:
            continue
        for target, line in _imports(module)[0]:
            theirs = _layer(target)
            if theirs is not None and theirs > mine:
                wrong.append(f"{MODULES[module].relative_to(SRC.parent)}:{line} imports {target} (downstream)")
    assert not wrong, "\n".join(wrong)


def test_no_import_cycles():
    graph = {m: {t for t, _ in _imports(m)[0] if t != m} for m in MODULES}
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles = []

    def walk(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for t in sorted(graph.get(m, ())):
            if state.get(t) == 1:
                cycles.append(" -> ".join(stack[stack.index(t):] + [t]))
            elif t in graph and t not in state:
                walk(t)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            walk(m)
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_no_relate_import_hidden_in_a_function():
    """Only a module that wraps a heavy optional library (onnxruntime, ray...) may be imported lazily."""
    hidden = []
    for module in MODULES:
        for target, line in _imports(module)[1]:
            if target in MODULES and _imports_heavy_at_top(target):
                continue
            hidden.append(f"{MODULES[module].relative_to(SRC.parent)}:{line} imports {target} inside a function")
    assert not hidden, "\n".join(hidden)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_is_too_long(module):
    lines = MODULES[module].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{MODULES[module]} has {lines} lines (at most about 400)"
