"""The bad-input matrix: whatever portlint is fed, the real command stays calm.

Every case runs `portlint` in a subprocess on a copy of the bundled axios tree
and asserts the contract of docs/security.md ("Bad input"):

* the outcome is one line: a finding `FILE:LINE:COL: CODE [severity] message`
  on stdout, or `portlint: error: ...` on stderr; never a traceback;
* the exit code: 1 when a bad file or registry becomes a finding, 2 for a usage
  or configuration error (nothing can be checked), 0 when the input is fine;
* a bad file never stops the run: a canary module with a known finding is
  checked and reported beside it;
* nothing in the tree changes (bytes and mtimes of every file), the extraction
  cache aside (see tests/test_security.py).
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import AXIOS, REGISTRY, AxiosTree, Run, run_portlint

from axios_portlint.discover import DEFAULT_MAX_BYTES

Portlint = Callable[..., Run]

FINDING = re.compile(
    r"^(?P<path>[^:]+):(?P<line>\d+):(?P<column>\d+): "
    r"(?P<code>PL\d{3}) \[(?:error|warning|info)\] (?P<message>.+)$"
)
SUMMARY = re.compile(r"^(All checks passed|Found \d+ findings?) .*\(?\d+ files?( checked)?\)?\.$")

CANARY = b"""\
{ lib, ... }:
{
  options.canary.port = lib.mkOption {
    type = lib.types.port;
    default = 4242;
  };
}
"""
# The canary's one finding (no registry row for 4242): proof the rest of the tree was checked.
CANARY_FINDING = ("modules/zz-canary.nix", 5, 15, "PL003")
# (PL006 too: 4242 lies outside every local range of ports.md.)
CANARY_CODES = {"PL003", "PL006"}


@dataclass(frozen=True)
class Line:
    path: str
    line: int
    column: int
    code: str
    message: str


# --- helpers -------------------------------------------------------------------


# The extraction cache `portlint check` keeps in the working directory: its write
# is judged in tests/test_security.py, not here.
CACHE = ".portlint_cache"


def snapshot(root: Path) -> dict[str, tuple[str, bytes, int]]:
    """Every entry below root: kind, content (regular files and links) and mtime."""
    state: dict[str, tuple[str, bytes, int]] = {}
    for path in sorted(root.rglob("*")):
        if path.relative_to(root).parts[0] == CACHE:
            continue
        info = path.lstat()
        rel = path.relative_to(root).as_posix()
        if stat.S_ISLNK(info.st_mode):
            state[rel] = ("link", str(path.readlink()).encode(), info.st_mtime_ns)
        elif stat.S_ISREG(info.st_mode):
            data = path.read_bytes() if os.access(path, os.R_OK) else b"<unreadable>"
            state[rel] = ("file", data, info.st_mtime_ns)
        else:
            state[rel] = (stat.filemode(info.st_mode)[0], b"", info.st_mtime_ns)
    return state


def assert_calm(result: Run, *, listing: bool = False) -> None:
    """No traceback anywhere; every line is a finding, the summary, or one error line.

    `listing`: the output is `portlint ports` table or JSON, not findings.
    """
    for stream in (result.stdout, result.stderr):
        assert "Traceback" not in stream, stream
        assert "internal error" not in stream, stream
    if result.code == 2:
        assert result.stdout == ""
        assert re.fullmatch(r"portlint: error: [^\n]+\n", result.stderr), result.stderr
        return
    assert result.stderr == ""
    if listing:
        return
    *lines, summary = result.stdout.splitlines()
    assert SUMMARY.match(summary), summary
    assert all(FINDING.match(line) for line in lines), lines


def findings(result: Run) -> list[Line]:
    assert_calm(result)
    lines = []
    for text in result.stdout.splitlines()[:-1]:
        match = FINDING.match(text)
        assert match is not None
        lines.append(
            Line(
                match["path"],
                int(match["line"]),
                int(match["column"]),
                match["code"],
                match["message"],
            )
        )
    return lines


def other_than_canary(lines: list[Line]) -> list[Line]:
    return [line for line in lines if line.path != CANARY_FINDING[0]]


def assert_canary_reported(lines: list[Line]) -> None:
    canary = {(x.path, x.line, x.column, x.code) for x in lines if x.path == CANARY_FINDING[0]}
    assert {(*CANARY_FINDING[:3], code) for code in CANARY_CODES} == canary


@pytest.fixture
def tree(axios_tree: AxiosTree) -> Iterator[AxiosTree]:
    """The axios tree plus the canary; its state must be the same after the test."""
    axios_tree.write("modules/zz-canary.nix", CANARY)
    yield axios_tree


def run_unchanged(portlint: Portlint, tree: AxiosTree, *args: str | Path) -> Run:
    before = snapshot(tree.root)
    result = portlint(*args, cwd=tree.root)
    assert snapshot(tree.root) == before, "portlint changed the tree"
    return result


# --- Nix files -----------------------------------------------------------------


@dataclass(frozen=True)
class NixCase:
    id: str
    data: bytes
    code: str
    line: int
    column: int
    message: str


# The broken options are no port options (`size`, untyped): an untyped `port` with an
# integer default is a listener, and would add its own findings beside the syntax error.
NIX_CASES = [
    NixCase("syntax-error-start", b"= { lib, ... }: { }\n", "PL010", 1, 1, "unexpected '='"),
    NixCase(
        "syntax-error-middle",
        b"{ lib, ... }:\n{\n  options.a.size = lib.mkOption { default = 1 };\n}\n",
        "PL010",
        3,
        46,
        "syntax error: missing ;",
    ),
    NixCase(
        "syntax-error-end",
        b"{ lib, ... }:\n{\n  options.a.size = lib.mkOption { default = 1; };\n",
        "PL010",
        3,
        50,
        "syntax error: missing }",
    ),
    NixCase(
        "unterminated-string",
        b'{ lib, ... }:\n{\n  description = "never closed;\n}\n',
        "PL010",
        3,
        17,
        "syntax error: unterminated string",
    ),
    NixCase(
        "unterminated-indented-string",
        b"{ lib, ... }:\n{\n  text = ''\n    never closed;\n}\n",
        "PL010",
        3,
        10,
        "syntax error: unterminated string",
    ),
    NixCase(
        "nul-bytes",
        b"{ lib, ... }:\n{\n  a = 1;\0\n}\n",
        "PL012",
        3,
        9,
        "binary file (contains NUL bytes)",
    ),
    NixCase(
        "latin-1",
        '{ lib, ... }:\n{\n  description = "café";\n}\n'.encode("latin-1"),
        "PL012",
        3,
        21,
        "not valid UTF-8 at line 3, column 21",
    ),
    NixCase(
        "invalid-utf-8",
        b'{ lib, ... }:\n{\n  a = "\xc3\x28";\n}\n',
        "PL012",
        3,
        8,
        "not valid UTF-8 at line 3, column 8",
    ),
    # Nix rejects a file without an expression too: `nix-instantiate --parse` on
    # an empty file says "syntax error, unexpected end of file".
    NixCase("empty", b"", "PL010", 1, 1, "unexpected end of file (the file has no expression)"),
    NixCase(
        "comments-only",
        b"# a module that was commented out\n/* entirely */\n",
        "PL010",
        1,
        1,
        "unexpected end of file (the file has no expression)",
    ),
]


@pytest.fixture(scope="module")
def all_bad_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Run, list[Line]]:
    """One run over the axios tree with every bad file of NIX_CASES beside the canary."""
    root = tmp_path_factory.mktemp("bad-files")
    shutil.copytree(AXIOS / "modules", root / "modules")
    shutil.copyfile(REGISTRY, root / "ports.md")
    (root / "modules/zz-canary.nix").write_bytes(CANARY)
    for case in NIX_CASES:
        (root / f"modules/bad/{case.id}.nix").parent.mkdir(exist_ok=True)
        (root / f"modules/bad/{case.id}.nix").write_bytes(case.data)
    before = snapshot(root)
    result = run_portlint("check", "modules", cwd=root)
    assert snapshot(root) == before, "portlint changed the tree"
    return result, findings(result)


def test_bad_files_never_stop_the_run(all_bad_files: tuple[Run, list[Line]]) -> None:
    result, lines = all_bad_files
    assert result.code == 1
    assert_canary_reported(lines)
    assert sorted(x.path for x in other_than_canary(lines)) == sorted(
        f"modules/bad/{case.id}.nix" for case in NIX_CASES
    )
    assert result.stdout.splitlines()[-1].endswith(f"in {8 + len(NIX_CASES)} files.")


@pytest.mark.parametrize("case", NIX_CASES, ids=lambda c: c.id)
def test_bad_nix_file_is_one_finding_at_its_line(
    all_bad_files: tuple[Run, list[Line]], case: NixCase
) -> None:
    _, lines = all_bad_files
    (bad,) = [x for x in lines if x.path == f"modules/bad/{case.id}.nix"]
    assert (bad.line, bad.column, bad.code) == (case.line, case.column, case.code)
    assert case.message in bad.message


def _write_sized(path: Path, size: int) -> None:
    """A valid module of exactly `size` bytes: comment lines, then one port option."""
    tail = (
        b"{ lib, ... }: { options.big.port = lib.mkOption "
        b"{ type = lib.types.port; default = 9999; }; }\n"
    )
    line = b"#" + b"x" * 98 + b"\n"
    with path.open("wb") as out:
        padding = size - len(tail)
        out.write(line * (padding // len(line)))
        out.write(b"#" * (padding % len(line) - 1) + b"\n" if padding % len(line) else b"")
        out.write(tail)
    assert path.stat().st_size == size


def test_file_at_the_size_limit_is_parsed(tree: AxiosTree, portlint: Portlint) -> None:
    big = tree.root / "modules/big.nix"
    _write_sized(big, DEFAULT_MAX_BYTES)
    result = run_unchanged(portlint, tree, "ports", "modules", "--format", "json")
    assert_calm(result, listing=True)
    assert result.code == 0
    assert '"option": "big.port"' in result.stdout
    assert '"port": 9999' in result.stdout


def test_file_over_the_size_limit_is_pl012(tree: AxiosTree, portlint: Portlint) -> None:
    big = tree.root / "modules/big.nix"
    _write_sized(big, DEFAULT_MAX_BYTES + 1)
    result = run_unchanged(portlint, tree, "check")
    assert result.code == 1
    lines = findings(result)
    assert_canary_reported(lines)
    (line,) = other_than_canary(lines)
    assert (line.path, line.line, line.column, line.code) == ("modules/big.nix", 1, 1, "PL012")
    assert line.message == "file is larger than 50 MiB"


DEPTH = 10_000
DEEP = {
    "attrsets": b"{ a = " * DEPTH + b"1" + b"; }" * DEPTH + b"\n",
    "parentheses": b"(" * DEPTH + b"1" + b")" * DEPTH + b"\n",
}


@pytest.mark.parametrize("shape", sorted(DEEP))
def test_ten_thousand_levels_of_nesting_never_crash(
    tree: AxiosTree, portlint: Portlint, shape: str
) -> None:
    tree.write("modules/deep.nix", DEEP[shape])
    # The same depth inside an option default: the extractor walks it too.
    option = (
        b"{ lib, ... }: { options.deep.port = lib.mkOption { type = lib.types.port; default = "
        + b"(" * DEPTH
        + b"1 + 2"
        + b")" * DEPTH
        + b"; }; }\n"
    )
    tree.write("modules/deep-option.nix", option)
    result = run_unchanged(portlint, tree, "check")
    lines = findings(result)
    assert_canary_reported(lines)
    # deep.port (3) has no registry row: the deep default was folded, not given up on.
    assert [(x.path, x.code) for x in other_than_canary(lines)] == [
        ("modules/deep-option.nix", "PL003"),
        ("modules/deep-option.nix", "PL006"),
    ]
    assert result.code == 1


@pytest.mark.nix
@pytest.mark.xfail(
    strict=True,
    reason=(
        "parse/: Nix's parser gives up on 10,000 levels of nesting ('error: memory "
        "exhausted', its bison stack holds 10,000 entries: about 2,500 levels of "
        "attrsets, 9,997 of parentheses) and `nix-instantiate --parse` rejects the file; "
        "portlint's tree-sitter parse accepts it, so no PL010 is reported. Suspected: "
        "parse.checks (no depth limit mirroring Nix's)."
    ),
)
@pytest.mark.parametrize("shape", sorted(DEEP))
def test_ten_thousand_levels_are_a_syntax_error_as_in_nix(
    tree: AxiosTree, portlint: Portlint, shape: str
) -> None:
    tree.write("modules/deep.nix", DEEP[shape])
    lines = other_than_canary(findings(portlint("check", cwd=tree.root)))
    assert [(x.path, x.code) for x in lines] == [("modules/deep.nix", "PL010")]


def test_long_chain_of_let_bindings_never_crashes(tree: AxiosTree, portlint: Portlint) -> None:
    links = " ".join(f"v{i} = v{i + 1};" for i in range(200))
    tree.write(
        "modules/chain.nix",
        f"{{ lib, ... }}: let {links} v200 = 5; in {{ options.chain.port = lib.mkOption "
        "{ type = lib.types.port; default = v0; }; }\n",
    )
    result = portlint("check", cwd=tree.root)
    assert "internal error" not in result.stderr
    lines = findings(result)
    assert_canary_reported(lines)
    # Deeper than portlint folds (100 levels): said to be unresolved, which is PL009's
    # alone (an unknown port is no undocumented one).
    assert {(x.path, x.code) for x in other_than_canary(lines)} == {
        ("modules/chain.nix", "PL009"),
    }


def test_crlf_line_endings_keep_lines_and_columns(tree: AxiosTree, portlint: Portlint) -> None:
    """A CRLF file reports the same positions as its LF twin: `\\r` is not a column."""
    lf_error = b"{ lib, ... }:\n{\n  a = 1;\n  b = ;\n}\n"
    lf_port = (tree.root / "modules/zz-canary.nix").read_bytes()
    tree.write("modules/err-lf.nix", lf_error)
    tree.write("modules/err-crlf.nix", lf_error.replace(b"\n", b"\r\n"))
    tree.write("modules/zz-canary.nix", lf_port.replace(b"\n", b"\r\n"))
    result = run_unchanged(portlint, tree, "check")
    lines = findings(result)
    assert_canary_reported(lines)
    errors = {x.path: (x.line, x.column, x.message) for x in other_than_canary(lines)}
    assert errors["modules/err-crlf.nix"] == errors["modules/err-lf.nix"]
    assert errors["modules/err-lf.nix"][0] == 4
    assert result.code == 1


# --- the file system -----------------------------------------------------------


def _caps_dropped() -> list[str]:
    """A prefix that runs a command without root's CAP_DAC_OVERRIDE, or [] if not root."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("root ignores permission bits and setpriv (util-linux) is missing")
    return [setpriv, "--inh-caps=-all", "--bounding-set=-all"]


def test_unreadable_file(tree: AxiosTree, portlint: Portlint) -> None:
    locked = tree.write("modules/locked.nix", CANARY.replace(b"canary", b"locked"))
    locked.chmod(0)
    prefix = _caps_dropped()
    before = snapshot(tree.root)
    try:
        if prefix:
            done = subprocess.run(
                [*prefix, sys.executable, "-m", "axios_portlint", "check"],
                cwd=tree.root,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            result = Run(done.returncode, done.stdout, done.stderr)
        else:
            result = portlint("check", cwd=tree.root)
        assert snapshot(tree.root) == before
    finally:
        locked.chmod(0o644)
    lines = findings(result)
    assert_canary_reported(lines)
    assert [(x.path, x.line, x.code, x.message) for x in other_than_canary(lines)] == [
        ("modules/locked.nix", 1, "PL012", "cannot read: Permission denied")
    ]
    assert result.code == 1


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="needs Linux procfs")
def test_file_whose_read_fails(tree: AxiosTree, portlint: Portlint) -> None:
    """Named explicitly, /proc/self/mem stats as a file and fails to read (EIO), even as root."""
    result = run_unchanged(portlint, tree, "check", "modules", "/proc/self/mem")
    lines = findings(result)
    assert_canary_reported(lines)
    assert [(x.path, x.code, x.message) for x in other_than_canary(lines)] == [
        ("/proc/self/mem", "PL012", "cannot read: Input/output error")
    ]
    assert result.code == 1


def test_links_that_lead_nowhere_or_out_are_skipped_in_a_walk(
    tree: AxiosTree, portlint: Portlint, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Dangling links, link loops and links out of the tree are not modules of the tree.

    A walk skips them without a word (a link out of the tree is never followed:
    docs/security.md); the rest of the tree is checked as usual.
    """
    outside = tmp_path_factory.mktemp("outside")
    (outside / "evil.nix").write_bytes(CANARY.replace(b"canary", b"evil"))
    modules = tree.root / "modules"
    (modules / "dangling.nix").symlink_to("does-not-exist.nix")
    (modules / "loop-a.nix").symlink_to("loop-b.nix")
    (modules / "loop-b.nix").symlink_to("loop-a.nix")
    (modules / "out.nix").symlink_to(outside / "evil.nix")
    (modules / "out-dir").symlink_to(outside, target_is_directory=True)
    result = run_unchanged(portlint, tree, "check")
    lines = findings(result)
    assert_canary_reported(lines)
    assert other_than_canary(lines) == []
    assert "evil" not in result.stdout
    assert result.stdout.splitlines()[-1].endswith("in 8 files.")
    assert result.code == 1


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["nowhere"], "portlint: error: path 'nowhere' does not exist"),
        (["modules/dangling.nix"], "portlint: error: path 'modules/dangling.nix' does not exist"),
    ],
    ids=["nonexistent", "dangling-symlink"],
)
def test_named_path_that_does_not_exist_is_a_usage_error(
    tree: AxiosTree, portlint: Portlint, args: list[str], error: str
) -> None:
    (tree.root / "modules/dangling.nix").symlink_to("does-not-exist.nix")
    result = run_unchanged(portlint, tree, "check", "modules", *args)
    assert_calm(result)
    assert result.code == 2
    assert result.stderr == error + "\n"


def test_named_symlink_loop_is_pl012(tree: AxiosTree, portlint: Portlint) -> None:
    (tree.root / "loop-a.nix").symlink_to("loop-b.nix")
    (tree.root / "loop-b.nix").symlink_to("loop-a.nix")
    result = run_unchanged(portlint, tree, "check", "modules", "loop-a.nix")
    lines = findings(result)
    assert_canary_reported(lines)
    assert [(x.path, x.code, x.message) for x in other_than_canary(lines)] == [
        ("loop-a.nix", "PL012", "cannot read: Too many levels of symbolic links")
    ]
    assert result.code == 1


def test_path_that_is_a_file_is_checked_as_a_module(tree: AxiosTree, portlint: Portlint) -> None:
    listed = run_unchanged(portlint, tree, "ports", "modules/services/immich.nix")
    assert_calm(listed, listing=True)
    assert listed.code == 0
    assert listed.stdout.endswith("3 port declarations.\n")
    assert {line.split()[0] for line in listed.stdout.splitlines()[1:-1]} == {
        "axios.immich.port",
        "axios.immich.tailscaleServe.httpsPort",
        "services.immich.port",
    }
    checked = run_unchanged(portlint, tree, "check", "modules/zz-canary.nix")
    lines = findings(checked)
    assert_canary_reported(lines)
    # The whole tree is analyzed, the named file's findings alone reported: the
    # registry's Active rows still have their modules, and are not named anyway.
    assert other_than_canary(lines) == []
    assert checked.stdout.splitlines()[-1].endswith("in 1 file.")
    assert checked.code == 1


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_is_pl012_and_never_blocks(tree: AxiosTree, portlint: Portlint) -> None:
    os.mkfifo(tree.root / "modules/pipe.nix")
    walked = run_unchanged(portlint, tree, "check")
    named = run_unchanged(portlint, tree, "check", "modules/zz-canary.nix", "modules/pipe.nix")
    for result in (walked, named):
        lines = findings(result)
        assert_canary_reported(lines)
        assert [
            (x.path, x.code, x.message) for x in other_than_canary(lines) if x.code == "PL012"
        ] == [("modules/pipe.nix", "PL012", "not a regular file")]
        assert result.code == 1


# --- the registry --------------------------------------------------------------

HEADER = "| Service | Local Port | Tailscale Port | Module | Status |"
RULE = "|---------|------------|----------------|--------|--------|"
MAIL_ROW = "| axios-ai-mail | 8080 | 8443 | `pim` | Active |"
PORTAL_ROW = "| axios-portal | 8082 | 8445 | `portal` | Planned |"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            f"{HEADER}\n{RULE}",
            f"{HEADER} Module |\n{RULE}---|",
            (33, "duplicate 'Module' column; the first one is used"),
        ),
        (MAIL_ROW, f"{HEADER}\n{MAIL_ROW}", (35, "Local Port cell 'Local Port'")),
        (
            PORTAL_ROW,
            "| axios-portal | 8082 | 8445 | Planned |",
            (37, "row has 4 cells, header has 5"),
        ),
        (PORTAL_ROW, PORTAL_ROW + " x |", (37, "row has 6 cells, header has 5")),
        ("| 8082 |", "| 0 |", (37, "'0': 0 is outside the port range 1-65535")),
        ("| 8082 |", "| 65536 |", (37, "'65536': 65536 is outside the port range 1-65535")),
        ("| 8082 |", "| -1 |", (37, "'-1': a port cannot be negative")),
        ("| 8082 |", "| 80.5 |", (37, "'80.5': a port must be a whole number")),
        ("| 8082 |", "| 8080-80 |", (37, "'8080-80': range end is below its start")),
        ("| 8082 |", "| eighty |", (37, "'eighty': expected a port (8080)")),
        (
            "`portal` | Planned",
            "`portal` | Active",
            (37, "Active row 'axios-portal' names module 'portal', which declares no listener"),
        ),
    ],
    ids=[
        "duplicated-header-column",
        "duplicated-header-row",
        "too-few-cells",
        "too-many-cells",
        "port-0",
        "port-65536",
        "port-minus-1",
        "port-80.5",
        "range-8080-80",
        "text-port",
        "unknown-module",
    ],
)
def test_malformed_registry_is_a_finding_at_its_line(
    tree: AxiosTree, portlint: Portlint, old: str, new: str, expected: tuple[int, str]
) -> None:
    text = tree.registry.read_text()
    assert old in text
    tree.registry.write_text(text.replace(old, new, 1))
    result = run_unchanged(portlint, tree, "check")
    lines = findings(result)
    assert_canary_reported(lines)
    registry = [x for x in lines if x.path == "ports.md"]
    assert registry, result.stdout
    line, message = expected
    assert registry[0].line == line
    assert message in registry[0].message
    assert {x.code for x in registry} <= {"PL005", "PL011"}
    assert result.code == 1


@pytest.mark.parametrize(
    "content", ["", "# Ports\n\nNo table here yet.\n"], ids=["empty", "no-allocation-table"]
)
def test_registry_without_allocation_table(
    tree: AxiosTree, portlint: Portlint, content: str
) -> None:
    tree.registry.write_text(content)
    result = run_unchanged(portlint, tree, "check")
    lines = findings(result)
    assert lines[-1].path == "ports.md"
    assert (lines[-1].line, lines[-1].column, lines[-1].code) == (1, 1, "PL011")
    assert lines[-1].message.startswith("no allocation table")
    # Every listener of the tree, the canary's too, is then undocumented.
    assert ("modules/zz-canary.nix", "PL003") in {(x.path, x.code) for x in lines}
    assert result.code == 1


@pytest.mark.parametrize(
    ("setup", "error"),
    [
        ("missing", "portlint: error: ports.md: registry file not found"),
        ("directory", "portlint: error: ports.md: registry path is a directory, not a file"),
        ("latin-1", "portlint: error: ports.md:3: registry file is not valid UTF-8 (byte 0xe9)"),
    ],
)
def test_unusable_registry_is_a_usage_error(
    tree: AxiosTree, portlint: Portlint, setup: str, error: str
) -> None:
    tree.registry.unlink()
    if setup == "directory":
        tree.registry.mkdir()
    elif setup == "latin-1":
        tree.registry.write_bytes("# Ports\n\nCaf\xe9\n".encode("latin-1"))
    result = run_unchanged(portlint, tree, "check", "--registry", "ports.md")
    assert_calm(result)
    assert result.code == 2
    assert result.stderr == error + "\n"


# --- configuration -------------------------------------------------------------


@pytest.mark.parametrize(
    ("toml", "error"),
    [
        ('colour = "red"\n', "portlint.toml:1: colour: unknown key"),
        ('select = "PL001"\n', "portlint.toml:1: select: expected a list of strings, got a string"),
        ("fail-on = 3\n", "portlint.toml:1: fail-on: expected a string, got an integer"),
        ("exclude = [1]\n", "portlint.toml:1: exclude: expected a list of strings, got a list"),
        ('select = ["PL999"]\n', "portlint.toml:1: select: unknown rule code or prefix 'PL999'"),
        ('ignore = ["XX"]\n', "portlint.toml:1: ignore: unknown rule code or prefix 'XX'"),
        ("select = [\n", "portlint.toml:2:1: invalid TOML"),
    ],
    ids=[
        "unknown-key",
        "string-for-list",
        "int-for-string",
        "int-in-list",
        "unknown-code",
        "unknown-prefix",
        "invalid-toml",
    ],
)
def test_bad_configuration_is_a_usage_error(
    tree: AxiosTree, portlint: Portlint, toml: str, error: str
) -> None:
    tree.write("portlint.toml", toml)
    result = run_unchanged(portlint, tree, "check")
    assert_calm(result)
    assert result.code == 2
    assert result.stderr.startswith(f"portlint: error: {error}")


def test_unknown_rule_code_on_the_command_line(tree: AxiosTree, portlint: Portlint) -> None:
    result = run_unchanged(portlint, tree, "check", "--ignore", "PL999")
    assert_calm(result)
    assert result.code == 2
    assert result.stderr == "portlint: error: --ignore: unknown rule code or prefix 'PL999'\n"
