"""Random byte mutations of real fixtures: the inputs portlint meets when an edit goes wrong."""

from __future__ import annotations

from pathlib import Path

from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"

NIX_FIXTURES = tuple(sorted(FIXTURES.rglob("*.nix")))
REGISTRY_FIXTURES = (ROOT / "ports.md", *sorted((FIXTURES / "registry").glob("*.md")))

# Tokens that matter to the Nix lexer, to markdown tables, to suppressions and to
# the decoders: inserting them breaks inputs in the ways that reach deep code.
TOKENS = (
    b"{",
    b"}",
    b";",
    b"=",
    b"''",
    b'"',
    b"${",
    b"#",
    b"/*",
    b"*/",
    b"let ",
    b" in ",
    b"with ",
    b"rec ",
    b"inherit ",
    b"or ",
    b".",
    b"(",
    b")",
    b"[",
    b"]",
    b":",
    b"@",
    b"...",
    b"mkOption",
    b"default = ",
    b"types.port",
    b"cfg.port",
    b"\r\n",
    b"\n",
    b"\t",
    b"\0",
    b"\xff",
    b"\xc3",
    b"\xe2\x80\x94",
    b"|",
    b"\\|",
    b"-",
    b"`",
    b"*",
    b"<!--",
    b"-->",
    b"# portlint: ignore[PL001]",
    b"<!-- portlint: ignore[PL008] -->",
    b"8080",
    b"0",
    b"65536",
    b"-1",
    b"80.5",
    b"8080-80",
    b"99999999999999999999999",
    b"\\",
    b"\xef\xbb\xbf",
)


@st.composite
def mutations(draw: st.DrawFn, data: bytes) -> bytes:
    """1 to 8 edits: flip, insert, delete, duplicate, token, truncate, swap lines."""
    for _ in range(draw(st.integers(1, 8))):
        size = len(data)
        at = draw(st.integers(0, size))
        op = draw(
            st.sampled_from(
                ["flip", "insert", "delete", "duplicate", "token", "token", "truncate", "lines"]
            )
        )
        if op == "flip" and size:
            at = min(at, size - 1)
            data = data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1 :]
        elif op == "insert":
            data = data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at:]
        elif op == "delete":
            data = data[:at] + data[at + draw(st.integers(1, 64)) :]
        elif op == "duplicate":
            end = min(size, at + draw(st.integers(1, 200)))
            data = data[:end] + data[at:end] + data[end:]
        elif op == "token":
            data = data[:at] + draw(st.sampled_from(TOKENS)) + data[at:]
        elif op == "truncate":
            data = data[:at]
        elif op == "lines":
            lines = data.split(b"\n")
            i = draw(st.integers(0, len(lines) - 1))
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
            data = b"\n".join(lines)
    return data


@st.composite
def mutated_fixture(draw: st.DrawFn, fixtures: tuple[Path, ...]) -> tuple[str, bytes]:
    path = draw(st.sampled_from(fixtures))
    return path.relative_to(FIXTURES.parent.parent).as_posix(), draw(mutations(path.read_bytes()))
