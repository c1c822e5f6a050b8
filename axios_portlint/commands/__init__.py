"""The commands: what `portlint check`, `ports`, `hosts`, `registry sync`, `suggest`, `graph`,
`explain` and `rules` do, over the pipeline, with the CLI's parsing left out.

A command takes the run's resolved `Options` (and its own arguments) and returns
an `Outcome`: what to print and the exit status. Only commands that write a
user's file (`registry sync`, `graph --output`) touch the file system beyond
reading. Each module imports the pipeline inside its functions, so that the CLI
can import every command at start-up and `--version` still starts in a blink.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["EXIT_FINDINGS", "EXIT_OK", "Outcome"]

EXIT_OK = 0
EXIT_FINDINGS = 1  # a finding at or above --fail-on, a stale registry, a full range


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a command hands back: standard output, standard error and the exit status."""

    stdout: str = ""
    stderr: str = ""  # whole lines, each ending with a newline
    exit_code: int = EXIT_OK
