"""Discovery against small axios-like trees built in tmp_path."""

from __future__ import annotations

import os
import threading
from fnmatch import fnmatchcase
from pathlib import Path

import pytest

from axios_portlint.discover import (
    DEFAULT_MAX_BYTES,
    Discovery,
    DiscoveryError,
    discover,
)
from axios_portlint.discover.excludes import ExcludeMatcher, _expand
from axios_portlint.model import FileProblem

MODULE = b"{ config, lib, ... }: { options.services.x.port = lib.mkOption { }; }\n"


def write(path: Path, data: bytes = MODULE) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def symlink(link: Path, target: str) -> Path:
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(target)
    return link


@pytest.fixture
def axios(tmp_path: Path) -> Path:
    """A checkout with the shape of axios: modules/ with defaults and named files."""
    for rel in (
        "modules/pim/default.nix",
        "modules/services/immich.nix",
        "modules/services/default.nix",
        "modules/ai/webui.nix",
        "modules/ai/default.nix",
        "modules/default.nix",
        "flake.nix",
    ):
        write(tmp_path / rel)
    write(tmp_path / "modules/README.md", b"# not nix\n")
    return tmp_path


def run(root: Path, *paths: str, excludes: tuple[str, ...] = (), **kwargs: int) -> Discovery:
    return discover([Path(p) for p in paths], excludes=excludes, cwd=root, **kwargs)


def found(root: Path, *paths: str, excludes: tuple[str, ...] = ()) -> list[str]:
    result = run(root, *paths, excludes=excludes)
    assert result.problems == ()
    return [file.path for file in result.files]


def problems(result: Discovery) -> dict[str, str]:
    return {problem.path: problem.message for problem in result.problems}


# --- walking -----------------------------------------------------------------


def test_finds_every_nix_file_sorted_with_bytes(axios: Path) -> None:
    result = run(axios, "modules")
    assert [file.path for file in result.files] == [
        "modules/ai/default.nix",
        "modules/ai/webui.nix",
        "modules/default.nix",
        "modules/pim/default.nix",
        "modules/services/default.nix",
        "modules/services/immich.nix",
    ]
    assert all(file.data == MODULE for file in result.files)
    assert result.problems == ()


def test_walking_cwd_itself_displays_plain_relative_paths(axios: Path) -> None:
    assert found(axios, ".")[:2] == ["flake.nix", "modules/ai/default.nix"]


def test_paths_outside_cwd_display_absolute(
    axios: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    result = discover([axios / "modules/pim"], cwd=elsewhere)
    assert [file.path for file in result.files] == [(axios / "modules/pim/default.nix").as_posix()]


def test_relative_inputs_are_taken_relative_to_cwd_argument(axios: Path) -> None:
    assert found(axios, "modules/pim") == ["modules/pim/default.nix"]


def test_resolved_input_below_cwd_still_displays_relative(axios: Path) -> None:
    result = discover([(axios / "modules/pim").resolve()], cwd=axios)
    assert [file.path for file in result.files] == ["modules/pim/default.nix"]


def test_vcs_and_tool_directories_are_skipped(axios: Path) -> None:
    for skipped in (".git", ".hg", ".svn", ".direnv", "node_modules", ".venv"):
        write(axios / "modules" / skipped / "objects/evil.nix")
    assert "evil.nix" not in " ".join(found(axios, "modules"))


def test_other_hidden_directories_are_walked(axios: Path) -> None:
    write(axios / "modules/.internal/lib.nix")
    assert "modules/.internal/lib.nix" in found(axios, "modules")


def test_nix_build_result_symlinks_are_skipped(axios: Path) -> None:
    store = write(axios / "store/abc-system/etc.nix").parent
    symlink(axios / "result", str(store))
    symlink(axios / "result-man", str(store))
    symlink(axios / "result.nix", "store/abc-system/etc.nix")  # not a build output name
    paths = found(axios, ".")
    assert "result/etc.nix" not in paths
    assert "result-man/etc.nix" not in paths
    assert "store/abc-system/etc.nix" in paths


def test_real_directory_named_result_is_walked(axios: Path) -> None:
    write(axios / "modules/result/default.nix")
    assert "modules/result/default.nix" in found(axios, "modules")


def test_directory_named_like_a_nix_file_is_walked_not_read(axios: Path) -> None:
    write(axios / "modules/odd.nix/inner.nix")
    assert "modules/odd.nix/inner.nix" in found(axios, "modules")


def test_suffix_match_is_case_sensitive(axios: Path) -> None:
    write(axios / "modules/upper.NIX")
    assert "modules/upper.NIX" not in found(axios, "modules")


def test_overlapping_inputs_yield_each_file_once(axios: Path) -> None:
    once = found(axios, "modules")
    assert found(axios, "modules", "modules/ai", "modules/ai/webui.nix", "modules") == once


def test_hard_links_are_one_file(axios: Path) -> None:
    os.link(axios / "modules/ai/webui.nix", axios / "modules/ai/zz-hardlink.nix")
    assert "modules/ai/zz-hardlink.nix" not in found(axios, "modules")


def test_undecodable_file_names_are_displayed_escaped(axios: Path) -> None:
    name = os.fsdecode(b"caf\xe9.nix")
    write(axios / "modules" / name)
    paths = found(axios, "modules")
    assert "modules/caf\\xe9.nix" in paths
    for path in paths:
        path.encode("utf-8")


# --- excludes ------------------------------------------------------------------


@pytest.fixture
def vendored(axios: Path) -> Path:
    write(axios / "modules/vendor/upstream.nix")
    write(axios / "modules/vendor/deep/more.nix")
    write(axios / "modules/generated/top.nix")
    write(axios / "modules/services/generated/gen.nix")
    write(axios / "modules/services/hardware.generated.nix")
    return axios


VENDOR = {"modules/vendor/upstream.nix", "modules/vendor/deep/more.nix"}
GENERATED_DIRS = {"modules/generated/top.nix", "modules/services/generated/gen.nix"}


@pytest.mark.parametrize(
    ("pattern", "gone"),
    [
        ("vendor", VENDOR),  # basename of the directory
        ("vendor/", VENDOR),  # trailing slash dropped
        ("./vendor", VENDOR),  # leading ./ dropped
        ("vendor/*", VENDOR),  # directory + "/" matches, so it is pruned
        ("vendor/deep", {"modules/vendor/deep/more.nix"}),  # relative to the walked root
        ("modules/vendor", VENDOR),  # the display path (relative to cwd)
        ("modules/vendor/*", VENDOR),
        ("**/vendor/**", VENDOR),  # leading **/ may match zero directories
        ("**/generated/**", GENERATED_DIRS),
        ("generated", GENERATED_DIRS),  # basename at any depth
        # modules/generated is reached through its display path, as `*` crosses `/`.
        ("*/generated", GENERATED_DIRS),
        ("*.generated.nix", {"modules/services/hardware.generated.nix"}),  # file basename
        (
            "services/*.nix",
            {  # * crosses /, so this reaches into services/generated/
                "modules/services/default.nix",
                "modules/services/immich.nix",
                "modules/services/hardware.generated.nix",
                "modules/services/generated/gen.nix",
            },
        ),
        ("immich.nix", {"modules/services/immich.nix"}),
        ("Vendor", set()),  # case-sensitive
        ("vend", set()),  # whole-string match, not a prefix
        ("", set()),  # empty patterns are ignored
    ],
)
def test_exclude_patterns(vendored: Path, pattern: str, gone: set[str]) -> None:
    everything = set(found(vendored, "modules"))
    remaining = set(found(vendored, "modules", excludes=(pattern,)))
    assert everything - remaining == gone


def test_excludes_are_relative_to_each_walked_root(vendored: Path) -> None:
    # Walking the vendor directory itself: its own name is no longer part of any path.
    assert found(vendored, "modules/vendor", excludes=("vendor/*",)) == [
        "modules/vendor/deep/more.nix",
        "modules/vendor/upstream.nix",
    ]


def test_excluded_directory_is_not_entered(vendored: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scanned: list[str] = []
    real_scandir = os.scandir

    def spy(path: str) -> object:  # the real os.scandir iterator
        scanned.append(path)
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", spy)
    run(vendored, "modules", excludes=("vendor",))
    assert not any("vendor" in path for path in scanned)


def test_named_file_bypasses_excludes_and_suffix(vendored: Path) -> None:
    write(vendored / "modules/vendor/notes.txt", b"plain text\n")
    assert found(
        vendored,
        "modules/vendor/upstream.nix",
        "modules/vendor/notes.txt",
        excludes=("vendor", "*.nix", "*.txt"),
    ) == ["modules/vendor/notes.txt", "modules/vendor/upstream.nix"]


# --- symlinks ------------------------------------------------------------------


def test_symlinked_file_inside_tree_is_followed(axios: Path) -> None:
    write(axios / "modules/lib/ports.nix")
    symlink(axios / "modules/pim/ports.nix", "../lib/ports.nix")
    # lib/ is excluded, so the only way to reach the file is the link.
    assert "modules/pim/ports.nix" in found(axios, "modules", excludes=("lib",))


def test_symlinked_directory_inside_tree_is_followed(axios: Path) -> None:
    write(axios / "modules/shared/common.nix")
    symlink(axios / "modules/ai/shared", "../shared")
    assert found(axios, "modules", excludes=("modules/shared",))[:3] == [
        "modules/ai/default.nix",
        "modules/ai/shared/common.nix",
        "modules/ai/webui.nix",
    ]


def test_file_reached_by_link_and_directly_is_shown_at_its_real_path(axios: Path) -> None:
    symlink(axios / "modules/aa-alias.nix", "services/immich.nix")
    symlink(axios / "modules/aa-dir", "services")
    paths = found(axios, "modules")
    assert "modules/services/immich.nix" in paths
    assert not any(path.startswith("modules/aa-") for path in paths)


def test_symlink_leaving_the_tree_is_skipped(axios: Path) -> None:
    write(axios / "outside/secret.nix")
    symlink(axios / "modules/pim/secret.nix", "../../outside/secret.nix")
    symlink(axios / "modules/pim/outside", "../../outside")
    symlink(axios / "modules/pim/etc", "/etc")
    assert found(axios, "modules/pim") == ["modules/pim/default.nix"]


def test_dangling_symlinks_are_skipped_silently(axios: Path) -> None:
    symlink(axios / "modules/pim/gone.nix", "nowhere.nix")
    symlink(axios / "modules/pim/gone-dir", "nowhere")
    assert found(axios, "modules/pim") == ["modules/pim/default.nix"]


def test_directory_linking_to_its_parent_terminates(axios: Path) -> None:
    symlink(axios / "modules/pim/up", "..")
    symlink(axios / "modules/pim/self", ".")
    symlink(axios / "modules/services/pim", "../pim")
    assert found(axios, "modules") == [
        "modules/ai/default.nix",
        "modules/ai/webui.nix",
        "modules/default.nix",
        "modules/pim/default.nix",
        "modules/services/default.nix",
        "modules/services/immich.nix",
    ]


def test_link_cycle_between_two_links_is_skipped(axios: Path) -> None:
    symlink(axios / "modules/a.nix", "b.nix")
    symlink(axios / "modules/b.nix", "a.nix")
    symlink(axios / "modules/loop", "loop")
    assert "modules/a.nix" not in found(axios, "modules")


def test_many_links_to_the_same_directory_are_walked_once(axios: Path) -> None:
    # Without the visited set this is exponential: each level doubles the paths.
    level = axios / "modules/deep"
    for depth in range(12):
        write(level / f"d{depth}.nix")
        symlink(level / "x", "next")
        symlink(level / "y", "next")
        level = level / "next"
    result = run(axios, "modules/deep")
    assert len(result.files) == 12
    assert all("/x/" not in f.path and "/y/" not in f.path for f in result.files)


# --- reading -------------------------------------------------------------------


def skip_if_modes_are_ignored(locked: Path) -> None:
    """Root (CAP_DAC_OVERRIDE) reads mode-000 files; probe instead of checking the uid.

    Under root with capabilities dropped (`setpriv --inh-caps=-all
    --bounding-set=-all`) the probe fails and these tests run for real.
    """
    try:
        os.close(os.open(locked, os.O_RDONLY))
    except PermissionError:
        return
    pytest.skip("permission bits are not enforced for this user (root?)")


def test_unreadable_file_by_mode(axios: Path) -> None:
    locked = write(axios / "modules/locked.nix")
    locked.chmod(0)
    try:
        skip_if_modes_are_ignored(locked)
        result = run(axios, "modules")
    finally:
        locked.chmod(0o644)
    assert problems(result) == {"modules/locked.nix": "cannot read: Permission denied"}


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="needs Linux procfs")
def test_read_error_is_a_problem_even_as_root(axios: Path) -> None:
    # /proc/self/mem stats as a regular file but read() at offset 0 fails with EIO,
    # whoever we are: the real read-error path, no mocking.
    result = discover([Path("/proc/self/mem")], cwd=axios)
    assert result.files == ()
    assert problems(result) == {"/proc/self/mem": "cannot read: Input/output error"}


def test_open_failure_inside_a_walk_is_a_problem(
    axios: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_open = os.open

    def deny_immich(path: str, flags: int, mode: int = 0o777) -> int:
        if path.endswith("immich.nix"):
            raise PermissionError(13, "Permission denied", path)
        return real_open(path, flags, mode)

    monkeypatch.setattr(os, "open", deny_immich)
    result = run(axios, "modules")
    assert problems(result) == {"modules/services/immich.nix": "cannot read: Permission denied"}
    assert len(result.files) == 5


def test_unreadable_directory_by_mode(axios: Path) -> None:
    locked = axios / "modules/services"
    locked.chmod(0)
    try:
        skip_if_modes_are_ignored(locked)
        result = run(axios, "modules")
    finally:
        locked.chmod(0o755)
    assert problems(result) == {"modules/services": "cannot read directory: Permission denied"}


def test_directory_listing_failure_is_a_problem(
    axios: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_scandir = os.scandir

    def deny_services(path: str) -> object:  # the real os.scandir iterator
        if path.endswith("services"):
            raise PermissionError(13, "Permission denied", path)
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", deny_services)
    result = run(axios, "modules")
    assert problems(result) == {"modules/services": "cannot read directory: Permission denied"}
    assert "modules/ai/webui.nix" in [file.path for file in result.files]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_is_a_problem_and_never_blocks(axios: Path) -> None:
    os.mkfifo(axios / "modules/pipe.nix")
    os.mkfifo(axios / "named-pipe")
    outcome: list[Discovery] = []
    worker = threading.Thread(
        target=lambda: outcome.append(run(axios, "modules", "named-pipe")), daemon=True
    )
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive(), "discover blocked on a FIFO"
    assert problems(outcome[0]) == {
        "modules/pipe.nix": "not a regular file",
        "named-pipe": "not a regular file",
    }


def test_nul_bytes_mean_binary(axios: Path) -> None:
    write(axios / "modules/blob.nix", b"{ a = 1; }\0\1\2")
    assert problems(run(axios, "modules")) == {
        "modules/blob.nix": "binary file (contains NUL bytes)"
    }


@pytest.mark.parametrize(
    ("data", "where"),
    [
        (b"\xff{ }", "line 1, column 1"),
        (b'{\n  a = 1;\n  b = "x\xc3";\n}\n', "line 3, column 9"),  # truncated sequence
        ('{\n  name = "caf\u00e9 \u2603 '.encode() + b'\xe9";\n}', "line 2, column 18"),
        (b"{ }\r\n\x80", "line 2, column 1"),  # a lone continuation byte
        (b"{ }\n" + "\U0001f600".encode()[:3], "line 2, column 1"),  # cut at end of file
    ],
)
def test_invalid_utf8_reports_first_bad_byte(axios: Path, data: bytes, where: str) -> None:
    write(axios / "modules/latin1.nix", data)
    assert problems(run(axios, "modules")) == {"modules/latin1.nix": f"not valid UTF-8 at {where}"}


def test_utf8_bom_and_non_ascii_are_fine(axios: Path) -> None:
    write(axios / "modules/unicode.nix", '\ufeff{ description = "caf\u00e9 \u2603"; }\n'.encode())
    assert "modules/unicode.nix" in found(axios, "modules")


def test_file_over_the_limit_is_a_problem(axios: Path) -> None:
    write(axios / "modules/big.nix", b"#" * 2049)
    write(axios / "modules/ok.nix", b"#" * 2048)
    result = run(axios, "modules", max_bytes=2048)
    assert problems(result) == {"modules/big.nix": "file is larger than 2 KiB"}
    assert "modules/ok.nix" in [file.path for file in result.files]


def test_default_limit_is_50_mib(axios: Path) -> None:
    with (axios / "modules/huge.nix").open("wb") as handle:
        handle.truncate(DEFAULT_MAX_BYTES + 1)  # sparse: costs no disk, never read
    assert problems(run(axios, "modules")) == {"modules/huge.nix": "file is larger than 50 MiB"}


def test_odd_limits_are_spelled_in_bytes(axios: Path) -> None:
    write(axios / "modules/big.nix", b"#" * 11)
    assert problems(run(axios, "modules/big.nix", max_bytes=10)) == {
        "modules/big.nix": "file is larger than 10 bytes"
    }


def test_empty_file_is_a_source(axios: Path) -> None:
    write(axios / "modules/empty.nix", b"")
    result = run(axios, "modules/empty.nix")
    assert [(file.path, file.data) for file in result.files] == [("modules/empty.nix", b"")]


def test_problems_are_sorted_and_files_still_returned(axios: Path) -> None:
    write(axios / "modules/z.nix", b"\0")
    write(axios / "modules/a.nix", b"\xfe")
    result = run(axios, "modules")
    assert result.problems == (
        FileProblem("modules/a.nix", "not valid UTF-8 at line 1, column 1"),
        FileProblem("modules/z.nix", "binary file (contains NUL bytes)"),
    )
    assert len(result.files) == 6


# --- inputs --------------------------------------------------------------------


def test_nonexistent_path_raises_one_line_error(axios: Path) -> None:
    with pytest.raises(DiscoveryError) as caught:
        run(axios, "modules", "modules/nope")
    assert str(caught.value) == "path 'modules/nope' does not exist"
    assert caught.value.path == "modules/nope"


def test_nonexistent_path_with_newline_stays_one_line(axios: Path) -> None:
    with pytest.raises(DiscoveryError) as caught:
        run(axios, "bad\nname")
    assert "\n" not in str(caught.value)


def test_dangling_symlink_named_directly_does_not_exist(axios: Path) -> None:
    symlink(axios / "gone.nix", "nowhere.nix")
    with pytest.raises(DiscoveryError, match=r"gone\.nix"):
        run(axios, "gone.nix")


def test_path_below_a_file_does_not_exist(axios: Path) -> None:
    with pytest.raises(DiscoveryError):
        run(axios, "flake.nix/inner.nix")


def test_named_link_loop_is_a_problem_not_a_crash(axios: Path) -> None:
    symlink(axios / "loop.nix", "loop.nix")
    assert problems(run(axios, "loop.nix")) == {
        "loop.nix": "cannot read: Too many levels of symbolic links"
    }


def test_no_paths_means_nothing(axios: Path) -> None:
    assert run(axios) == Discovery(files=(), problems=())


@pytest.mark.parametrize(
    "patterns",
    [("vendor",), (".cache", "__pycache__", "m1.nix"), ("vendor", "immich.nix"), ("x\\xff",)],
)
def test_plain_name_excludes_match_as_the_globs_do(patterns: tuple[str, ...]) -> None:
    """Plain names are decided by a set lookup; the verdicts are fnmatch's, entry by entry."""
    matcher = ExcludeMatcher(patterns)
    entries = [
        ("vendor", "vendor", "vendor"),
        ("vendor", "modules/vendor", "vendor"),
        ("a/vendor", "modules/a/vendor", "vendor"),
        ("vendor/x.nix", "vendor/x.nix", "x.nix"),
        ("m1.nix", "m1.nix", "m1.nix"),
        ("g/m1.nix", "/abs/g/m1.nix", "m1.nix"),
        ("immich.nix", "services/immich.nix", "immich.nix"),
        ("x\udcff", "x\\xff", "x\udcff"),  # an undecodable name, displayed escaped
        ("__pycache__", "__pycache__", "__pycache__"),
        (".cache/a.nix", ".cache/a.nix", "a.nix"),
    ]
    globs = [glob for pattern in patterns for glob in _expand(pattern)]
    for rel, display, name in entries:
        for is_dir in (False, True):
            texts = [rel, display, name, *([rel + "/", display + "/"] if is_dir else [])]
            expected = any(fnmatchcase(text, glob) for text in texts for glob in globs)
            assert matcher.excluded(rel, display, name, is_dir=is_dir) == expected, (rel, is_dir)
