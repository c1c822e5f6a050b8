"""The package's parts import one way only: down the layers of docs/architecture.md.

Every import is read from the source with `ast`, function-level and
TYPE_CHECKING imports included: a lazy import upward is still a cycle.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "axios_portlint"

# Lowest first. A part may import the parts of lower layers, never those of its own
# layer or of a higher one. "axios_portlint" is the package's __init__ (its version).
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"axios_portlint", "model_base", "errors"}),
    frozenset({"model"}),
    frozenset({"discover", "parse"}),
    frozenset({"extract", "suppress", "narrow", "registry", "graph"}),
    frozenset({"rules"}),
    frozenset({"config", "report", "drawing"}),
    frozenset({"api"}),
    frozenset({"commands"}),
    frozenset({"cli"}),
    frozenset({"__main__"}),
)
RANK = {part: rank for rank, parts in enumerate(LAYERS) for part in parts}


def part_of(module: str) -> str:
    """`axios_portlint.registry.tables` -> `registry`; the package itself -> `axios_portlint`."""
    names = module.split(".")
    return names[1] if len(names) > 1 else names[0]


def module_name(path: Path, package: Path = PACKAGE) -> str:
    relative = path.relative_to(package.parent).with_suffix("")
    names = list(relative.parts)
    if names[-1] == "__init__":
        names.pop()
    return ".".join(names)


def imported(path: Path, root: Path = PACKAGE) -> Iterator[tuple[int, str]]:
    """(line, module) of every import of the package in a file, at any depth."""
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            if target == "axios_portlint":
                # `from axios_portlint import report` imports the part, not the package.
                for alias in node.names:
                    yield node.lineno, f"axios_portlint.{alias.name}"
            else:
                yield node.lineno, target


def upward_imports(package: Path) -> list[str]:
    problems = []
    for path in sorted(package.rglob("*.py")):
        source = part_of(module_name(path, package))
        for line, target in imported(path, package):
            if target.split(".")[0] != "axios_portlint":
                continue
            goal = part_of(target)
            if goal == source or goal == "__version__":
                continue  # inside one part, or the package's version string
            if goal not in RANK or source not in RANK:
                problems.append(f"{path.name}:{line}: {source} -> {goal}: a part with no layer")
            elif RANK[goal] >= RANK[source]:
                where = path.relative_to(package.parent)
                problems.append(f"{where}:{line}: {source} imports {goal}, not below it")
    return problems


def test_every_part_has_a_layer() -> None:
    parts = {p.stem if p.is_file() else p.name for p in PACKAGE.iterdir()}
    parts = {p for p in parts if not p.startswith(("_", ".")) and p != "py"} - {"py.typed"}
    assert parts - RANK.keys() == set()


def test_no_part_imports_a_part_above_or_beside_it() -> None:
    assert upward_imports(PACKAGE) == []


@pytest.mark.parametrize(
    ("where", "source"),
    [
        # The cycle this test exists for: the registry reader calling the pipeline back.
        ("registry/sync_back.py", "def f():\n    from axios_portlint.api import check\n"),
        ("graph/lazy.py", "def f():\n    from axios_portlint import rules\n"),
        ("model_extra.py", "from axios_portlint.discover import discover\n"),  # no layer
        ("errors.py", "from axios_portlint.model import Kind\n"),  # beside it
        ("rules/typing_only.py", "if TYPE:\n    from axios_portlint.config import Settings\n"),
        ("report/relative.py", "from ..commands import sync\n"),
    ],
)
def test_an_upward_import_is_caught(tmp_path: Path, where: str, source: str) -> None:
    copy = tmp_path / "axios_portlint"
    (copy / Path(where).parent).mkdir(parents=True, exist_ok=True)
    (copy / where).write_text(source)
    problems = upward_imports(copy)
    assert len(problems) == 1
    assert "not below it" in problems[0] or "no layer" in problems[0]


def test_a_downward_import_passes(tmp_path: Path) -> None:
    copy = tmp_path / "axios_portlint" / "commands"
    copy.mkdir(parents=True)
    (copy / "x.py").write_text("def f():\n    from axios_portlint.api import check\n")
    assert upward_imports(tmp_path / "axios_portlint") == []
