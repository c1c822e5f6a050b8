"""The tree-level pass of extraction: fold what one file read from another.

Per-file extraction stays independent (so files can be parsed in parallel and
cached); a default such as `config.services.mpd.network.port + 1` is carried as
a `Pending` expression and folded here once every file's options are known.
"""

from __future__ import annotations

import posixpath
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import replace

from axios_portlint.extract.listeners import kind_of
from axios_portlint.extract.optionpaths import AT_FILE_TOP, UNPLACED, classify
from axios_portlint.extract.values import arithmetic
from axios_portlint.model import (
    FileResult,
    Origin,
    Pending,
    PendingOp,
    PendingRef,
    PortDecl,
    Protocol,
    SubmoduleUse,
    ValueState,
    split_option_path,
)

MAX_DEPTH = 64
# Values that set (or read) an option rather than declare one.
SETTINGS = (Origin.CONFIG, Origin.FALLBACK)


def default_of(option: str) -> str:
    """The expression of a value that is another option's default, as `ports` shows it."""
    return f"the default of {option}"


class _UnresolvedError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def link_results(results: Sequence[FileResult]) -> list[PortDecl]:
    """Every file's declarations, submodule files placed, pending values folded."""
    placed = place_submodule_files(results)
    defined_by = {path: result.path for result in placed for path in result.defines}
    return link([decl for result in placed for decl in result.decls], defined_by)


def link(decls: Sequence[PortDecl], defined_by: Mapping[str, str] | None = None) -> list[PortDecl]:
    """Fold pending values; `defined_by` maps option paths some config sets to that file."""
    declared: dict[str, PortDecl] = {}
    for decl in decls:
        if decl.origin is Origin.OPTION and decl.placed:
            declared.setdefault(decl.option, decl)
    linker = _Linker(declared, defined_by or {})
    linked = [linker.resolve(decl) if decl.pending is not None else decl for decl in decls]
    return [_with_declared_protocol(decl, declared) for decl in linked]


def _with_declared_protocol(decl: PortDecl, declared: Mapping[str, PortDecl]) -> PortDecl:
    """`services.resolver.port = 53;` binds what the option's declaration says it binds."""
    if decl.origin not in SETTINGS or decl.protocol is not Protocol.UNKNOWN:
        return decl
    target = declared.get(decl.option) or declared.get(decl.reads or "")
    if target is None or target.protocol is Protocol.UNKNOWN:
        return decl
    return replace(decl, protocol=target.protocol)


class _Linker:
    def __init__(self, declared: dict[str, PortDecl], defined_by: Mapping[str, str]) -> None:
        self.declared = declared
        self.defined_by = defined_by
        self.active: set[str] = set()

    def resolve(self, decl: PortDecl) -> PortDecl:
        assert decl.pending is not None
        chain: list[tuple[str, str]] = []
        try:
            value = self.evaluate(decl.pending, chain, 0)
        except _UnresolvedError as error:
            return replace(
                decl, port=None, state=ValueState.UNRESOLVED, pending=None, reason=error.reason
            )
        expression = decl.expression
        if isinstance(decl.pending, PendingRef) and expression == default_of(decl.pending.option):
            # `443 (the default of networking.tailscale.services.<name>.port at f.nix:25)`
            target = self.declared[decl.pending.option].location
            expression = f"{value} ({expression} at {target.file}:{target.line})"
        elif any(file != decl.location.file for _hop, file in chain):
            # Shown only when the value came from another file: within one file the
            # expression already says where it reads from.
            expression = f"{expression}  (= {value}: {'; '.join(hop for hop, _ in chain)})"
        return replace(
            decl,
            port=value,
            state=ValueState.KNOWN,
            pending=None,
            reason="",
            expression=expression,
        )

    def evaluate(self, pending: Pending, chain: list[tuple[str, str]], depth: int) -> int:
        if depth > MAX_DEPTH:
            raise _UnresolvedError("the chain of options read is too long to follow")
        if isinstance(pending, int):
            return pending
        if isinstance(pending, PendingOp):
            left = self.evaluate(pending.left, chain, depth + 1)
            right = self.evaluate(pending.right, chain, depth + 1)
            return _apply(pending.operator, left, right)
        return self.read(pending, chain, depth)

    def read(self, ref: PendingRef, chain: list[tuple[str, str]], depth: int) -> int:
        target = self.declared.get(ref.option)
        if target is None:
            raise _UnresolvedError(f"reads config.{ref.option}, which no file in the tree declares")
        if ref.option in self.defined_by:
            raise _UnresolvedError(
                f"config.{ref.option} is also set in {self.defined_by[ref.option]}, "
                "so its value is not just the declared default"
            )
        if ref.option in self.active:
            raise _UnresolvedError(f"config.{ref.option} depends on itself")
        self.active.add(ref.option)
        try:
            if target.pending is not None:
                value = self.evaluate(target.pending, chain, depth + 1)
            elif target.state is ValueState.KNOWN and target.port is not None:
                value = target.port
            else:
                raise _UnresolvedError(f"reads {ref.option}, whose default is {target.state}")
        finally:
            self.active.discard(ref.option)
        where = f"{target.location.file}:{target.location.line}"
        chain.append((f"{ref.option} = {value} at {where}", target.location.file))
        return value


def _apply(operator: str, left: int, right: int) -> int:
    value = arithmetic(operator, left, right)
    if value is None:
        raise _UnresolvedError("divides by zero")
    return value


# -- submodule files ---------------------------------------------------------------

MAX_PREFIXES = 64  # a file used as a submodule in more places than this stays as it is


def place_submodule_files(results: Sequence[FileResult]) -> list[FileResult]:
    """Each file another file uses as a submodule, its options under that submodule.

    A use names its file by display path (a folder means its default.nix); the
    options of a file used as a submodule in N places appear N times, never at the
    root. Uses nest: a submodule file's own submodule files get both prefixes.
    """
    by_path = {result.path: result for result in results}
    incoming: dict[str, list[tuple[str, SubmoduleUse]]] = defaultdict(list)
    for result in results:
        for use in result.submodules:
            target = _checked(use.target, by_path)
            if target is not None and target != result.path:
                incoming[target].append((result.path, use))
    if not any(use.prefix for uses in incoming.values() for _source, use in uses):
        return list(results)  # imports alone, and no submodule: every file stays as it is
    placer = _Placer(incoming)
    return [placer.place(result) if result.path in incoming else result for result in results]


def _checked(target: str, by_path: Mapping[str, FileResult]) -> str | None:
    for candidate in (target, posixpath.join(target, "default.nix")):
        if candidate in by_path:
            return candidate
    return None


ROOT = ("", False)  # the prefix of a file no submodule holds
# An option set read whole (`options = import ./settings.nix args;`) has no path while
# its file is read, so its evidence is not weighed: listed, out of PL001 until [roles].
NOT_JUDGED = "placed from an option-set file, not judged: name it under [roles]"


class _Placer:
    def __init__(self, incoming: Mapping[str, list[tuple[str, SubmoduleUse]]]) -> None:
        self.incoming = incoming
        self.memo: dict[str, list[tuple[str, bool]]] = {}
        self.cut = False

    def prefixes(self, path: str, visiting: frozenset[str] = frozenset()) -> list[tuple[str, bool]]:
        """Every (option path, options only) the file's options sit under; ROOT for none."""
        if path not in self.incoming:
            return [ROOT]
        if path in self.memo:
            return self.memo[path]
        outer_cut, self.cut = self.cut, False
        found: list[tuple[str, bool]] = []
        for source, use in self.incoming[path]:
            if source in visiting or source == path:
                self.cut = True  # a cycle of files: the module system would not end either
                continue
            for above, _only in self.prefixes(source, visiting | {path}):
                prefix = ".".join(part for part in (above, use.prefix) if part)
                found.append((prefix, use.options_only))
        found = list(dict.fromkeys(found))[:MAX_PREFIXES] or [ROOT]
        if not self.cut:  # an answer cut short by a cycle holds only on that way in
            self.memo[path] = found
        self.cut = self.cut or outer_cut
        return found

    def place(self, result: FileResult) -> FileResult:
        prefixes = self.prefixes(result.path)
        if prefixes == [ROOT]:
            return result
        decls = [placed for decl in result.decls for placed in _under(decl, prefixes)]
        defines = tuple(
            f"{prefix}.{option}" if prefix else option
            for prefix, only in prefixes
            if not only
            for option in result.defines
        )
        return replace(result, decls=tuple(decls), defines=defines)


def _under(decl: PortDecl, prefixes: list[tuple[str, bool]]) -> list[PortDecl]:
    """The declaration under each prefix that fits it; as it is when none does."""
    if decl.placed:
        placed = [
            _prefixed(decl, prefix, decl.option) if prefix else decl
            for prefix, only in prefixes
            if not only
        ]
        return placed or [decl]
    if not decl.reason.endswith(AT_FILE_TOP) or not decl.option.startswith(f"{UNPLACED}."):
        return [decl]
    relative = decl.option.removeprefix(f"{UNPLACED}.")
    placed = [_prefixed(decl, prefix, relative) for prefix, only in prefixes if only and prefix]
    return placed or [decl]


def _prefixed(decl: PortDecl, prefix: str, relative: str) -> PortDecl:
    option = f"{prefix}.{relative}"
    kind = decl.kind
    if decl.origin in (Origin.OPTION, Origin.CONFIG):
        # The verdict came with the file (its evidence is read there); the path only
        # says which listener kind a listener is. A client stays out of PL001.
        kind = kind_of(decl.role, classify(tuple(split_option_path(option))))
    reason, why = decl.reason, decl.why
    if not decl.placed:
        reason = "" if decl.state is ValueState.KNOWN else "the value is not an integer"
        why = NOT_JUDGED
    pending = None if decl.pending is None else _prefixed_pending(decl.pending, prefix)
    return replace(
        decl, option=option, kind=kind, placed=True, reason=reason, why=why, pending=pending
    )


def _prefixed_pending(pending: Pending, prefix: str) -> Pending:
    """`config.port` inside a submodule file is the submodule's own option."""
    if isinstance(pending, int):
        return pending
    if isinstance(pending, PendingRef):
        return PendingRef(f"{prefix}.{pending.option}")
    left = _prefixed_pending(pending.left, prefix)
    return PendingOp(pending.operator, left, _prefixed_pending(pending.right, prefix))
