"""`make bench`: time portlint against Nix's own parser on synthetic module trees.

Generates deterministic corpora of realistic module files (most without ports,
as in real trees), then times, side by side: the full `portlint check` in a new
process, raw tree-sitter parsing in one process (the floor for our parser),
`nix-instantiate --parse` over the same files in one invocation, and the
start-up cost of `portlint --version`.
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import tree_sitter_nix
from tree_sitter import Language, Parser

SIZES = {"small": 100, "large": 3_500, "huge": 20_000}
PORT_SHARE = 0.1  # about one file in ten declares a port, as in the axios tree

DESCRIPTION = (
    "This option controls the behaviour of the service in a way that needs a long, "
    "multi-sentence description, as real NixOS modules have. "
)


def port_module(rng: random.Random, index: int) -> str:
    name = f"svc{index}"
    port = 20_000 + index
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


def generate(root: Path, count: int) -> list[Path]:
    rng = random.Random(count)
    files = []
    for index in range(count):
        folder = root / "modules" / f"group{index % 50}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"m{index}.nix"
        is_port = rng.random() < PORT_SHARE
        path.write_text(port_module(rng, index) if is_port else plain_module(rng, index))
        files.append(path)
    (root / "ports.md").write_text(
        "| Service | Local Port | Tailscale Port |\n|---|---|---|\n| x | 1 | - |\n"
    )
    return files


def timed(action: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - start)
    return best


def run(args: list[str], cwd: Path) -> None:
    subprocess.run(args, cwd=cwd, check=False, capture_output=True)


def raw_parse(files: list[Path]) -> None:
    parser = Parser(Language(tree_sitter_nix.language()))
    for path in files:
        parser.parse(path.read_bytes())


def bench(size: str, repeat: int) -> list[str]:
    count = SIZES[size]
    portlint = str(Path(sys.executable).parent / "portlint")
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        files = generate(root, count)
        megabytes = sum(f.stat().st_size for f in files) / 1e6
        relative = [str(f.relative_to(root)) for f in files]
        results: dict[str, float] = {}
        if shutil.which("nix-instantiate"):
            results["nix-instantiate --parse"] = timed(
                lambda: run(["nix-instantiate", "--parse", *relative], root), repeat
            )
        results["tree-sitter parse (in process)"] = timed(lambda: raw_parse(files), repeat)
        results["portlint check (new process)"] = timed(
            lambda: run([portlint, "check", "modules"], root), repeat
        )
        results["portlint --version"] = timed(lambda: run([portlint, "--version"], root), repeat)
    nix = results.get("nix-instantiate --parse")
    lines = [f"{size}: {count} files, {megabytes:.1f} MB"]
    for label, seconds in results.items():
        ratio = f"{seconds / nix:.2f}x nix" if nix else "n/a"
        lines.append(f"  {label:34s} {seconds:8.3f} s   {ratio}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "sizes", nargs="*", help=f"any of {', '.join(SIZES)} (default: small large)"
    )
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    unknown = set(options.sizes) - set(SIZES)
    if unknown:
        parser.error(f"unknown size: {', '.join(sorted(unknown))}")
    for size in options.sizes or ["small", "large"]:
        print("\n".join(bench(size, options.repeat)), flush=True)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak child memory: {peak:.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
