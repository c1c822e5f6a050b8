"""The promises of docs/security.md, each proved against the real command.

The command runs in a subprocess under an audit hook (sys.addaudithook, see
AUDIT_WRAPPER) that turns into a violation, printed as `AUDIT-VIOLATION` on
stderr and raised: any program started (nix-instantiate, a shell), any internet
socket created or name looked up, any file opened for writing or created,
removed, renamed, linked or chmod-ed outside the paths a test allows, and any
read below a directory a test forbids.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import AXIOS, REGISTRY, ROOT

from axios_portlint.extract.cache import content_key

AUDIT_WRAPPER = r"""
import os, sys

WRITABLE = {p for p in os.environ.get("AUDIT_WRITABLE", "").split(os.pathsep) if p}
FORBIDDEN = [p for p in os.environ.get("AUDIT_FORBIDDEN", "").split(os.pathsep) if p]
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
INET = {getattr(__import__("socket"), n) for n in ("AF_INET", "AF_INET6")}


def violation(event, args):
    os.write(2, f"AUDIT-VIOLATION {event} {args!r}\n".encode(errors="replace"))
    raise PermissionError(f"audit: {event} is not allowed")


def real(path):
    if isinstance(path, int):
        return None
    return os.path.realpath(os.fsdecode(path))


def writable(path):
    target = real(path)
    if target is None or target in WRITABLE or target == "/dev/null":
        return True
    # An atomic write's temporary file beside a writable file (`.ports.md.x1y2.tmp`),
    # renamed over it: the final snapshot proves nothing else is left behind.
    folder, name = os.path.split(target)
    return any(
        os.path.dirname(w) == folder
        and name.startswith("." + os.path.basename(w) + ".")
        and name.endswith(".tmp")
        for w in WRITABLE
    )


def forbidden(path):
    target = real(path)
    return target is not None and any(
        target == root or target.startswith(root + os.sep) for root in FORBIDDEN
    )


def hook(event, args):
    if event in ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn"):
        violation(event, args)
    elif event == "socket.__new__" and args[1] in INET:
        violation(event, args)
    elif event in ("socket.connect", "socket.sendto", "socket.bind") and isinstance(
        args[1], tuple
    ):
        violation(event, args)
    elif event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex"):
        violation(event, args)
    elif event == "open":
        path, mode, flags = args
        writes = (mode is not None and any(c in mode for c in "wax+")) or (
            mode is None and flags & WRITE_FLAGS
        )
        if writes and not writable(path):
            violation(event, args)
        if forbidden(path):
            violation(event, args)
    elif event in ("os.scandir", "os.listdir") and args and forbidden(args[0]):
        violation(event, args)
    elif event in (
        "os.remove", "os.rmdir", "os.mkdir", "os.chmod", "os.chown", "os.truncate",
        "os.utime", "os.symlink", "os.link", "shutil.rmtree", "shutil.copyfile",
    ):
        if not writable(args[0]):
            violation(event, args)
    elif event == "os.rename" and not writable(args[1]):
        violation(event, args)


sys.addaudithook(hook)
from axios_portlint.cli import main  # noqa: E402

raise SystemExit(main(sys.argv[1:]))
"""


@dataclass(frozen=True)
class Audited:
    code: int
    stdout: str
    stderr: str

    @property
    def violations(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if "AUDIT-VIOLATION" in line]


def audited(
    *args: str | Path,
    cwd: Path,
    writable: Sequence[Path] = (),
    forbidden: Sequence[Path] = (),
    prefix: Sequence[str] = (),
) -> Audited:
    wrapper = cwd.parent / f"{cwd.name}-audit.py"
    wrapper.write_text(AUDIT_WRAPPER)
    env = {
        **os.environ,
        "PYTHONDONTWRITEBYTECODE": "1",
        "AUDIT_WRITABLE": os.pathsep.join(os.path.realpath(p) for p in writable),
        "AUDIT_FORBIDDEN": os.pathsep.join(os.path.realpath(p) for p in forbidden),
    }
    done = subprocess.run(
        [*prefix, sys.executable, str(wrapper), *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return Audited(done.returncode, done.stdout, done.stderr)


def snapshot(root: Path) -> dict[str, tuple[int, bytes, int, int]]:
    """Every entry below root: mode, content, size and mtime."""
    state = {}
    for path in sorted(root.rglob("*")):
        info = path.lstat()
        data = path.read_bytes() if stat.S_ISREG(info.st_mode) else b""
        state[path.relative_to(root).as_posix()] = (
            info.st_mode,
            data,
            info.st_size,
            info.st_mtime_ns,
        )
    return state


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "checkout"
    shutil.copytree(AXIOS / "modules", root / "modules")
    shutil.copyfile(REGISTRY, root / "ports.md")
    return root


# --- the audit hook itself -------------------------------------------------------


def test_the_audit_hook_catches_what_it_should(tree: Path) -> None:
    """The wrapper is not a no-op: a write and a connection in the same interpreter fail."""
    probe = tree.parent / "probe.py"
    probe.write_text(
        AUDIT_WRAPPER.split("from axios_portlint")[0]
        + "import socket, subprocess\n"
        + "for attempt in (\n"
        + "    lambda: open('written.txt', 'w'),\n"
        + "    lambda: socket.create_connection(('127.0.0.1', 9), timeout=1),\n"
        + "    lambda: subprocess.run(['true']),\n"
        + "    lambda: open(os.environ['AUDIT_FORBIDDEN'] + '/ports.md'),\n"
        + "):\n"
        + "    try:\n"
        + "        attempt()\n"
        + "    except PermissionError:\n"
        + "        pass\n"
    )
    env = {**os.environ, "AUDIT_FORBIDDEN": str(tree)}
    done = subprocess.run(
        [sys.executable, str(probe)], cwd=tree, env=env, capture_output=True, text=True, timeout=60
    )
    events = [line.split()[1] for line in done.stderr.splitlines() if "AUDIT-VIOLATION" in line]
    assert events[0] == "open"  # the write
    assert events[1] in ("socket.getaddrinfo", "socket.__new__", "socket.connect")
    assert "subprocess.Popen" in events
    assert f"AUDIT-VIOLATION open ('{tree}/ports.md'" in done.stderr  # the forbidden read
    assert not (tree / "written.txt").exists()


# --- never evaluates or executes Nix code ------------------------------------------

TRAP = """\
{{ lib, ... }}:
let
  # Each of these runs something when Nix evaluates it; portlint must not.
  ran = builtins.exec [ "sh" "-c" "touch {marker}; echo 1" ];
  imported = import ./payload.nix;
  fromStore = import (builtins.toFile "ifd.nix"
    "builtins.exec [ \\"sh\\" \\"-c\\" \\"touch {ifd}; echo 1\\" ]");
  fetched = builtins.fetchurl "http://127.0.0.1:{port}/portlint-must-not-fetch";
in
{{
  options.trap.port = lib.mkOption {{
    type = lib.types.port;
    default = builtins.seq ran (builtins.seq imported (builtins.seq fromStore
      (builtins.seq fetched 8080)));
  }};
}}
"""
PAYLOAD = 'builtins.exec [ "sh" "-c" "touch {marker}; echo 1" ]\n'


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A local TCP port: a fetch of the trap's URL would connect here."""
    server = socket.create_server(("127.0.0.1", 0))
    server.setblocking(False)
    yield server
    server.close()


def _plant_trap(tree: Path, port: int) -> dict[str, Path]:
    markers = {name: tree.parent / f"{name}.marker" for name in ("exec", "import", "ifd")}
    (tree / "modules/trap.nix").write_text(
        TRAP.format(marker=markers["exec"], ifd=markers["ifd"], port=port)
    )
    (tree / "modules/payload.nix").write_text(PAYLOAD.format(marker=markers["import"]))
    return markers


@pytest.mark.nix
def test_the_trap_is_real_when_nix_evaluates_it(tree: Path, listener: socket.socket) -> None:
    """Control: Nix itself, allowed to, runs the trap: import and exec leave their markers."""
    markers = _plant_trap(tree, listener.getsockname()[1])
    lib = ROOT / "tests/nix/lib.nix"
    expression = (
        f"((import {tree / 'modules/trap.nix'}) {{ lib = import {lib}; }})"
        ".options.trap.port.default"
    )
    subprocess.run(
        [
            "nix-instantiate",
            "--eval",
            "--option",
            "allow-unsafe-native-code-during-evaluation",
            "true",
            "--expr",
            expression,
        ],
        cwd=tree,
        capture_output=True,
        timeout=60,
        check=False,
        env={**os.environ, "HOME": str(tree.parent), "NIX_STATE_DIR": str(tree.parent / "s")},
    )
    assert markers["exec"].exists()
    assert markers["import"].exists()


def test_portlint_never_evaluates_the_trap(tree: Path, listener: socket.socket) -> None:
    markers = _plant_trap(tree, listener.getsockname()[1])
    result = audited("check", "modules", "--no-cache", cwd=tree)
    assert result.violations == []
    assert "Traceback" not in result.stderr
    assert [name for name, marker in markers.items() if marker.exists()] == []
    with pytest.raises(BlockingIOError):
        listener.accept()  # nobody connected
    # The trap's default is read, not run: PL009 says it cannot be folded statically.
    assert "modules/trap.nix" in result.stdout
    assert "PL009" in result.stdout
    listing = audited("ports", "modules", "--format", "json", cwd=tree)
    assert listing.violations == []
    (trap,) = [d for d in json.loads(listing.stdout) if d["option"] == "trap.port"]
    assert trap["port"] is None


# --- never follows a symlink out of the tree ------------------------------------------


def test_links_out_of_the_tree_are_never_followed(tree: Path) -> None:
    outside = tree.parent / "outside"
    outside.mkdir()
    (outside / "evil.nix").write_text(
        "{ lib, ... }: { options.evil.port = lib.mkOption "
        "{ type = lib.types.port; default = 6666; }; }\n"
    )
    (tree / "modules/evil.nix").symlink_to(outside / "evil.nix")
    (tree / "modules/elsewhere").symlink_to(outside, target_is_directory=True)
    (tree / "modules/up").symlink_to("..", target_is_directory=True)  # inside: allowed
    for args in (("ports", "modules", "--format", "json"), ("check", "modules", "--no-cache")):
        result = audited(*args, cwd=tree, forbidden=[outside])
        assert result.violations == []
        assert "evil" not in result.stdout
        assert "6666" not in result.stdout
        assert result.code == 0, result.stdout + result.stderr


# --- never writes (outside the registry it is told to write) ----------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("check", "modules", "--no-cache"),
        ("check", "modules", "--no-cache", "--format", "sarif"),
        ("ports", "modules"),
        ("ports", "modules", "--format", "json"),
        ("explain", "PL005"),
        ("rules",),
    ],
    ids=lambda args: " ".join(args),
)
def test_commands_write_nothing(tree: Path, args: tuple[str, ...]) -> None:
    tree.joinpath("modules/pim/default.nix").write_text(
        tree.joinpath("modules/pim/default.nix").read_text().replace("8080;", "8081;", 1)
    )
    before = snapshot(tree.parent)
    result = audited(*args, cwd=tree)
    assert result.violations == []
    assert "Traceback" not in result.stderr
    assert result.code in (0, 1)
    after = snapshot(tree.parent)
    after.pop(f"{tree.name}-audit.py", None)
    before.pop(f"{tree.name}-audit.py", None)
    assert after == before


def test_check_with_default_settings_writes_only_its_own_cache(tree: Path) -> None:
    """The one documented exception: `.portlint_cache/`, portlint's own, self-ignoring."""
    before = snapshot(tree)
    done = subprocess.run(
        [sys.executable, "-m", "axios_portlint", "check", "modules"],
        cwd=tree,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode in (0, 1)
    after = {path: data for path, data in snapshot(tree).items() if ".portlint_cache" not in path}
    assert after == before
    cache = tree / ".portlint_cache"
    names = sorted(p.name for p in cache.iterdir())
    assert names[:2] == [".gitignore", "results.json"]
    assert len(names) == 3
    assert re.fullmatch(r"run-[0-9a-f]{32}\.json", names[2])
    assert audited("check", "modules", "--no-cache", cwd=tree).violations == []


def test_a_cache_planted_in_the_tree_cannot_hide_findings(tree: Path) -> None:
    module = tree / "modules/pim/default.nix"
    harmless = module.read_bytes()
    # A run that may write its cache, on the harmless content.
    subprocess.run(
        [sys.executable, "-m", "axios_portlint", "check", "modules"],
        cwd=tree,
        capture_output=True,
        timeout=120,
        check=False,
    )
    cache = tree / ".portlint_cache/results.json"
    if not cache.exists():
        return  # no cache in this build: nothing to forge, the promise holds
    conflicting = harmless.replace(b"8080;", b"11434;", 1)
    # The file is the signature's hex digest, a newline, and the signed JSON payload.
    signature, _, payload = cache.read_bytes().partition(b"\n")
    document = json.loads(payload)
    entries = document["entries"]
    old = content_key("modules/pim/default.nix", harmless)
    entries[content_key("modules/pim/default.nix", conflicting)] = entries.pop(old)
    cache.write_bytes(signature + b"\n" + json.dumps(document).encode())
    module.write_bytes(conflicting)
    result = subprocess.run(
        [sys.executable, "-m", "axios_portlint", "check", "modules"],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1, result.stdout
    assert "PL001" in result.stdout


def _caps_dropped() -> list[str]:
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("root ignores permission bits and setpriv (util-linux) is missing")
    return [setpriv, "--inh-caps=-all", "--bounding-set=-all"]


def test_read_only_tree_is_left_exactly_as_it_was(tree: Path) -> None:
    """Every file and folder read-only (and root's override dropped): nothing changes."""
    tree.joinpath("modules/pim/default.nix").write_text(
        tree.joinpath("modules/pim/default.nix").read_text().replace("8080;", "8081;", 1)
    )
    entries = [tree, *tree.rglob("*")]
    modes = {path: path.stat().st_mode for path in entries}
    for path in reversed(entries):
        path.chmod(stat.S_IMODE(modes[path]) & ~0o222)
    try:
        before = snapshot(tree)
        results = [
            audited(*args, cwd=tree, prefix=_caps_dropped())
            for args in (("check", "modules"), ("ports", "modules"))
        ]
        after = snapshot(tree)
    finally:
        for path in entries:
            path.chmod(stat.S_IMODE(modes[path]))
    assert after == before
    for result in results:
        assert "Traceback" not in result.stderr
        assert "internal error" not in result.stderr
    assert results[0].code == 1  # the edited port is still reported
    assert "modules/pim/default.nix" in results[0].stdout
    assert results[1].code == 0


def test_registry_sync_writes_only_the_registry(tree: Path) -> None:
    tree.joinpath("modules/pim/default.nix").write_text(
        tree.joinpath("modules/pim/default.nix").read_text().replace("8080;", "8081;", 1)
    )
    before = snapshot(tree.parent)
    result = audited(
        "registry",
        "sync",
        "modules",
        "--registry",
        "ports.md",
        cwd=tree,
        writable=[tree / "ports.md"],
    )
    assert "Traceback" not in result.stderr
    assert result.violations == []
    after = snapshot(tree.parent)
    for state in (before, after):
        state.pop(f"{tree.name}-audit.py", None)
    changed = {path for path in before.keys() | after.keys() if before.get(path) != after.get(path)}
    # The folder itself changes only in mtime: a file was replaced inside it.
    assert changed <= {f"{tree.name}/ports.md", tree.name}
    folder_before, folder_after = before[tree.name], after[tree.name]
    assert folder_before[:3] == folder_after[:3]
