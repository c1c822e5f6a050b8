"""Generators and helpers for the fuzz tests (tests/test_fuzz.py).

`make test` runs every property with a small number of examples; `make fuzz`
sets PORTLINT_FUZZ=1, which multiplies them (see `examples`).
"""

from __future__ import annotations

import os

FUZZ_ENV = "PORTLINT_FUZZ"
# How many times more examples `make fuzz` tries than `make test`.
FUZZ_FACTOR = int(os.environ.get("PORTLINT_FUZZ_FACTOR", "80"))


def fuzzing() -> bool:
    return os.environ.get(FUZZ_ENV, "") not in ("", "0")


def examples(base: int) -> int:
    """`base` examples in `make test`, FUZZ_FACTOR times as many in `make fuzz`."""
    return base * FUZZ_FACTOR if fuzzing() else base
