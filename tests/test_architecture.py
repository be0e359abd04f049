"""The code's shape, in the library, the server and the clients: no module imports itself back
through others (a newcomer can read the modules in order), no module grows past one screenful of
responsibility (500 lines), and the conversation's asyncio shell stays thin (under 200 lines)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("voice_rp", "server", "client")
MAX_MODULE_LINES = 500
MAX_SHELL_LINES = 200
SHELL = ROOT / "voice_rp" / "conversation.py"


def module_files() -> dict[str, Path]:
    """Dotted module name -> file, for every module of the checked packages."""
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The checked modules `name` imports anywhere in its file.

    Imports inside functions and inside `if TYPE_CHECKING:` blocks count as edges too, although
    they do not run at import time: a cycle through them is as hard for a reader to follow as
    any, so the rule is the stricter one."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # `from pkg import mod` imports the module `pkg.mod`; `from mod import name` mod.
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base
                       for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in modules:  # `import voice_rp.x.y` names a module
                target = target.rpartition(".")[0]
            if target and target != name:
                out.add(target)
    return out


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_a_cycle_written_in_code_is_found(tmp_path: Path) -> None:
    """The whole check on a tiny package whose two modules import each other, one of them only
    for type checking (which counts: see `imports_of`)."""
    (tmp_path / "__init__.py").write_text("")
    (tmp_path / "a.py").write_text("from pkg import b\n")
    (tmp_path / "b.py").write_text("from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n"
                                   "    from . import a\n")
    (tmp_path / "c.py").write_text("import pkg.a\n")
    modules = {"pkg": tmp_path / "__init__.py", "pkg.a": tmp_path / "a.py",
               "pkg.b": tmp_path / "b.py", "pkg.c": tmp_path / "c.py"}
    graph = {name: imports_of(name, path, modules) for name, path in modules.items()}
    assert graph["pkg.c"] == {"pkg.a"}
    assert cycles(graph) == [["pkg.a", "pkg.b"]]


def test_the_import_graph_is_read_from_the_code() -> None:
    modules = module_files()
    graph = {name: imports_of(name, path, modules) for name, path in modules.items()}
    assert "voice_rp.personas.model" in graph["voice_rp.personas.schema"]
    assert "voice_rp.protocol" in graph["server.session"]
    assert "voice_rp.events" in graph["voice_rp.protocol"]  # `from voice_rp import events`


def test_no_import_cycles() -> None:
    modules = module_files()
    graph = {name: imports_of(name, path, modules) for name, path in modules.items()}
    assert cycles(graph) == []


def test_no_module_is_over_500_lines() -> None:
    sources = [p for package in PACKAGES for ext in ("*.py", "*.js")
               for p in (ROOT / package).rglob(ext)]
    assert len(sources) > 50  # the walk found the code
    long = {str(p.relative_to(ROOT)): n for p in sources
            if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES}
    assert long == {}, "split these modules by responsibility"


def test_the_conversation_shell_stays_thin() -> None:
    """voice_rp/conversation.py only runs the controller's commands: decisions go to the
    controller, model work ahead and word timings to their own modules."""
    assert len(SHELL.read_text().splitlines()) < MAX_SHELL_LINES
