"""Differential test: `portlint ports --format json` against the real Nix evaluator.

Every tree under tests/fixtures/services (a directory judged as one module set)
and every single-file fixture of tests/fixtures/forms and tests/fixtures/semantics
(a one-file tree) is run through the real CLI in a fresh interpreter and through
tests/nix/eval-tree.nix (tests/nixeval.py: evaluate_tree), and compared under
the issue-3 contract:

- every port Nix reports (option defaults, port-named int options, config-side
  `services.*.port` definitions, Tailscale Service definitions, firewall
  entries) is in portlint's output with the same (option, origin) and exactly
  Nix's value (never a wrong number, never missing). "unresolved" is exact only
  where Nix cannot evaluate the value either; for a value Nix knows it is lost
  precision and fails, except for the reviewed KNOWN_UNRESOLVED entries (each
  with its reason; an entry portlint does resolve fails too);
- portlint reports nothing Nix does not have, except `or` fallbacks: Nix cannot
  list `expr.port or 8085` expressions, so those are found in the source text
  (every site must be reported with its literal) and a fallback entry for an
  option Nix does not declare is expected;
- config-side records are per definition, whatever their mkIf conditions say:
  portlint reads definitions, not the merged config (NixPort.active says
  whether Nix would apply each one).

Other known disagreements are strict xfails with the reason spelled out, so that each
one flips to a failure (XPASS) the moment portlint gets it right.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from _pytest.mark.structures import ParameterSet
from nixeval import NixEvalError, NixPort, NixTree, evaluate_tree_detailed
from test_extract_differential import KNOWN_UNRESOLVED as EXTRACTION_KNOWN_UNRESOLVED

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
SERVICES = FIXTURES / "services"

# case (relative to tests/fixtures) -> why portlint disagrees with Nix today.
DISAGREEMENTS: dict[str, str] = {
    "semantics/options_mkif.nix": (
        "Nix: no option (nixpkgs does not push mkIf into `options`; the harness "
        "declares nothing); portlint: '<unplaced>.port' = 8000, which PL009 "
        "reports. Kept because the module is invalid either way."
    ),
}

# (case, origin, option) -> why portlint leaves a port unresolved that Nix
# computes. Reviewed one by one: anywhere else "unresolved" for a value Nix knows
# fails the case, and so does an entry here that portlint does resolve.
# A single-file case is that file's extraction: its known losses carry over,
# except where the tree harness cannot evaluate the value either (its stub
# `pkgs.NAME` throws, so "unresolved" is exact there).
_EXACT_IN_TREE_HARNESS = {("semantics/pkgs_builtins.nix", "axios.redis.cluster.port")}
KNOWN_UNRESOLVED: dict[tuple[str, str, str], str] = {
    **{
        (fixture, "option", option): reason
        for (fixture, option), reason in EXTRACTION_KNOWN_UNRESOLVED.items()
        if fixture.startswith(("forms/", "semantics/"))
        and (fixture, option) not in _EXACT_IN_TREE_HARNESS
    },
    **{
        ("services/cross-file-set", "option", f"axios.music.{option}"): (
            f"`{expression}` reads services.mpd.network.port, which host.nix also sets "
            f"(6700): needs evaluation of the merged config; Nix: {value}"
        )
        for option, expression, value in (
            ("mpdPort", "config.services.mpd.network.port", 6700),
            ("httpStreamPort", "mpd.network.port + 1", 6701),
            ("controlPort", "net.port", 6700),
        )
    },
    **{
        ("services/generated", "option", f"axios.workers.{name}.port"): (
            '`if name == "a" then 7001 else 7002` inside `lib.genAttrs [ "a" "b" ]`: '
            f"needs evaluation of the condition for each generated name; Nix: {value}"
        )
        for name, value in (("a", 7001), ("b", 7002))
    },
    ("semantics/int_option_read.nix", "option", "axios.web.port"): (
        "KNOWN BUG: extraction folds `cfg.basePort + 80` to 8080, but extract/link.py's "
        "link() re-checks the read against Origin.OPTION declarations only, and basePort "
        "(a port-named `types.int`) is an option-by-name: it says no file declares it"
    ),
    ("forms/no_ports.nix", "firewall", "networking.firewall.allowedTCPPorts"): (
        "`allowedTCPPorts = cfg.allowedPorts` reads a `listOf port` option whose default "
        "`[ 8080 ]` is in the same file: list-valued option reads are not followed; Nix: 8080"
    ),
}

# --- cases --------------------------------------------------------------------------


def _trees() -> list[Path]:
    trees = [d for d in sorted(SERVICES.iterdir()) if d.is_dir()]
    singles = sorted((FIXTURES / "forms").glob("*.nix")) + sorted(
        (FIXTURES / "semantics").glob("*.nix")
    )
    return trees + singles


def _name(tree: Path) -> str:
    return tree.relative_to(FIXTURES).as_posix()


def _cases() -> list[ParameterSet]:
    cases: list[ParameterSet] = []
    for tree in _trees():
        name = _name(tree)
        marks: list[pytest.MarkDecorator] = []
        if name in DISAGREEMENTS:
            marks.append(
                pytest.mark.xfail(strict=True, raises=AssertionError, reason=DISAGREEMENTS[name])
            )
        cases.append(pytest.param(tree, id=name, marks=marks))
    return cases


# --- running both sides (in parallel: ~70 CLI runs would take ~20 s one by one) -------


@dataclass(frozen=True, slots=True)
class Entry:
    """One entry of `portlint ports --format json`."""

    option: str
    origin: str
    port: int | None
    end_port: int | None
    state: str
    file: Path
    line: int
    raw: Mapping[str, object]

    def show(self) -> str:
        value = self.port if self.state == "known" else self.state
        span = f"-{self.end_port}" if self.end_port is not None else ""
        return f"{self.origin} {self.option} = {value}{span} [{self.file.name}:{self.line}]"


@dataclass(frozen=True, slots=True)
class CliRun:
    code: int
    stdout: str
    stderr: str


def _cli(tree: Path) -> CliRun:
    """`portlint ports` on the tree alone, its files named as the fixture's own.

    Named from the repository, a fixture is a path of the repository's project and
    is resolved with every other fixture; a copy in a folder of no project is
    analyzed alone (or as its own project, when it has a registry). Its files are
    mapped back to the fixture's paths.
    """
    with tempfile.TemporaryDirectory(prefix="portlint-tree-") as folder:
        copy = Path(folder) / tree.name
        if tree.is_dir():
            shutil.copytree(tree, copy, symlinks=True)
        else:
            shutil.copyfile(tree, copy)
        done = subprocess.run(
            [sys.executable, "-m", "axios_portlint", "ports", tree.name, "--format", "json"],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        stdout = done.stdout
        if done.returncode == 0:
            # Relative to the copy when it is a project (a registry of its own), else to `folder`.
            data = json.loads(stdout)
            for item in data:
                shown = item["file"]
                item["file"] = str(tree / shown if (copy / shown).exists() else tree.parent / shown)
            stdout = json.dumps(data)
    return CliRun(done.returncode, stdout, done.stderr)


def _nix(tree: Path) -> NixTree | str:
    try:
        return evaluate_tree_detailed(tree)
    except NixEvalError as exc:
        return str(exc)


@cache
def _results() -> dict[Path, tuple[CliRun, NixTree | str]]:
    trees = _trees()
    with ThreadPoolExecutor(max_workers=max(2, 2 * (os.cpu_count() or 1))) as pool:
        # Both sides submitted at once: the CLI (Python start-up) and Nix overlap.
        cli = [pool.submit(_cli, tree) for tree in trees]
        nix = [pool.submit(_nix, tree) for tree in trees]
        return {tree: (c.result(), n.result()) for tree, c, n in zip(trees, cli, nix, strict=True)}


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _entries(run: CliRun, tree: Path) -> list[Entry]:
    if run.code != 0:
        raise AssertionError(f"portlint ports exited {run.code} on {tree}:\n{run.stderr}")
    data: object = json.loads(run.stdout)
    assert isinstance(data, list), f"portlint ports printed {type(data).__name__}, not a list"
    assert all(isinstance(item, dict) and "origin" in item for item in data), (
        "every entry of `portlint ports --format json` names its origin"
    )
    entries: list[Entry] = []
    for item in data:
        entries.append(
            Entry(
                option=str(item["option"]),
                origin=str(item["origin"]),
                port=_int(item.get("port")),
                end_port=_int(item.get("end_port")),
                state=str(item.get("state")),
                file=(ROOT / str(item["file"])).resolve(),
                line=_int(item.get("line")) or 0,
                raw=item,
            )
        )
    return entries


# --- `or` fallbacks, found in the source text -----------------------------------------

_SEGMENT = r"""(?:[A-Za-z_][\w'-]*|"[^"]*")"""
_FALLBACK = re.compile(rf"({_SEGMENT}(?:\.{_SEGMENT})*)\s+or\s+(\d+)\b")
_PORT_NAMED = re.compile(r"port|.*Port|.*-port")


@dataclass(frozen=True, slots=True)
class FallbackSite:
    file: Path
    line: int
    reads: tuple[str, ...]
    literal: int


def fallback_sites(files: list[Path]) -> list[FallbackSite]:
    """`a.b.port or 8085` in the text, the last segment port-named (comments skipped)."""
    sites: list[FallbackSite] = []
    for file in files:
        for number, line in enumerate(file.read_text().splitlines(), start=1):
            code = line.split("#", 1)[0]
            for match in _FALLBACK.finditer(code):
                reads = tuple(s.strip('"') for s in re.findall(_SEGMENT, match.group(1)))
                if _PORT_NAMED.fullmatch(reads[-1]):
                    sites.append(FallbackSite(file.resolve(), number, reads, int(match.group(2))))
    return sites


# --- the comparison -----------------------------------------------------------------------


_DECLARATIONS = ("option", "option-by-name")


def _agrees(nix: NixPort, entry: Entry) -> bool:
    """Exact agreement: "unresolved" is right only where Nix cannot evaluate the value."""
    if nix.state == "known":
        return (
            entry.state == "known"
            and entry.port == nix.port
            and (nix.end_port is None or entry.end_port == nix.end_port)
        )
    if nix.state in ("null", "absent"):
        return entry.state == nix.state
    return entry.state == "unresolved"  # Nix could not evaluate it: only "unresolved" is right


def _show_nix(nix: NixPort) -> str:
    value = nix.port if nix.state == "known" else nix.state
    span = f"-{nix.end_port}" if nix.end_port is not None else ""
    return f"{nix.origin} {nix.option} = {value}{span} [{Path(nix.file).name}]"


def disagreements(
    tree: NixTree,
    entries: list[Entry],
    files: list[Path],
    known_unresolved: Mapping[tuple[str, str], str] | None = None,
) -> list[str]:
    """Every violation of the contract, one line each.

    `known_unresolved` ((origin, option) -> reason) are the ports portlint is
    known to leave unresolved although Nix computes them; anywhere else
    "unresolved" for a value Nix knows is lost precision. A listed port that
    portlint does resolve (or that Nix cannot evaluate either) is a stale entry,
    a problem too, so the list cannot rot.
    """
    known = dict(known_unresolved or {})
    excused: set[tuple[str, str]] = set()

    def listed(nix: NixPort, entry: Entry) -> bool:
        key = (nix.origin, nix.option)
        if key in known and nix.state != "error" and entry.state == "unresolved":
            excused.add(key)
            return True
        return False

    problems: list[str] = []
    pool: dict[tuple[str, str], list[Entry]] = {}
    for entry in entries:
        if entry.origin != "fallback":
            pool.setdefault((entry.option, entry.origin), []).append(entry)

    # Exact agreements first, so that a listed "unresolved" entry does not use
    # up the place of one that states the number.
    pending: list[NixPort] = []
    for nix in tree.ports:
        candidates = pool.get((nix.option, nix.origin), [])
        exact = [e for e in candidates if _agrees(nix, e)]
        if exact:
            candidates.remove(exact[0])
        else:
            pending.append(nix)
    for nix in pending:
        candidates = pool.get((nix.option, nix.origin), [])
        loose = [e for e in candidates if listed(nix, e)]
        if loose:
            candidates.remove(loose[0])
        elif candidates:
            problems.append(
                f"wrong value: Nix says {_show_nix(nix)}, portlint says {candidates.pop(0).show()}"
            )
        else:
            problems.append(f"missing: Nix has {_show_nix(nix)}")
    # An option has one declaration in Nix; portlint may list one path more
    # than once (each branch of an `if`), which is fine while each agrees.
    declared_options = {(n.option, n.origin): n for n in tree.ports if n.origin in _DECLARATIONS}
    problems.extend(
        f"false alarm: Nix has no {entry.show()}"
        for key, left in pool.items()
        for entry in left
        if not (
            key in declared_options
            and (_agrees(declared_options[key], entry) or listed(declared_options[key], entry))
        )
    )
    problems.extend(
        f"stale known-unresolved entry: {origin} {option} is listed ({known[(origin, option)]}), "
        "but portlint resolves it or Nix cannot evaluate it either; remove the entry"
        for origin, option in known
        if (origin, option) not in excused
    )

    # `or` fallbacks: every site reported with its literal; nothing else unless
    # the option it reads is not declared in the tree.
    fallbacks = [e for e in entries if e.origin == "fallback"]
    for site in fallback_sites(files):
        here = [e for e in fallbacks if e.file == site.file and e.line == site.line]
        where = f"{site.file.name}:{site.line}"
        if not here:
            problems.append(f"missing: fallback {'.'.join(site.reads)} or {site.literal} [{where}]")
            continue
        entry = here[0]
        fallbacks.remove(entry)
        if entry.state != "known" or entry.port != site.literal:
            problems.append(f"wrong value: fallback literal is {site.literal}, {entry.show()}")
        if site.reads[0] in ("config", "osConfig"):
            expected = _show_path(site.reads[1:])
            if entry.option != expected:
                problems.append(f"wrong option: the fallback reads {expected}, {entry.show()}")
        elif entry.option not in tree.declared:
            problems.append(
                f"wrong option: {entry.show()} reads {'.'.join(site.reads)} through an alias, "
                "but Nix declares no such option"
            )
    problems.extend(
        f"false alarm: no `or` fallback in the source for {entry.show()}"
        for entry in fallbacks
        if entry.option in tree.declared
    )
    return problems


def _show_path(segments: tuple[str, ...]) -> str:
    plain = re.compile(r"[a-zA-Z_][a-zA-Z0-9_'-]*")
    return ".".join(s if plain.fullmatch(s) else f'"{s}"' for s in segments)


def _files(tree: Path) -> list[Path]:
    return sorted(tree.rglob("*.nix")) if tree.is_dir() else [tree]


# --- tests --------------------------------------------------------------------------------


@pytest.mark.nix
@pytest.mark.parametrize("tree", _cases())
def test_ports_agree_with_nix(tree: Path) -> None:
    run, nix = _results()[tree]
    assert not isinstance(nix, str), f"Nix could not evaluate {_name(tree)}:\n{nix}"
    entries = _entries(run, tree)
    problems = disagreements(nix, entries, _files(tree), known_unresolved_in(_name(tree)))
    assert not problems, f"{_name(tree)}:\n  " + "\n  ".join(problems)


def known_unresolved_in(case: str) -> dict[tuple[str, str], str]:
    """The KNOWN_UNRESOLVED entries of one case: (origin, option) -> reason."""
    return {
        (origin, option): reason
        for (listed, origin, option), reason in KNOWN_UNRESOLVED.items()
        if listed == case
    }


def test_every_listed_case_exists() -> None:
    known = {_name(tree) for tree in _trees()}
    listed = set(DISAGREEMENTS) | {case for case, _, _ in KNOWN_UNRESOLVED}
    assert sorted(listed - known) == []


def _service_files() -> Iterator[Path]:
    yield from sorted(SERVICES.rglob("*.nix"))


@pytest.mark.parametrize("module", list(_service_files()), ids=lambda p: _name(p))
def test_service_fixture_has_leading_comment(module: Path) -> None:
    assert module.read_text().startswith("# Exercises: ")


def test_fallback_sites_are_found_in_the_text() -> None:
    sites = fallback_sites(sorted((SERVICES / "fallback").glob("*.nix")))
    assert [(s.file.name, s.reads, s.literal) for s in sites] == [
        ("home.nix", ("osConfig", "services", "mcp-gateway", "port"), 8085),
        ("home.nix", ("gw", "port"), 8086),
    ]


def _home_reading_gw(tmp_path: Path) -> Path:
    """A home-manager module with one `or` fallback site: `...gw.port or 8085`."""
    home = tmp_path / "home.nix"
    home.write_text("{ osConfig, ... }: { x = osConfig.services.gw.port or 8085; }\n")
    return home


def test_disagreements_flags_each_kind_of_violation(tmp_path: Path) -> None:
    """The comparison itself: wrong values, misses, false alarms and bad fallbacks count."""
    home = _home_reading_gw(tmp_path)
    nix = NixTree(
        ports=(
            NixPort("a.port", "option", 8080, "known"),
            NixPort("b.port", "config", None, "error"),
            NixPort("c.port", "option", 1, "known"),
            NixPort("networking.firewall.allowedTCPPortRanges", "firewall", 1, "known", 5),
        ),
        declared=frozenset({"a.port", "c.port"}),
    )

    def entry(option: str, origin: str, port: int | None, state: str, **kw: object) -> Entry:
        end = kw.get("end_port")
        return Entry(
            option,
            origin,
            port,
            end if isinstance(end, int) else None,
            state,
            Path(str(kw.get("file", tmp_path / "m.nix"))),
            _int(kw.get("line")) or 1,
            {},
        )

    entries = [
        entry("a.port", "option", 8081, "known"),
        entry("b.port", "config", 9, "known"),
        entry("networking.firewall.allowedTCPPortRanges", "firewall", 1, "known", end_port=6),
        entry("d.port", "option", 2, "known"),
        entry("services.gw.port", "fallback", 8086, "known", file=home, line=1),
        entry("a.port", "fallback", 1, "known"),
    ]
    problems = disagreements(nix, entries, [home])
    assert [p.split(":")[0] for p in problems] == [
        "wrong value",
        "wrong value",
        "missing",
        "wrong value",
        "false alarm",
        "wrong value",
        "false alarm",
    ]
    assert "Nix says option a.port = 8080" in problems[0]


@pytest.mark.nix
def test_benchmark_corpus_agrees_with_nix(tmp_path: Path) -> None:
    """The generated benchmark corpus (a slice of it) is judged by Nix like any fixture."""
    spec = importlib.util.spec_from_file_location("bench", ROOT / "bench" / "bench.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench", bench)  # its dataclasses look their module up
    spec.loader.exec_module(bench)
    bench.generate(tmp_path, 60)
    tree = tmp_path / "modules"
    nix = _nix(tree)
    assert not isinstance(nix, str), nix
    run = _cli(tree)
    assert run.code == 0, run.stderr
    problems = disagreements(nix, _entries(run, tree), _files(tree))
    assert not problems, "\n".join(problems)


def test_unresolved_is_lost_precision_unless_listed(tmp_path: Path) -> None:
    """ "unresolved" agrees only with a Nix error, or where KNOWN_UNRESOLVED says why."""
    home = _home_reading_gw(tmp_path)
    nix = NixTree(
        ports=(
            NixPort("a.port", "option", 8080, "known"),
            NixPort("b.port", "config", None, "error"),
            NixPort("c.port", "option", 8082, "known"),
            NixPort("d.port", "option", 8083, "known"),
        ),
        declared=frozenset({"a.port", "c.port", "d.port"}),
    )
    file = tmp_path / "m.nix"
    entries = [
        Entry("a.port", "option", None, None, "unresolved", file, 1, {}),
        Entry("b.port", "config", None, None, "unresolved", file, 2, {}),
        Entry("c.port", "option", None, None, "unresolved", file, 3, {}),
        Entry("d.port", "option", 8083, None, "known", file, 4, {}),
        Entry("services.gw.port", "fallback", None, None, "unresolved", home, 1, {}),
    ]
    assert disagreements(nix, entries, [home]) == [
        "wrong value: Nix says option a.port = 8080 [], portlint says option a.port = "
        "unresolved [m.nix:1]",
        "wrong value: Nix says option c.port = 8082 [], portlint says option c.port = "
        "unresolved [m.nix:3]",
        "wrong value: fallback literal is 8085, fallback services.gw.port = unresolved "
        "[home.nix:1]",
    ]
    listed = {("option", "c.port"): "why", ("option", "d.port"): "why", ("config", "b.port"): "why"}
    problems = disagreements(nix, entries[:4], [], listed)
    assert [p.split(" is listed")[0] for p in problems] == [
        "wrong value: Nix says option a.port = 8080 [], portlint says option a.port = "
        "unresolved [m.nix:1]",
        "stale known-unresolved entry: option d.port",
        "stale known-unresolved entry: config b.port",
    ]
