"""Ask the real Nix evaluator what a module's port options default to.

The judge for extraction tests: `tests/nix/eval-options.nix` evaluates one module
file against the stub lib in `tests/nix/lib.nix` with `nix-instantiate`, and this
module turns its JSON into `{option path: default}`.

A default is an int, None (a null default, or no default at all), or ERROR when
Nix could not evaluate it (it throws, is not an int, or needs something outside
the file such as `pkgs.foo` or another module's option).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal, TypeAlias

__all__ = [
    "ERROR",
    "EVAL_OPTIONS_NIX",
    "NixEvalError",
    "PortDefault",
    "PortOption",
    "evaluate_port_options",
    "evaluate_port_options_detailed",
    "nix_available",
]

ERROR: Final = "<error>"
PortDefault: TypeAlias = int | Literal["<error>"] | None

EVAL_OPTIONS_NIX: Final = Path(__file__).resolve().parent / "nix" / "eval-options.nix"
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


def _run(exe: str, module: Path, state: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.pathsep.join([str(Path(exe).parent), "/usr/bin", "/bin"]),
        "HOME": str(state),
        "NIX_STATE_DIR": str(state / "state"),
        "NIX_LOG_DIR": str(state / "log"),
        "NIX_PATH": "",
        "LANG": "C.UTF-8",
    }
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
