"""`make bench`: time portlint against Nix's own parser on synthetic module trees.

Generates deterministic corpora of realistic module files (most without ports,
as in real trees) and times, side by side and each in a new process:
`nix-instantiate --parse` over all files in one invocation (Nix's C++ parser),
raw tree-sitter parsing of the same files in one Python process (the floor for
our parser), `portlint check` cold (no cache) and warm (cache primed), plus the
import floor and `portlint --version`. Writes the table to docs/performance.md
with `--write`.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

SIZES = {"axios": 90, "small": 100, "large": 3_500, "huge": 20_000}
# The Python whose portlint the process rows time (`--python`): `make bench` gives that of
# a non-editable install with the runtime dependencies only, what a user runs. A
# development venv adds its editable finder to every start and its dev packages' entry
# points to what networkx reads at import.
PRODUCT = [sys.executable]
PRODUCT_NOTE = "portlint installed as a user gets it: non-editable, runtime dependencies only"
PORT_SHARE = 0.1  # about one file in ten declares a port, as in the axios tree
ROOT = Path(__file__).resolve().parent.parent
DESCRIPTION = (
    "This option controls the behaviour of the service in a way that needs a long, "
    "multi-sentence description, as real NixOS modules have. "
)
PEAK_MEMORY = (
    "import resource, runpy, sys\n"
    "sys.argv = ['portlint', *sys.argv[1:]]\n"
    "try:\n"
    "    runpy.run_module('axios_portlint', run_name='__main__')\n"
    "except SystemExit:\n"
    "    pass\n"
    "own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
    "children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "print(max(own, children), file=sys.stderr)\n"
)


def port_module(rng: random.Random, index: int, port: int | None = None) -> str:
    name = f"svc{index}"
    port = port if port is not None else 20_000 + index
    style = rng.randrange(3)
    if style == 0:
        return f"""# Service {name}
{{ config, lib, pkgs, ... }}:
let
  cfg = config.services.{name};
in
{{
  options.services.{name} = {{
    enable = lib.mkEnableOption "{name}";
    port = lib.mkOption {{
      type = lib.types.port;
      default = {port};
      description = "{DESCRIPTION}";
    }};
    tailscaleServe.httpsPort = lib.mkOption {{
      type = lib.types.port;
      default = cfg.port + 363;
      description = "{DESCRIPTION}";
    }};
  }};
  config = lib.mkIf cfg.enable {{
    systemd.services.{name}.serviceConfig.ExecStart =
      "${{pkgs.hello}}/bin/hello ${{toString cfg.port}}";
  }};
}}
"""
    if style == 1:
        return f"""{{
  config,
  lib,
  pkgs,
}}:
with lib;
let
  base = {port};
in
{{
  options.axios.{name} = {{
    port = mkOption {{
      type = types.port;
      default = base;
    }};
  }};
}}
"""
    return f"""{{ lib, ... }}:
let
  inherit (lib) mkOption types;
in
{{
  options.axios.{name}.port = mkOption {{
    type = types.nullOr types.port;
    default = lib.mkDefault {port};
  }};
}}
"""


def plain_module(rng: random.Random, index: int) -> str:
    options = "\n".join(
        f"""    opt{i} = lib.mkOption {{
      type = lib.types.{rng.choice(["str", "bool", "int", "path"])};
      description = "{DESCRIPTION * rng.randrange(1, 4)}";
    }};"""
        for i in range(rng.randrange(2, 8))
    )
    return f"""# Module {index}: no network service.
{{ config, lib, pkgs, ... }}:
{{
  options.axios.feature{index} = {{
{options}
  }};
  config = lib.mkIf config.axios.feature{index}.opt0 {{
    environment.systemPackages = [ pkgs.git pkgs.curl ];
    # {DESCRIPTION}
  }};
}}
"""


def generate(root: Path, count: int, *, same_port: bool = False) -> list[Path]:
    """`same_port`: every file is a service on 8080 (the worst case for the graph)."""
    rng = random.Random(count)
    files = []
    for index in range(count):
        folder = root / "modules" / f"group{index % 50}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"m{index}.nix"
        if same_port:
            text = port_module(rng, index, port=8080)
        elif rng.random() < PORT_SHARE:
            text = port_module(rng, index)
        else:
            text = plain_module(rng, index)
        path.write_text(text)
        files.append(path)
    (root / "ports.md").write_text(
        "| Service | Local Port | Tailscale Port |\n|---|---|---|\n| x | 1 | - |\n"
    )
    return files


# Generated shapes that once took quadratic time: (name, text of size n). Each is
# timed at two sizes; linear time keeps the time per KB the same.
OPERAND = {"++": "[ 1 ]", "//": "{ }", "&&": "true", "||": "true", "->": "true"}
OPERATORS = ["+", "-", "*", "/", "++", "//", "&&", "||", "->", "<", "==", "!="]


def shapes(n: int) -> dict[str, str]:
    depth = n // 10
    texts = {f"chain {op}": f" {op} ".join([OPERAND.get(op, "1")] * n) + "\n" for op in OPERATORS}
    texts["chain string +"] = " + ".join(['"a"'] * n) + "\n"
    texts["list"] = "[ " + " ".join(str(i) for i in range(n // 2)) + " ]\n"
    texts["bindings"] = "{ " + " ".join(f"a{i} = {i};" for i in range(n // 2)) + " }\n"
    texts["nested sets"] = "{ a = " * depth + "1" + "; }" * depth + "\n"
    texts["nested lists"] = "[ " * depth + "1" + " ]" * depth + "\n"
    texts["nested parens"] = "(" * depth + "1" + ")" * depth + "\n"
    texts["nested lets"] = "let a = 1; in " * depth + "a\n"
    texts["nested functions"] = "x: " * depth + "x\n"
    texts["options in an application"] = options_in_an_application(n)
    return texts


def options_in_an_application(n: int) -> str:
    """`f` applied to n arguments, one in twenty an option: each option's placement
    once walked and split the whole application (1,000 in 20,000 arguments: 73 s)."""
    option = "(lib.mkOption { type = lib.types.port; default = 1; })"
    arguments = " ".join(option if i % 20 == 0 else "a" for i in range(n))
    return "{ lib, ... }: { options.x = f " + arguments + "; }\n"


# Past the 65,535 levels tree-sitter's query cursor counts (axios_portlint/parse/query.py):
# the left-nested chains Nix accepts at any length, with an error in the deepest terms.
def deep_shapes(n: int) -> dict[str, str]:
    return {
        "chain +": " + ".join(["1"] * n) + "\n",
        "chain +, large integer first": "9223372036854775808" + " + 1" * (n - 1) + "\n",
        "application": "f: f" + " 1" * n + "\n",
    }


SCALING_SCRIPT = """
import sys, time
from axios_portlint.extract import extract_file
from axios_portlint.model import SourceFile
data = open(sys.argv[1], "rb").read()
best = float("inf")
for _ in range(int(sys.argv[2])):
    start = time.process_time()
    extract_file(SourceFile("shape.nix", data))
    best = min(best, time.process_time() - start)
print(best)
"""


DEEP_NOTE = "left-nested, deeper than tree-sitter's query cursor counts"


def scaling(
    repeat: int,
    sizes: tuple[int, int] = (10_000, 20_000),
    make: Callable[[int], dict[str, str]] = shapes,
    note: str = "lists and bindings half that, nesting a tenth",
) -> list[str]:
    """Parse, syntax checks and extraction of each shape at two sizes, in one process each.

    CPU time of the work alone: a file of a few KB takes milliseconds, which wall
    time on a shared machine cannot resolve.
    """
    lines = [
        f"### scaling: generated files at {sizes[0]:,} and {sizes[1]:,} terms ({note})",
        "",
        "| Shape | KB | CPU ms/KB | KB | CPU ms/KB | growth of ms/KB |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    with tempfile.TemporaryDirectory() as folder:
        small, large = make(sizes[0]), make(sizes[1])
        for name in small:
            cells = []
            for index, text in enumerate((small[name], large[name])):
                path = Path(folder) / f"{index}.nix"
                path.write_text(text)
                out = run([sys.executable, "-c", SCALING_SCRIPT, str(path), str(repeat)], ROOT)
                seconds = float(out.stdout.strip() or "nan")
                kilobytes = len(text) / 1024
                cells.append((kilobytes, seconds * 1000 / kilobytes))
            growth = cells[1][1] / cells[0][1] if cells[0][1] else float("nan")
            lines.append(
                f"| {name} | {cells[0][0]:.0f} | {cells[0][1]:.3f} | {cells[1][0]:.0f} "
                f"| {cells[1][1]:.3f} | {growth:.2f}x |"
            )
    lines.append("")
    return lines


def best_of(action: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Best wall time and best CPU time (this process and its children) of `repeat` runs.

    CPU time is what a shared machine disturbs least: when other work takes the
    cores, wall time grows and CPU time stays about the same.
    """
    best, best_cpu = float("inf"), float("inf")
    for _ in range(repeat):
        before = _cpu()
        start = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, _cpu() - before)
    return best, best_cpu


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, check=False, capture_output=True, text=True)


def raw_parse(files: list[Path]) -> None:
    import tree_sitter_nix
    from tree_sitter import Language, Parser

    parser = Parser(Language(tree_sitter_nix.language()))
    for path in files:
        parser.parse(path.read_bytes())


# The parse stage alone, and with extraction, in one process over files read beforehand:
# CPU seconds of the work only (no start-up, no reading), to set beside Nix's parse.
STAGES_SCRIPT = """
import sys, time
from axios_portlint.extract import extract_file
from axios_portlint.model import SourceFile
from axios_portlint.parse import parse_source
paths = sys.argv[2:]
sources = [SourceFile(path, open(path, "rb").read()) for path in paths]
stage = {"parse": parse_source, "extract": extract_file}[sys.argv[1]]
start = time.process_time()
for source in sources:
    stage(source)
print(time.process_time() - start)
"""


def stage_seconds(stage: str, files: list[str], root: Path, repeat: int) -> float:
    """Best CPU seconds of a pipeline stage over all files, in one new process each time."""
    best = float("inf")
    for _ in range(repeat):
        out = run([sys.executable, "-c", STAGES_SCRIPT, stage, *files], root)
        best = min(best, float(out.stdout.strip() or "nan"))
    return best


def peak_memory_mib(args: list[str], cwd: Path) -> float:
    result = run([*PRODUCT, "-c", PEAK_MEMORY, *args], cwd)
    return int(result.stderr.strip().splitlines()[-1]) / 1024


@dataclass
class Row:
    label: str
    seconds: float
    cpu: float = float("nan")  # CPU seconds of the process and its children
    note: str = ""


def bench(
    size: str, repeat: int, *, same_port: bool = False, floor: Row | None = None
) -> tuple[str, list[Row]]:
    """`floor`: the import floor (`startup`), to set the cold run against."""
    count = SIZES[size]
    portlint = [*PRODUCT, "-m", "axios_portlint"]
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        files = generate(root, count, same_port=same_port)
        megabytes = sum(f.stat().st_size for f in files) / 1e6
        relative = [str(f.relative_to(root)) for f in files]
        rows: list[Row] = []
        if shutil.which("nix-instantiate"):
            nix = ["nix-instantiate", "--parse", *relative]
            rows.append(Row("nix-instantiate --parse", *best_of(lambda: run(nix, root), repeat)))
        rows.append(
            Row("tree-sitter parse, one process", *best_of(lambda: raw_parse(files), repeat))
        )
        for stage, label in (("parse", "parse + syntax checks"), ("extract", "+ extraction")):
            seconds = stage_seconds(stage, relative, root, repeat)
            rows.append(Row(f"{label}, one process, CPU only", seconds, seconds))
        cold = [*portlint, "check", "modules", "--no-cache"]
        rows.append(Row("portlint check, cold", *best_of(lambda: run(cold, root), repeat)))
        memory = peak_memory_mib(["check", "modules", "--no-cache"], root)
        rows[-1].note = f"peak {memory:.0f} MiB"
        if floor is not None:
            rows.append(above_floor(rows[-1], floor))
        warm = [*portlint, "check", "modules"]
        run(warm, root)  # prime both caches
        touched = files[len(files) // 2]

        def touch_and_run() -> None:
            touched.touch()  # a new mtime: the run cache misses, the per-file cache hits
            run(warm, root)

        rows.append(Row("portlint check, warm, one file touched", *best_of(touch_and_run, repeat)))
        run(warm, root)  # store the run again
        rows.append(
            Row("portlint check, warm (replayed)", *best_of(lambda: run(warm, root), repeat))
        )
    kind = "all on port 8080" if same_port else f"{megabytes:.1f} MB"
    return f"{size}: {count} files, {kind}", rows


# What a cold check cannot do without: Python's start and the import of the libraries the
# design mandates (networkx builds the graph, typer the CLI, markdown-it reads the
# registry, tree-sitter and its Nix grammar parse). A cold run's time above it is portlint's.
FLOOR_IMPORTS = "networkx, typer, markdown_it, tree_sitter, tree_sitter_nix"
FLOOR = f"python -c 'import {FLOOR_IMPORTS}'"
# The same imports with the cyclic collector as `portlint` runs it (axios_portlint.cli.main):
# off while importing, and every object frozen before Python's exit, whose last collection
# over all of networkx's objects is otherwise 0.07 to 0.1 s of the plain floor.
RUN_GC_FLOOR = f"import gc; gc.disable(); import {FLOOR_IMPORTS}; gc.freeze()"
# networkx alone: most of the floor (290 modules, and its backends' entry points).
NETWORKX = "python -c 'import networkx'"


def startup(repeat: int) -> list[Row]:
    """Start-up rows; the last is the floor a cold run is set against (`above_floor`)."""
    floor = [*PRODUCT, "-c", f"import {FLOOR_IMPORTS}"]
    run_gc_floor = [*PRODUCT, "-c", RUN_GC_FLOOR]
    networkx = [*PRODUCT, "-c", "import networkx"]
    version = [*PRODUCT, "-m", "axios_portlint", "--version"]
    python = [*PRODUCT, "-c", "pass"]
    return [
        Row("python -c pass", *best_of(lambda: run(python, ROOT), repeat)),
        Row(NETWORKX, *best_of(lambda: run(networkx, ROOT), repeat)),
        Row(FLOOR, *best_of(lambda: run(floor, ROOT), repeat)),
        Row("portlint --version", *best_of(lambda: run(version, ROOT), repeat)),
        Row(
            f"the same imports, collector as portlint runs it: python -c '{RUN_GC_FLOOR}'",
            *best_of(lambda: run(run_gc_floor, ROOT), repeat),
        ),
    ]


def above_floor(cold: Row, floor: Row) -> Row:
    """A cold run's time above the import floor: what portlint itself costs."""
    return Row(
        "portlint check, cold, above the import floor",
        cold.seconds - floor.seconds,
        cold.cpu - floor.cpu,
        f"floor {floor.seconds:.3f} s, CPU {floor.cpu:.3f} s",
    )


def targets(sections: list[tuple[str, list[Row]]]) -> list[str]:
    """The issue-14 targets, from the same runs as the tables."""

    def row(size: str, label: str) -> Row | None:
        for title, rows in sections:
            if title.startswith(f"{size}:"):
                return next((r for r in rows if r.label.startswith(label)), None)
        return None

    axios = row("axios", "portlint check, cold")
    axios_own = row("axios", "portlint check, cold, above")
    lines = [
        "### targets",
        "",
        "| Target | Measured (wall) | Met? | CPU time ratio |",
        "|---|---:|---|---:|",
    ]
    # The targets are on the large tree; the huge one shows how they scale.
    for size in ("large", "huge"):
        nix = row(size, "nix-instantiate")
        cold, warm = row(size, "portlint check, cold"), row(size, "portlint check, warm (")
        for name, measured, limit in (("cold", cold, 2.5), ("warm", warm, 0.5)):
            if nix is not None and measured is not None:
                ratio = measured.seconds / nix.seconds
                lines.append(
                    f"| {size} {name} ≤ {limit}x nix | {ratio:.2f}x | {_met(ratio <= limit)} "
                    f"| {measured.cpu / nix.cpu:.2f}x |"
                )
    if axios is not None:
        lines.append(
            f"| axios-sized tree cold ≤ 0.25 s | {axios.seconds:.3f} s | "
            f"{_met(axios.seconds <= 0.25)} | {axios.cpu:.3f} s |"
        )
    if axios_own is not None:
        # The floor alone may exceed the target on a slow machine: show the share portlint owns.
        lines.append(
            f"| axios-sized tree cold, above the import floor ({axios_own.note}) | "
            f"{axios_own.seconds:.3f} s | | {axios_own.cpu:.3f} s |"
        )
    lines.append("")
    return lines


def _met(ok: bool) -> str:
    return "yes" if ok else "no"


def render(sections: list[tuple[str, list[Row]]]) -> str:
    lines = []
    for title, rows in sections:
        nix = next((r for r in rows if r.label.startswith("nix-instantiate")), None)
        lines += [
            f"### {title}",
            "",
            "| Measurement | Seconds | vs `nix-instantiate --parse` | CPU s | CPU vs Nix's | |",
            "|---|---:|---:|---:|---:|---|",
        ]
        for row in rows:
            ratio = f"{row.seconds / nix.seconds:.2f}x" if nix else ""
            cpu_ratio = f"{row.cpu / nix.cpu:.2f}x" if nix and nix.cpu else ""
            lines.append(
                f"| {row.label} | {row.seconds:.3f} | {ratio} | {row.cpu:.3f} | {cpu_ratio} "
                f"| {row.note} |"
            )
        lines.append("")
    return "\n".join(lines)


LOAD_AT_START = os.getloadavg()


def machine() -> str:
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    start = ", ".join(f"{value:.1f}" for value in LOAD_AT_START)
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    return (
        f"{os.cpu_count()} cores ({model}), Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}, load average {start} when started "
        f"and {load} when written"
    )


def compile_package() -> None:
    """Byte-compile portlint first, as installing a wheel does.

    Without it, and with PYTHONDONTWRITEBYTECODE set or a read-only checkout,
    every run compiles each imported module from source: 0.1 s or more of a
    start-up no user pays.
    """
    import compileall

    compileall.compile_dir(ROOT / "axios_portlint", quiet=1)


def check_product(python: str) -> None:
    """Refuse to time an install of other code than this checkout's."""
    # Not from the checkout: `python -c` would find its axios_portlint/ first.
    where = run([python, "-c", "import axios_portlint; print(axios_portlint.__file__)"], Path("/"))
    installed = Path(where.stdout.strip()).parent
    if where.returncode != 0 or installed == ROOT / "axios_portlint":
        raise SystemExit(f"bench: {python} has no installed (non-editable) portlint")
    differ = [
        source.name
        for source in (ROOT / "axios_portlint").rglob("*.py")
        if not (installed / source.relative_to(ROOT / "axios_portlint")).is_file()
        or (installed / source.relative_to(ROOT / "axios_portlint")).read_bytes()
        != source.read_bytes()
    ]
    if differ:
        raise SystemExit(f"bench: {python}'s portlint is not this checkout's ({differ[0]})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "sizes",
        nargs="*",
        help=f"any of {', '.join(SIZES)}, same-port, scaling (default: axios large scaling)",
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--write", action="store_true", help="write docs/performance.md")
    parser.add_argument(
        "--python",
        help="the Python of the portlint install to time (default: this one)",
    )
    options = parser.parse_args()
    if options.python:
        python = str(Path.cwd() / options.python)  # not resolved: a venv's python is a link
        check_product(python)
        PRODUCT[:] = [python]
    wanted = options.sizes or ["axios", "large", "scaling"]
    unknown = set(wanted) - set(SIZES) - {"same-port", "scaling"}
    if unknown:
        parser.error(f"unknown size: {', '.join(sorted(unknown))}")
    compile_package()
    start = startup(options.repeat)
    sections = [("start-up", start)]
    extra: list[str] = []
    for size in wanted:
        if size == "same-port":
            sections.append(bench("huge", 1, same_port=True))
        elif size == "scaling":
            extra = scaling(options.repeat)
            extra += scaling(options.repeat, (70_000, 140_000), deep_shapes, DEEP_NOTE)
            print("\n".join(extra), flush=True)
            continue
        else:
            # The axios-sized tree is the one whose target the import floor bounds.
            floor = start[-1] if size == "axios" else None
            repeat = options.repeat if size != "huge" else 1
            sections.append(bench(size, repeat, floor=floor))
        print(render(sections[-1:]), flush=True)
    goals = targets(sections)
    print(render(sections[:1]))
    print("\n".join(goals))
    if options.write:
        report = "\n".join(goals) + "\n" + render(sections) + "\n".join(extra)
        write_report(report, wanted, options.repeat)
    return 0


def write_report(table: str, sizes: list[str], repeat: int) -> None:
    page = ROOT / "docs" / "performance.md"
    text = page.read_text() if page.exists() else ""
    marker_start, marker_end = "<!-- bench:start -->", "<!-- bench:end -->"
    generated = (
        f"{marker_start}\nMeasured on {machine()}, with `python bench/bench.py {' '.join(sizes)}"
        f" --write`: best of {repeat} (huge corpora once), each run a new process"
        f" ({PRODUCT_NOTE if PRODUCT[0] != sys.executable else 'this Python'}); other"
        f" work on the machine during the run shows as noise.\n\n{table}\n{marker_end}"
    )
    if marker_start in text:
        before, rest = text.split(marker_start, 1)
        text = before + generated + rest.split(marker_end, 1)[1]
    else:
        text = text + generated + "\n"
    page.write_text(text)


if __name__ == "__main__":
    raise SystemExit(main())
