"""Imports point one way: transports below templates and broadcasts, and no first-party import cycle; no module is
longer than a reader can hold (MAX_MODULE_LINES).

Read from the source with `ast`, so a violation fails here, not as an ImportError at some later start-up.
"""

import ast
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("whatsapp_gateway", "transports", "broadcasts", "templates", "simulator", "bench")
# transports is the bottom layer of the apps: templates and broadcasts build on it, never the reverse.
ABOVE_TRANSPORTS = ("broadcasts", "templates")
MAX_MODULE_LINES = 400
# Modules known to be over MAX_MODULE_LINES, each with the reason it may be for now. Remove an entry when its
# module is split; the test below fails while an entry names a module that is short again.
LONG_MODULES_ALLOWED: dict[str, str] = {}
# Directories that hold no first-party code: the virtualenv, build output, node packages, run-time files.
NOT_FIRST_PARTY = {"node_modules", "site", "var", "__pycache__"}


def _is_test_file(path: Path) -> bool:
    return "tests" in path.parts or path.name.startswith("test_") or path.name == "conftest.py"


def _first_party_modules() -> dict[str, Path]:
    modules = {"celery_app": ROOT / "celery_app.py"}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if _is_test_file(relative):
                continue
            parts = relative.with_suffix("").parts
            modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


MODULES = _first_party_modules()


def _imported(module: str, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The first-party modules one import statement loads (`from pkg import mod` names pkg.mod)."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
            kept = package.split(".")[: len(package.split(".")) - node.level + 1]
            base = ".".join([*kept, *([node.module] if node.module else [])])
        names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names]
    return [name for name in names if name in MODULES and name != module]


def _imports(module: str, *, deferred: bool) -> set[str]:
    """What `module` imports at module level, and with `deferred` also inside its functions and classes."""
    tree = ast.parse(MODULES[module].read_text(), filename=str(MODULES[module]))
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                found.update(_imported(module, child))
            elif deferred or not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                visit(child)

    visit(tree)
    return found


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


def _described(cycles: list[list[str]], graph: dict[str, set[str]]) -> str:
    return "\n".join(
        " / ".join(f"{module} -> {', '.join(sorted(graph[module] & set(cycle)))}" for module in cycle)
        for cycle in cycles
    )


def test_transports_imports_nothing_from_the_apps_built_on_it():
    wrong = {
        module: sorted(name for name in _imports(module, deferred=True) if name.startswith(ABOVE_TRANSPORTS))
        for module in MODULES
        if module.split(".")[0] == "transports"
    }
    assert {module: names for module, names in wrong.items() if names} == {}


def test_the_generic_engine_imports_nothing_of_meta():
    # Meta's parts (transports/whatsapp/) reach the engine only through transports/providers.py.
    generic = ["transports.engine", "transports.sender", "transports.network", "transports.placeholders",
               "transports.builders", "transports.errors", "transports.redaction", "transports.secrets"]
    meta = {module: sorted(n for n in _imports(module, deferred=True) if n.startswith("transports.whatsapp"))
            for module in generic}
    assert meta == {module: [] for module in generic}


def test_no_first_party_import_cycle_at_module_level():
    graph = {module: _imports(module, deferred=False) for module in MODULES}
    cycles = _cycles(graph)
    assert not cycles, _described(cycles, graph)


# The one module that publishes tasks for the services (tasks call services, so it imports them in its functions).
QUEUEING = "broadcasts.services.queueing"


def _task_importers(modules) -> dict[str, list[str]]:
    """Modules other than queueing.py and the tasks modules themselves that import a tasks module, with what."""
    found = {
        module: sorted(name for name in _imports(module, deferred=True) if name.endswith(".tasks"))
        for module in modules if module != QUEUEING and not module.endswith(".tasks")
    }
    return {module: names for module, names in found.items() if names}


def test_only_queueing_enqueues_a_task():
    assert _task_importers(MODULES) == {}


def test_the_task_import_finder_finds_a_service_that_imports_tasks(tmp_path, monkeypatch):
    planted = tmp_path / "planted.py"
    planted.write_text("def enqueue():\n    from broadcasts.tasks import dispatch_session\n")
    monkeypatch.setitem(MODULES, "broadcasts.services.planted", planted)
    assert _task_importers(["broadcasts.services.planted", QUEUEING, "broadcasts.tasks"]) == {
        "broadcasts.services.planted": ["broadcasts.tasks"]
    }


def test_no_import_cycle_hides_in_a_function_body_except_enqueueing_a_task():
    # queueing.py imports the tasks inside its functions (tasks call services, so not at module level); any
    # other deferred import that closes a cycle is a function in the wrong module.
    graph = {
        module: {
            name for name in _imports(module, deferred=True)
            if name in _imports(module, deferred=False) or not (module == QUEUEING and name.endswith(".tasks"))
        }
        for module in MODULES
    }
    cycles = _cycles(graph)
    assert not cycles, _described(cycles, graph)


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def _long_modules() -> dict[str, int]:
    """Every first-party Python module except migrations and tests, with its line count when over the limit."""
    found = {}
    for folder, subfolders, files in os.walk(ROOT):
        # Pruned in place, so the walk never enters the virtualenv or the other folders of no first-party code.
        subfolders[:] = [name for name in subfolders
                         if not name.startswith(".") and name not in NOT_FIRST_PARTY and name != "migrations"]
        for name in files:
            relative = (Path(folder) / name).relative_to(ROOT)
            if name.endswith(".py") and not _is_test_file(relative):
                lines = len((ROOT / relative).read_text().splitlines())
                if lines > MAX_MODULE_LINES:
                    found[relative.as_posix()] = lines
    return found


def test_no_module_is_over_the_line_limit_except_those_being_split():
    too_long = {module: lines for module, lines in _long_modules().items() if module not in LONG_MODULES_ALLOWED}
    assert too_long == {}, f"split these modules along their seams (at most {MAX_MODULE_LINES} lines each)"


def test_every_allowed_long_module_is_still_long():
    # A split module leaves its allow-list entry behind; this makes removing the entry part of the split.
    assert sorted(set(LONG_MODULES_ALLOWED) - set(_long_modules())) == []


def _test_module_imports(path: Path) -> list[str]:
    """The imports in `path` that load a conftest.py or a test module (test_*.py), as written."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            names = [base, *(f"{base}.{alias.name}".replace("..", ".") for alias in node.names)]
        else:
            continue
        found += [name for name in names if _names_a_test_module(name)]
    return sorted(set(found))


def _names_a_test_module(name: str) -> bool:
    """A conftest, or a test_*.py inside a tests package (relative imports are from one)."""
    parts = [part for part in name.split(".") if part]
    in_tests = name.startswith(".") or "tests" in parts
    return any(part == "conftest" or (in_tests and part.startswith("test_")) for part in parts)


def _test_files() -> list[Path]:
    return [ROOT / "conftest.py", *(path for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))
                                    if _is_test_file(path.relative_to(ROOT)))]


def test_no_test_imports_from_conftest_or_another_test_module():
    # Shared helpers live in importable modules (transports/testing.py, broadcasts/testing.py,
    # whatsapp_gateway/testing.py, simulator/testing.py); fixtures reach tests by name, never by import.
    wrong = {path.relative_to(ROOT).as_posix(): _test_module_imports(path) for path in _test_files()}
    assert {path: names for path, names in wrong.items() if names} == {}


def test_the_test_import_finder_finds_imports_of_conftest_and_test_modules(tmp_path):
    planted = tmp_path / "test_planted.py"
    planted.write_text(
        "from broadcasts.tests.conftest import make_session\n"
        "from broadcasts.tests.test_webhooks import sign\n"
        "from .test_settings import ROOT\n"
        "from . import conftest\n"
        "import whatsapp_gateway.tests.test_deployment\n"
        "from broadcasts.testing import make_session as fine\n"
        "from whatsapp_gateway.test_environment import live_services_required\n"
        "from .helpers import Graph\n"
    )
    assert _test_module_imports(planted) == [
        ".conftest", ".test_settings", ".test_settings.ROOT", "broadcasts.tests.conftest",
        "broadcasts.tests.conftest.make_session", "broadcasts.tests.test_webhooks",
        "broadcasts.tests.test_webhooks.sign", "whatsapp_gateway.tests.test_deployment",
    ]
