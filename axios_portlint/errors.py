"""The error every stage may raise for a usage or configuration problem (exit code 2).

It lives apart from the pipeline so that the CLI can catch it without importing
the pipeline at start-up.
"""

from __future__ import annotations


class UsageError(Exception):
    """A problem with how portlint was called or configured: exit code 2."""
