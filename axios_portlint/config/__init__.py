"""Settings: `portlint.toml` (top-level keys) or `[tool.portlint]` in `pyproject.toml`.

The first folder, walking up from the current one, with either file decides;
there `portlint.toml` beats `pyproject.toml`, and a `pyproject.toml` without a
`[tool.portlint]` table does not count (as with ruff). Paths are relative to the
file's folder. Command-line flags override every setting.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from axios_portlint.config.listeners import (
    DEFAULT_LOCAL,
    DEFAULT_TAILSCALE,
    ROLE_KEYS,
    Listeners,
    classify,
)
from axios_portlint.discover.paths import display_path
from axios_portlint.discover.root import PYPROJECT_TOML, settings_file
from axios_portlint.model_base import Severity
from axios_portlint.rules import Selection, unknown_selectors

if TYPE_CHECKING:
    import tomllib

__all__ = [
    "KEYS",
    "ConfigError",
    "HostEntries",
    "Listeners",
    "Settings",
    "classify",
    "find_config",
    "load_settings",
    "read_settings",
]

_LIST_KEYS = (
    "paths",
    "exclude",
    "select",
    "ignore",
    "extend-select",
    "local-listeners",
    "tailscale-listeners",
)
_STRING_KEYS = ("registry", "fail-on", "format")
_BOOL_KEYS = ("no-registry",)
_TABLE_KEYS = ("hosts", "roles")
KEYS = frozenset(_LIST_KEYS + _STRING_KEYS + _BOOL_KEYS + _TABLE_KEYS)

# `[hosts]`: each host's name and its entry files or folders (absolute), in file order.
HostEntries = tuple[tuple[str, tuple[Path, ...]], ...]


class ConfigError(Exception):
    """A configuration file portlint cannot use: exit code 2, one line naming file and key."""

    def __init__(self, where: str, message: str) -> None:
        self.where = where
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True, slots=True)
class Settings:
    """What a configuration file says; None wherever it says nothing."""

    source: str | None = None  # the file, as displayed; None when there is none
    paths: tuple[Path, ...] | None = None
    registry: Path | None = None
    exclude: tuple[str, ...] | None = None
    selection: Selection = field(default_factory=Selection)
    fail_on: Severity | None = None
    format: str | None = None
    listeners: Listeners | None = None  # None: extraction's own classification
    no_registry: bool | None = None  # `no-registry = true`: run the rules that need no registry
    hosts: HostEntries | None = None  # `[hosts]`; None: the hosts the tree itself names


def find_config(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        found = settings_file(folder)
        if found is not None:
            return found
    return None


def load_settings(
    cwd: Path, explicit: Path | None = None, *, formats: Collection[str] = ()
) -> Settings:
    """The settings in effect for a run in `cwd` (`explicit` is `--config FILE`)."""
    path = explicit if explicit is not None else find_config(cwd)
    if path is None:
        return Settings()
    return read_settings(path if path.is_absolute() else cwd / path, cwd, formats=formats)


def read_settings(path: Path, cwd: Path, *, formats: Collection[str] = ()) -> Settings:
    shown = display_path(path, cwd)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(shown, "configuration file not found") from None
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not valid UTF-8"
        raise ConfigError(shown, f"cannot read configuration file: {reason}") from None
    import tomllib  # only a run with a settings file reads TOML

    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise _syntax_error(shown, text, error) from None
    table, label = _portlint_table(document, path.name, shown)
    reader = _Reader(table, _File(shown, label, text, pyproject=path.name == PYPROJECT_TOML))
    return reader.settings(path.parent, formats)


_TOML_POSITION = re.compile(r"\s*\(at line (?P<line>\d+), column (?P<column>\d+)\)$")


_TOML_AT_END = " (at end of document)"


def _syntax_error(shown: str, text: str, error: tomllib.TOMLDecodeError) -> ConfigError:
    # Python 3.11's TOMLDecodeError has the position only at the end of its message.
    message = str(error)
    position = _TOML_POSITION.search(message)
    if position is not None:
        where = f"{shown}:{position['line']}:{position['column']}"
        return ConfigError(where, f"invalid TOML: {message[: position.start()]}")
    if message.endswith(_TOML_AT_END):
        lines = text.split("\n")
        where = f"{shown}:{len(lines)}:{len(lines[-1]) + 1}"
        return ConfigError(
            where, f"invalid TOML: {message.removesuffix(_TOML_AT_END)} at end of file"
        )
    return ConfigError(shown, f"invalid TOML: {message}")


def _portlint_table(
    document: dict[str, object], name: str, shown: str
) -> tuple[Mapping[str, object], str]:
    if name != PYPROJECT_TOML:
        return document, ""
    tool = document.get("tool", {})
    table = tool.get("portlint", {}) if isinstance(tool, dict) else {}
    if not isinstance(table, dict):
        raise ConfigError(shown, "[tool.portlint] must be a table")
    return table, "[tool.portlint] "


@dataclass(frozen=True, slots=True)
class _File:
    shown: str
    label: str  # "[tool.portlint] " in pyproject.toml, "" in portlint.toml
    text: str
    pyproject: bool

    def error(self, key: str, message: str) -> ConfigError:
        return self.error_in(None, key, message)

    def error_in(self, table: str | None, key: str, message: str) -> ConfigError:
        """An error at `key` of the sub-table `table` (None: portlint's own table)."""
        prefix = "tool.portlint" if self.pyproject else None
        path = ".".join(part for part in (prefix, table) if part) or None
        line = _key_line(self.text, key, path)
        where = self.shown if line is None else f"{self.shown}:{line}"
        name = key if table is None else f"{table}.{key}"
        return ConfigError(where, f"{self.label}{name}: {message}")


class _Reader:
    def __init__(self, table: Mapping[str, object], file: _File) -> None:
        self._table = table
        self._file = file
        for key in table:
            if key not in KEYS:
                raise file.error(key, f"unknown key{_suggestion(key)}")

    def settings(self, folder: Path, formats: Collection[str]) -> Settings:
        paths = [self._existing(folder, "paths", p) for p in self._list("paths") or ()]
        registry = self._string("registry")
        fail_on = self._choice("fail-on", [str(s) for s in Severity])
        return Settings(
            source=self._file.shown,
            paths=tuple(paths) if "paths" in self._table else None,
            registry=None if registry is None else self._existing(folder, "registry", registry),
            exclude=self._tuple("exclude"),
            selection=Selection(
                select=self._selectors("select"),
                extend_select=self._selectors("extend-select") or (),
                ignore=self._selectors("ignore") or (),
            ),
            fail_on=None if fail_on is None else Severity(fail_on),
            format=self._choice("format", formats) if formats else self._string("format"),
            listeners=self._listeners(),
            no_registry=self._no_registry(registry),
            hosts=self._hosts(folder),
        )

    def _value(self, key: str, expected: type, description: str) -> object:
        value = self._table.get(key)
        if value is not None and not isinstance(value, expected):
            raise self._file.error(key, f"expected {description}, got {_toml_type(value)}")
        return value

    def _string(self, key: str) -> str | None:
        value = self._value(key, str, "a string")
        return value if isinstance(value, str) else None

    def _list(self, key: str) -> list[str] | None:
        value = self._value(key, list, "a list of strings")
        if not isinstance(value, list):
            return None
        for item in value:
            if not isinstance(item, str):
                raise self._file.error(
                    key, f"expected a list of strings, got a list holding {_toml_type(item)}"
                )
        return [str(item) for item in value]

    def _tuple(self, key: str) -> tuple[str, ...] | None:
        value = self._list(key)
        return None if value is None else tuple(value)

    def _choice(self, key: str, choices: Collection[str]) -> str | None:
        value = self._string(key)
        if value is not None and value not in choices:
            raise self._file.error(key, f"{value!r} is not one of {', '.join(choices)}")
        return value

    def _selectors(self, key: str) -> tuple[str, ...] | None:
        value = self._tuple(key)
        unknown = unknown_selectors(value or ())
        if unknown:
            raise self._file.error(key, f"unknown rule code or prefix {unknown[0]!r}")
        return value

    def _existing(self, folder: Path, key: str, value: str) -> Path:
        path = folder / value
        if not path.exists():
            raise self._file.error(key, f"{value!r} does not exist")
        return path

    def _no_registry(self, registry: str | None) -> bool | None:
        value = self._value("no-registry", bool, "true or false")
        if value is True and registry is not None:
            raise self._file.error("no-registry", "cannot be true while 'registry' names a file")
        return value if isinstance(value, bool) else None

    def _hosts(self, folder: Path) -> HostEntries | None:
        table = self._value("hosts", dict, "a table of host names to lists of entry files")
        if not isinstance(table, dict):
            return None
        hosts = []
        for name, entries in table.items():
            if not isinstance(entries, list) or not entries:
                got = "an empty list" if entries == [] else _toml_type(entries)
                raise self._file.error_in("hosts", name, f"expected a non-empty list, got {got}")
            hosts.append((name, tuple(self._host_entry(folder, name, e) for e in entries)))
        return tuple(hosts)

    def _host_entry(self, folder: Path, name: str, entry: object) -> Path:
        """A host's entry: a `.nix` file, or a folder with a default.nix, relative to `folder`."""
        if not isinstance(entry, str):
            got = f"a list holding {_toml_type(entry)}"
            raise self._file.error_in("hosts", name, f"expected a list of strings, got {got}")
        path = folder / entry
        is_module = path.suffix == ".nix" and path.is_file()
        if not is_module and not (path / "default.nix").is_file():
            raise self._file.error_in(
                "hosts", name, f"{entry!r} is neither a .nix file nor a folder with a default.nix"
            )
        return path

    def _listeners(self) -> Listeners | None:
        local = self._tuple("local-listeners")
        tailscale = self._tuple("tailscale-listeners")
        roles = self._roles()
        if local is None and tailscale is None and not roles:
            return None
        return Listeners(
            local=DEFAULT_LOCAL if local is None else local,
            tailscale=DEFAULT_TAILSCALE if tailscale is None else tailscale,
            rekind=local is not None or tailscale is not None,
            **roles,
        )

    def _roles(self) -> dict[str, tuple[str, ...]]:
        """`[roles]`: lists of option-path patterns per role (docs/listeners.md, Overrides)."""
        table = self._value("roles", dict, "a table")
        if not isinstance(table, dict):
            return {}
        known = [key for key, _role in ROLE_KEYS]
        found: dict[str, tuple[str, ...]] = {}
        owner: dict[str, str] = {}
        for key, value in table.items():
            if key not in known:
                message = f"unknown key (known keys: {', '.join(known)})"
                raise self._file.error_in("roles", key, message)
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                got = _toml_type(value) if not isinstance(value, list) else "a list of other values"
                raise self._file.error_in("roles", key, f"expected a list of strings, got {got}")
            for pattern in value:
                if owner.setdefault(pattern, key) != key:
                    message = f"pattern {pattern!r} is also in roles.{owner[pattern]}"
                    raise self._file.error_in("roles", key, message)
            found[key] = tuple(value)
        return found


def _suggestion(key: str) -> str:
    close = difflib.get_close_matches(key.replace("_", "-"), sorted(KEYS), n=1)
    if close:
        return f" (did you mean {close[0]!r}?)"
    return f" (known keys: {', '.join(sorted(KEYS))})"


def _toml_type(value: object) -> str:
    names = {str: "a string", bool: "a boolean", int: "an integer", float: "a float"}
    names |= {list: "a list", dict: "a table"}
    return next((name for kind, name in names.items() if type(value) is kind), "a date or time")


_HEADER = re.compile(r"^\s*\[\[?\s*(?P<name>[^\]]+?)\s*\]\]?\s*(#.*)?$")


def _key_line(text: str, key: str, table: str | None) -> int | None:
    """Where `key` is set in `table` (None: the top level), for the error message."""
    assignment = re.compile(rf"""^\s*(?P<q>["']?){re.escape(key)}(?P=q)\s*=""")
    current: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header is not None:
            current = header["name"].replace(" ", "").replace('"', "")
        elif current == table and assignment.match(line):
            return number
    return None
