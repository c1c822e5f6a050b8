"""Ask the real Nix evaluator what a module's port options default to.

The judge for extraction tests: `tests/nix/eval-options.nix` evaluates one module
file against the stub lib in `tests/nix/lib.nix` with `nix-instantiate`, and this
module turns its JSON into `{option path: default}`.

`evaluate_tree` judges a whole tree (every .nix file below a directory, merged
as one module set by `tests/nix/eval-tree.nix`) and reports every port the
`portlint ports` contract names: option defaults, config-side `services.*.port`
assignments, Tailscale Service definitions and firewall entries, each as a
NixPort. `config_values` asks the merged config for the value at given paths.

A default is an int, None (a null default, or no default at all), or ERROR when
Nix could not evaluate it (it throws, is not an int, or needs something outside
the file such as `pkgs.foo` or another module's option).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal, TypeAlias

__all__ = [
    "ERROR",
    "EVAL_OPTIONS_NIX",
    "EVAL_TREE_NIX",
    "NixEvalError",
    "NixPort",
    "NixTree",
    "NixValue",
    "PortDefault",
    "PortOption",
    "config_values",
    "evaluate_port_options",
    "evaluate_port_options_detailed",
    "evaluate_tree",
    "evaluate_tree_detailed",
    "nix_available",
    "split_option",
    "tree_files",
]

ERROR: Final = "<error>"
PortDefault: TypeAlias = int | Literal["<error>"] | None

EVAL_OPTIONS_NIX: Final = Path(__file__).resolve().parent / "nix" / "eval-options.nix"
EVAL_TREE_NIX: Final = Path(__file__).resolve().parent / "nix" / "eval-tree.nix"
TIMEOUT_SECONDS: Final = 120


class NixEvalError(RuntimeError):
    """nix-instantiate failed; the message carries its stderr."""

    def __init__(self, message: str, stderr: str = "") -> None:
        super().__init__(f"{message}\n--- nix-instantiate stderr ---\n{stderr.strip()}")
        self.stderr = stderr


@dataclass(frozen=True, slots=True)
class PortOption:
    """One port-typed option as Nix sees it."""

    path: str
    type: str
    has_default: bool
    default: PortDefault
    wrapped: bool = False
    """The default was written inside mkDefault/mkOverride/mkForce (and unwrapped)."""


def _nix_instantiate() -> str | None:
    return shutil.which("nix-instantiate")


def nix_available() -> bool:
    """Whether `nix-instantiate` is on PATH and runs."""
    exe = _nix_instantiate()
    if exe is None:
        return False
    try:
        done = subprocess.run(
            [exe, "--version"], capture_output=True, text=True, timeout=30, check=False
        )
    except OSError:
        return False
    return done.returncode == 0


def _env(exe: str, state: Path) -> dict[str, str]:
    """A sealed environment: no user NIX_PATH, state kept in a throwaway directory."""
    return {
        "PATH": os.pathsep.join([str(Path(exe).parent), "/usr/bin", "/bin"]),
        "HOME": str(state),
        "NIX_STATE_DIR": str(state / "state"),
        "NIX_LOG_DIR": str(state / "log"),
        "NIX_PATH": "",
        "LANG": "C.UTF-8",
    }


def _run(exe: str, module: Path, state: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = _env(exe, state)
    cmd = [
        exe,
        "--eval",
        "--strict",
        "--json",
        "--readonly-mode",
        str(EVAL_OPTIONS_NIX),
        "--argstr",
        "file",
        str(module),
        *extra,
    ]
    try:
        return subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            env=env,
            cwd=state,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        stderr = exc.stderr.decode() if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        raise NixEvalError(f"nix-instantiate timed out on {module}", stderr) from exc


def _parse(stdout: str, module: Path) -> list[dict[str, object]]:
    data: object = json.loads(stdout)
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise NixEvalError(f"unexpected output from eval-options.nix for {module}", stdout)
    return [dict(item) for item in data]


def _to_option(raw: dict[str, object]) -> PortOption:
    path = raw["path"]
    type_ = raw["type"]
    default = raw["default"]
    if not isinstance(path, str) or not isinstance(type_, str):
        raise NixEvalError(f"malformed record from eval-options.nix: {raw!r}")
    value: PortDefault
    if raw["evalError"] is True:
        value = ERROR
    elif default is None or (isinstance(default, int) and not isinstance(default, bool)):
        value = default
    else:
        raise NixEvalError(f"malformed default from eval-options.nix: {raw!r}")
    return PortOption(
        path=path,
        type=type_,
        has_default=raw["hasDefault"] is True,
        default=value,
        wrapped=raw.get("wrapped") is True,
    )


def evaluate_port_options_detailed(path: Path) -> list[PortOption]:
    """Every port / ints.u16 / nullOr-of-those option the module at `path` declares.

    If an error that `builtins.tryEval` cannot catch (a missing attribute, a
    missing file) aborts the whole evaluation, the options are listed without
    touching defaults and each one is evaluated on its own; those that still
    fail get ERROR. Raises NixEvalError when even the listing fails (a syntax
    error, a module that does not evaluate at all) or nix is missing.
    """
    exe = _nix_instantiate()
    if exe is None:
        raise NixEvalError("nix-instantiate not found on PATH")
    module = Path(path).resolve()
    with tempfile.TemporaryDirectory(prefix="portlint-nix-") as tmp:
        state = Path(tmp)
        done = _run(exe, module, state)
        if done.returncode == 0:
            return [_to_option(raw) for raw in _parse(done.stdout, module)]

        listed = _run(exe, module, state, "--arg", "listOnly", "true")
        if listed.returncode != 0:
            raise NixEvalError(f"nix-instantiate could not evaluate {module}", listed.stderr)
        options: list[PortOption] = []
        for raw in _parse(listed.stdout, module):
            shell = _to_option(raw)
            one = _run(exe, module, state, "--argstr", "only", shell.path)
            records = _parse(one.stdout, module) if one.returncode == 0 else []
            if len(records) == 1:
                options.append(_to_option(records[0]))
            else:
                default: PortDefault = ERROR if shell.has_default else None
                options.append(
                    PortOption(shell.path, shell.type, shell.has_default, default, shell.wrapped)
                )
        return options


def evaluate_port_options(path: Path) -> dict[str, PortDefault]:
    """`{option path: default}` for the module at `path`, judged by Nix.

    Paths are dotted like nixpkgs' showOption (`services.open-webui.port`, with
    names that are not identifiers quoted: `axios."web.proxy".port`). A null
    default and a missing default both map to None (see
    evaluate_port_options_detailed for the difference).
    """
    return {option.path: option.default for option in evaluate_port_options_detailed(path)}


# --- whole trees: tests/nix/eval-tree.nix -------------------------------------------

NixState: TypeAlias = Literal["known", "null", "absent", "error"]
ORIGINS: Final = ("option", "option-by-name", "config", "tailscale-service", "firewall")

# `pkgs.NAME` and `inherit (pkgs) a b;`: the names the stub pkgs must hold (as
# catchable throws) so that one read of a package does not abort the whole run.
_PKGS_ATTR: Final = re.compile(r"\bpkgs\.([A-Za-z_][A-Za-z0-9_'-]*)")
_PKGS_INHERIT: Final = re.compile(r"inherit\s*\(\s*pkgs\s*\)([^;]*);")


@dataclass(frozen=True, slots=True)
class NixPort:
    """One port of the `portlint ports` contract, as the evaluator sees it.

    `port` is the int when `state` is "known", else None: "null" (a null value),
    "absent" (an option without default; a Tailscale Service when no submodule
    declares a `port` default) or "error" (the value throws or is not an int).
    """

    option: str
    origin: str
    port: int | None
    state: NixState
    end_port: int | None = None
    name: str | None = None
    file: str = ""
    type: str | None = None
    active: bool | None = True
    """Config side: every mkIf around the definition holds (None: deciding it throws)."""
    merged: int | None = None
    """Tailscale Services: the port the merged config gives the service, if active."""
    wrapped: bool = False
    path: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class NixTree:
    ports: tuple[NixPort, ...]
    declared: frozenset[str]
    """Every option path declared in the tree (any type, submodules entered)."""


@dataclass(frozen=True, slots=True)
class NixValue:
    """The merged config at one path."""

    option: str
    defined: bool
    state: Literal["known", "null", "error"]
    port: int | None


def split_option(option: str) -> tuple[str, ...]:
    """`a."b.c".d` -> ("a", "b.c", "d"), the inverse of showOption."""
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for char in option:
        if char == '"':
            quoted = not quoted
        elif char == "." and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return tuple(parts)


def tree_files(paths: Path | Iterable[Path]) -> list[Path]:
    """The files of a tree: a directory stands for every .nix file below it."""
    roots = [paths] if isinstance(paths, Path) else list(paths)
    files: list[Path] = []
    for root in roots:
        root = Path(root).resolve()
        files.extend(sorted(root.rglob("*.nix")) if root.is_dir() else [root])
    return files


def _pkgs_names(files: list[Path]) -> list[str]:
    names: set[str] = set()
    for file in files:
        text = file.read_text(errors="replace")
        names.update(_PKGS_ATTR.findall(text))
        for group in _PKGS_INHERIT.findall(text):
            names.update(re.findall(r"[A-Za-z_][A-Za-z0-9_'-]*", group))
    return sorted(names)


def _run_tree(
    exe: str, files: list[Path], state: Path, *extra: str
) -> subprocess.CompletedProcess[str]:
    cmd = [
        exe,
        "--eval",
        "--strict",
        "--json",
        "--readonly-mode",
        str(EVAL_TREE_NIX),
        "--argstr",
        "files",
        json.dumps([str(f) for f in files]),
        "--argstr",
        "pkgsNames",
        json.dumps(_pkgs_names(files)),
        *extra,
    ]
    try:
        return subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            env=_env(exe, state),
            cwd=state,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        stderr = exc.stderr.decode() if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        raise NixEvalError(f"nix-instantiate timed out on {files}", stderr) from exc


def _tree_json(done: subprocess.CompletedProcess[str], what: str) -> dict[str, object]:
    if done.returncode != 0:
        raise NixEvalError(f"nix-instantiate could not evaluate {what}", done.stderr)
    data: object = json.loads(done.stdout)
    if not isinstance(data, dict):
        raise NixEvalError(f"unexpected output from eval-tree.nix for {what}", done.stdout)
    return data


def _records(data: dict[str, object], key: str) -> list[dict[str, object]]:
    items = data.get(key)
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise NixEvalError(f"malformed `{key}` from eval-tree.nix: {items!r}")
    return [dict(i) for i in items]


def _opt_int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _to_port(raw: dict[str, object]) -> NixPort:
    option, origin, state = raw.get("option"), raw.get("origin"), raw.get("state")
    path = raw.get("path")
    if (
        not isinstance(option, str)
        or origin not in ORIGINS
        or state not in ("known", "null", "absent", "error")
        or not isinstance(path, list)
    ):
        raise NixEvalError(f"malformed record from eval-tree.nix: {raw!r}")
    active = raw.get("active")
    name, type_, file = raw.get("name"), raw.get("type"), raw.get("file")
    return NixPort(
        option=option,
        origin=str(origin),
        port=_opt_int(raw.get("port")),
        state=state,
        end_port=_opt_int(raw.get("endPort")),
        name=name if isinstance(name, str) else None,
        file=file if isinstance(file, str) else "",
        type=type_ if isinstance(type_, str) else None,
        active=active if isinstance(active, bool) else None,
        merged=_opt_int(raw.get("merged")),
        wrapped=raw.get("wrapped") is True,
        path=tuple(str(p) for p in path),
    )


def _declared(data: dict[str, object]) -> frozenset[str]:
    declared = data.get("declared")
    if not isinstance(declared, list):
        raise NixEvalError(f"malformed `declared` from eval-tree.nix: {declared!r}")
    return frozenset(str(d) for d in declared)


def evaluate_tree_detailed(paths: Path | Iterable[Path]) -> NixTree:
    """Every contract port of the tree, and every option it declares.

    Config-side records are per definition (one per assignment, one per
    firewall list element), whether or not their mkIf conditions hold (`active`
    says): portlint reports definitions, not the merged result. When an error
    builtins.tryEval cannot catch aborts the run, the records are listed
    without forcing values and each is evaluated on its own; those that still
    fail get state "error" (active None).
    """
    exe = _nix_instantiate()
    if exe is None:
        raise NixEvalError("nix-instantiate not found on PATH")
    files = tree_files(paths)
    what = ", ".join(str(f) for f in files)
    with tempfile.TemporaryDirectory(prefix="portlint-nix-") as tmp:
        state = Path(tmp)
        done = _run_tree(exe, files, state)
        if done.returncode == 0:
            data = _tree_json(done, what)
            return NixTree(tuple(map(_to_port, _records(data, "ports"))), _declared(data))

        listed = _tree_json(_run_tree(exe, files, state, "--arg", "listOnly", "true"), what)
        ports: list[NixPort] = []
        for index, raw in enumerate(_records(listed, "ports")):
            one = _run_tree(exe, files, state, "--argstr", "only", str(index))
            records = _records(_tree_json(one, what), "ports") if one.returncode == 0 else []
            if len(records) == 1:
                ports.append(_to_port(records[0]))
            else:
                shell = _to_port({**raw, "state": "error", "port": None})
                ports.append(shell)
        return NixTree(tuple(ports), _declared(listed))


def evaluate_tree(paths: Path | Iterable[Path]) -> list[NixPort]:
    """The ports of a tree (a directory, a file, or several), judged by Nix."""
    return list(evaluate_tree_detailed(paths).ports)


def config_values(paths: Path | Iterable[Path], options: Iterable[str]) -> dict[str, NixValue]:
    """The merged config of the tree at each option path (showOption spelling).

    `defined` is False when the config has no such attribute (nobody declares or
    defines it: `osConfig.X or 8085` takes its fallback); state "error" when the
    value throws (an undeclared path only defined under a false mkIf is "used
    but not defined") or is not an int / null.
    """
    exe = _nix_instantiate()
    if exe is None:
        raise NixEvalError("nix-instantiate not found on PATH")
    files = tree_files(paths)
    wanted = list(dict.fromkeys(options))
    query = json.dumps([list(split_option(o)) for o in wanted])
    with tempfile.TemporaryDirectory(prefix="portlint-nix-") as tmp:
        state = Path(tmp)
        done = _run_tree(
            exe, files, state, "--argstr", "query", query, "--arg", "valuesOnly", "true"
        )
        data = _tree_json(done, ", ".join(str(f) for f in files))
        result: dict[str, NixValue] = {}
        for option, raw in zip(wanted, _records(data, "values"), strict=True):
            value_state = raw.get("state")
            if value_state not in ("known", "null", "error"):
                raise NixEvalError(f"malformed value from eval-tree.nix: {raw!r}")
            result[option] = NixValue(
                option=option,
                defined=raw.get("defined") is True,
                state=value_state,
                port=_opt_int(raw.get("port")),
            )
        return result
