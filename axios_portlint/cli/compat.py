"""The parts of click the CLI handles itself, taken from whichever click typer runs on.

typer up to 0.25 runs on the `click` distribution and re-exports click's classes. typer
0.26 and later (nixpkgs ships 0.27) no longer depend on `click`: they carry their own
copy as the private module `typer._click`, whose exceptions are different classes. So
`import click` fails there (`ModuleNotFoundError`), and even with click installed,
`except click.ClickException` would miss every usage error typer raises and turn
`portlint --bogus` into an internal error. Both are taken from what typer exports.
"""

from __future__ import annotations

from typing import Final

import typer


def _click_exception() -> type[Exception]:
    """The base class of every error click shows to a user instead of a traceback.

    `typer.BadParameter` is click's BadParameter in every typer release (the `click`
    package's, or the vendored copy's), and click's ClickException is among its bases.
    """
    for base in typer.BadParameter.__mro__:
        if base.__name__ == "ClickException" and issubclass(base, Exception):
            return base
    raise ImportError(f"typer {typer.__version__}: no ClickException among BadParameter's bases")


ClickException: Final[type[Exception]] = _click_exception()


def error_message(error: Exception) -> str:
    """The message click would print after "Error: ", on one line."""
    format_message = getattr(error, "format_message", None)
    text = format_message() if callable(format_message) else str(error)
    return " ".join(str(text).split())


def command_path(error: Exception) -> str | None:
    """`portlint check` for a usage error raised while parsing `check`'s options."""
    # Usage errors carry the click context they were raised in; other ClickExceptions
    # (a file that cannot be opened) carry none.
    path = getattr(getattr(error, "ctx", None), "command_path", None)
    return path if isinstance(path, str) and path else None
