"""The shape of src/minimp: layers, import cycles, private names, the reading route, sizes.

STYLE.md ("A layout that follows a task") wants layers that each import only
the ones below, so that a reader always knows which way to look. These checks
read the source with `ast` (nothing of minimp is imported, no process starts)
and each failure lists every violation as `file:line: what`. Each check is a
function of a folder: the last test shows each one failing on a small broken
tree and passing once that tree is fixed.
"""

import ast
import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "minimp"

LAYERS = {"runtime": 0, "pools": 1, "tracing": 2, "views": 3, "course": 4}  # each imports only smaller numbers
FACADE = "minimp"  # src/minimp/__init__.py: the public names of every layer below course, which may use them
# The trace's conveniences t.plot(), t.timeline(), t.summary(), t.to_perfetto() import their view inside the method, as
# pandas' DataFrame.plot does: a trace is recorded without loading any view, yet the picture is one dot away.
# (class, method) in tracing/: the only imports that may go up a layer, and only into views/.
UPWARD_ALLOWED = {("Trace", "plot"), ("Trace", "timeline"), ("Trace", "summary"), ("Trace", "to_perfetto")}
PUBLIC_ONLY = ("views", "course")  # these use only the public names of other modules
ROUTE_START = "runtime/process.py"
ROUTE_COVERS = ("runtime", "pools")  # the route reads each of their modules once, these first...
ROUTE_MAY_GO_ON = ("tracing", "views")  # ...and then may go on into these
ROUTE_INITS = {"tracing/__init__.py"}  # the one package __init__ whose "Read next" counts: it may become the trace
MAX_LINES = {"runtime": 300, "pools": 300, "pools/pool.py": 250}  # pool.py should read like micrograd's engine.py


def modules(root: Path) -> dict[str, Path]:
    """Every module under root by dotted name: minimp.runtime.start, minimp.runtime (its __init__.py), minimp."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = [FACADE, *path.relative_to(root).with_suffix("").parts]
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _walk(node: ast.AST, skip_type_checking: bool, context: tuple = ()):
    """Every import under node, with the names of the classes and defs around it, e.g. ("Trace", "plot")."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        yield node, context
    if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
        context = (*context, node.name)
    test = getattr(node, "test", None) if isinstance(node, ast.If) else None
    skip = skip_type_checking and getattr(test, "id", getattr(test, "attr", None)) == "TYPE_CHECKING"
    for child in node.orelse if skip else ast.iter_child_nodes(node):
        yield from _walk(child, skip_type_checking, context)


def _existing(mods: dict, name: str) -> str | None:
    while name not in mods and "." in name:
        name = name.rsplit(".", 1)[0]
    return name if name in mods else None


def links(mods: dict, name: str, skip_type_checking: bool = True):
    """Each import of minimp in a module: (line, module imported, name taken from it or None,
    (local name, module bound to it) or None, context)."""
    package = name if mods[name].name == "__init__.py" else name.rsplit(".", 1)[0]
    for node, context in _walk(ast.parse(mods[name].read_text()), skip_type_checking):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] == FACADE and (target := _existing(mods, a.name)):
                    yield node.lineno, target, None, (a.asname, target) if a.asname else (FACADE, FACADE), context
            continue
        up = package.split(".")[: len(package.split(".")) + 1 - node.level] if node.level else []
        base = ".".join([*up, *([node.module] if node.module else [])])
        for a in node.names if base.split(".")[0] == FACADE else ():
            if (module := f"{base}.{a.name}") in mods:  # `from .. import module`: that module, not its package
                yield node.lineno, module, a.name, (a.asname or a.name, module), context
            elif target := _existing(mods, base):
                yield node.lineno, target, a.name, None, context


def layer_of(name: str) -> int | None:
    return LAYERS["course"] - 0.5 if name == FACADE else LAYERS.get(name.split(".")[1])


def _convenience(name: str, context: tuple) -> bool:
    return layer_of(name) == LAYERS["tracing"] and context[:2] in UPWARD_ALLOWED


def _rel(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()


def layer_violations(root: Path) -> list[str]:
    mods, found = modules(root), []
    for name, path in mods.items():
        if layer_of(name) is None:
            found.append(f"{_rel(root, path)}:1: {name} is in no layer folder ({', '.join(LAYERS)})")
        elif name != FACADE:
            for line, target, _, _, context in links(mods, name):
                allowed = _convenience(name, context) and layer_of(target) == LAYERS["views"]
                if (layer_of(target) or 0) > layer_of(name) and not allowed:  # (no layer: reported above)
                    what = "minimp, the facade" if target == FACADE else target
                    found.append(f"{_rel(root, path)}:{line}: {name} imports {what}, a layer above it")
    return sorted(set(found))


def cycle_violations(root: Path) -> list[str]:
    mods, edges, graph, found = modules(root), {}, {}, []
    for name, path in mods.items():
        for line, target, _, _, context in links(mods, name):
            if target != name and not _convenience(name, context):
                edges.setdefault((name, target), f"{_rel(root, path)}:{line}")
                graph.setdefault(name, set()).add(target)

    def follow(path: list[str]) -> None:  # each cycle once, starting at its smallest module
        for nxt in sorted(graph.get(path[-1], ())):
            if nxt == path[0]:
                where = ", ".join(edges[a, b] for a, b in zip(path, path[1:] + path[:1]))
                found.append(f"{where}: {' → '.join(path + path[:1])}")
            elif nxt > path[0] and nxt not in path:
                follow(path + [nxt])

    for start in sorted(graph):
        follow([start])
    return found


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _looked_up(tree: ast.AST, mods: dict) -> dict[str, str]:
    """Names bound to a module looked up by name: `m = sys.modules.get("minimp.x")`, `import_module(...)`."""
    bound = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            key = node.value.args[:1] if isinstance(node.value, ast.Call) else [getattr(node.value, "slice", None)]
            if key and isinstance(key[0], ast.Constant) and key[0].value in mods:
                bound[node.targets[0].id] = key[0].value
    return bound


def private_violations(root: Path) -> list[str]:
    mods, found = modules(root), set()
    for name, path in mods.items():
        if layer_of(name) not in [LAYERS[layer] for layer in PUBLIC_ONLY]:
            continue
        where, tree = _rel(root, path), ast.parse(path.read_text())
        bound = _looked_up(tree, mods)
        for line, target, taken, local, _ in links(mods, name, skip_type_checking=False):
            if taken and _private(taken) and target != name:
                found.add(f"{where}:{line}: imports {taken} from {target.rsplit('.', 1)[0] if local else target}")
            bound.update([local] if local else [])
        for node in ast.walk(tree):  # alias._name, minimp.x.y._name: follow the modules, then one name
            chain, base = [], node
            while isinstance(base, ast.Attribute):
                chain, base = [base.attr, *chain], base.value
            module = bound.get(getattr(base, "id", None)) if chain else None
            for attr in chain if module else ():
                if f"{module}.{attr}" not in mods:
                    if _private(attr) and module != name:
                        found.add(f"{where}:{node.lineno}: reads {attr} of {module}")
                    break
                module = f"{module}.{attr}"
    return sorted(found)


def read_next(root: Path, rel: str) -> tuple[str | None, int]:
    """The first backticked item of a module's "Read next:" paragraph if it is a .py path, and its line."""
    body = ast.parse((root / rel).read_text()).body
    docstring = body[0].value.value if body and isinstance(getattr(body[0], "value", None), ast.Constant) else ""
    lines = str(docstring).splitlines()
    starts = [i for i, text in enumerate(lines) if text.strip().startswith("Read next:")]
    if not starts or (rel.endswith("__init__.py") and rel not in ROUTE_INITS):
        return None, 0
    first = re.search(r"`([^`]+)`", "\n".join(lines[starts[-1] :]).split("\n\n")[0])
    return (first.group(1) if first and first.group(1).endswith(".py") else None), body[0].lineno + starts[-1]


def route(root: Path) -> tuple[list[str], list[str]]:
    """The reading route from ROUTE_START, and what is wrong with it."""
    steps, lines, found = [ROUTE_START], [], []
    while (step := read_next(root, steps[-1]))[0]:
        nxt, line = step
        if nxt in steps or not (root / nxt).is_file():
            why = "goes back to a module already read" if nxt in steps else "does not exist (paths are from src/minimp)"
            found.append(f"{steps[-1]}:{line}: Read next `{nxt}` {why}")
            break
        steps, lines = [*steps, nxt], [*lines, f"{steps[-1]}:{line}"]
    folders = [step.split("/")[0] for step in steps]
    for i, folder in enumerate(folders[1:], 1):
        if folder not in ROUTE_COVERS + ROUTE_MAY_GO_ON:
            found.append(f"{lines[i - 1]}: Read next goes on into {steps[i]}, outside {ROUTE_COVERS + ROUTE_MAY_GO_ON}")
        elif folder in ROUTE_COVERS and any(f not in ROUTE_COVERS for f in folders[:i]):
            found.append(f"{lines[i - 1]}: Read next comes back to {steps[i]} after leaving {', '.join(ROUTE_COVERS)}")
    for folder in ROUTE_COVERS:
        for path in sorted((root / folder).rglob("*.py")):
            if path.name != "__init__.py" and _rel(root, path) not in steps:
                found.append(f"{_rel(root, path)}:1: never reached by the route")
    return steps, found


def size_violations(root: Path) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        rel = _rel(root, path)
        limit = MAX_LINES.get(rel, MAX_LINES.get(rel.split("/")[0]))
        if limit is not None and (count := path.read_bytes().count(b"\n")) > limit:  # as `wc -l` counts
            found.append(f"{rel}:{limit + 1}: {count} lines, at most {limit}")
    return found


def report(title: str, found: list[str]) -> str:
    return f"{title} ({len(found)}):\n  " + "\n  ".join(found)


def test_layers_import_only_downwards():
    """runtime < pools < tracing < views < course: a module imports only the layers below its own."""
    found = layer_violations(SRC)
    assert not found, report("imports that go up a layer (or into the facade)", found)


def test_following_imports_never_leads_back():
    """From any module, following its imports (function-level ones too) never comes back to it."""
    found = cycle_violations(SRC)
    assert not found, report("import cycles", found)


def test_views_and_course_use_only_public_names_of_other_modules():
    found = private_violations(SRC)
    assert not found, report("private names of another module", found)


def test_a_learner_following_read_next_reads_runtime_and_pools_once_each():
    steps, found = route(SRC)
    assert not found, report("reading route problems", found) + "\nroute: " + " → ".join(steps)


def test_runtime_and_pools_modules_fit_in_a_sitting():
    found = size_violations(SRC)
    assert not found, report("modules too long", found)


def _doc(next_path: str) -> str:
    return f'"""A module.\n\nRead next: `{next_path}`, and\nmore.\n"""\n'


# Each check on a tree that breaks its rule, then on the same tree with the fix written over it.
BROKEN_THEN_FIXED = {
    "layers": (layer_violations,
               {"runtime/a.py": "def f():\n    from ..pools import b\n", "pools/b.py": "",
                "tracing/t.py": "class Trace:\n    def plot(self):\n        from ..views import v\n",
                "views/v.py": ""},
               {"runtime/a.py": "TYPE_CHECKING = False\nif TYPE_CHECKING:\n    from ..pools import b\n"}),
    "facade": (layer_violations,
               {"__init__.py": "", "views/__init__.py": "", "views/v.py": "from .. import Pool\n"},
               {"views/v.py": "from .. import views\n"}),
    "cycles": (cycle_violations,
               {"runtime/a.py": "from . import b\n", "runtime/b.py": "def f():\n    import minimp.runtime.a\n"},
               {"runtime/b.py": ""}),
    "private": (private_violations,
                {"views/a.py": "from . import b\nprint(b._x, b.__name__)\n", "views/b.py": "_x = 1\n",
                 "course/c.py": "from ..views.b import _x\n"},
                {"views/a.py": "import minimp.views.b as b\nprint(b.__name__)\n",
                 "course/c.py": "from ..views.b import x\n"}),
    "route": (lambda root: route(root)[1],
              {"runtime/process.py": _doc("runtime/b.py"), "runtime/b.py": _doc("runtime/process.py"),
               "pools/pool.py": _doc("views/v.py"), "views/v.py": '"""Read next: the notebooks."""\n'},
              {"runtime/b.py": _doc("pools/pool.py")}),
    "sizes": (size_violations,
              {"pools/pool.py": "\n" * 251, "pools/results.py": "\n" * 300},
              {"pools/pool.py": "\n" * 250}),
}  # fmt: skip


@pytest.mark.parametrize("rule", BROKEN_THEN_FIXED)
def test_each_check_finds_a_broken_rule_and_passes_once_fixed(tmp_path, rule):
    check, broken, fix = BROKEN_THEN_FIXED[rule]
    for files in (broken, fix):
        for rel, text in files.items():
            (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / rel).write_text(text)
        if files is broken:
            assert check(tmp_path), f"{rule}: the broken tree passed"
    assert check(tmp_path) == [], f"{rule}: the fixed tree still fails"
