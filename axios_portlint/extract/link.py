"""The tree-level pass of extraction: fold what one file read from another.

Per-file extraction stays independent (so files can be parsed in parallel and
cached); a default such as `config.services.mpd.network.port + 1` is carried as
a `Pending` expression and folded here once every file's options are known.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from axios_portlint.extract.values import arithmetic
from axios_portlint.model import (
    Origin,
    Pending,
    PendingOp,
    PendingRef,
    PortDecl,
    Protocol,
    ValueState,
)

MAX_DEPTH = 64
# Values that set (or read) an option rather than declare one.
SETTINGS = (Origin.CONFIG, Origin.FALLBACK)


class _UnresolvedError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


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
        if any(file != decl.location.file for _hop, file in chain):
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
