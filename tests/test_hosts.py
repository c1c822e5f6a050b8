"""Hosts found statically, and the module files active on each (issue 13, "Hosts").

Judged two ways: exact expectations written by hand for every fixture under
tests/fixtures/hosts/ (and the two issue-13 listener fixtures), and, for every flake
fixture Nix can evaluate, the real evaluator: `JUDGE` calls the flake's `outputs` with
a stub nixpkgs whose `nixosSystem` returns its arguments, walks each host's `modules`
and `imports` as the module system does, and names the file each module's settings
are written in (`builtins.unsafeGetAttrPos` of its first attribute).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from axios_portlint.discover import discover
from axios_portlint.extract.hosts import find_hosts
from axios_portlint.model import (
    Host,
    HostMap,
    HostSource,
    Location,
    SourceFile,
    UnresolvedKind,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures"
HOSTS = FIXTURES / "hosts"
LISTENERS = FIXTURES / "listeners"

JUDGE = r"""
{ flake }:
let
  fakeLib = {
    nixosSystem = args: args;
    darwinSystem = args: args;
    optionals = c: l: if c then l else [ ];
    optional = c: x: if c then [ x ] else [ ];
  };
  nixpkgs = { lib = fakeLib; };
  call = f: a:
    if builtins.isFunction f then f (builtins.intersectAttrs (builtins.functionArgs f) a) else f;
  outputs = call (import flake).outputs { self = outputs; inherit nixpkgs; darwin = nixpkgs; };
  args = { lib = fakeLib; config = { }; pkgs = { }; options = { }; };
  normal = p: let s = toString p; in
    if builtins.pathExists (s + "/default.nix") then s + "/default.nix" else s;
  fileOf = v: let names = builtins.attrNames v; in
    if names == [ ] then [ ] else [ (builtins.unsafeGetAttrPos (builtins.head names) v).file ];
  add = seen: files: seen // builtins.listToAttrs (map (f: { name = f; value = true; }) files);
  step = seen: m:
    if builtins.isPath m || builtins.isString m then
      let f = normal m; in
      if seen ? ${f} then seen else visit (add seen [ f ]) (import f)
    else visit seen m;
  visit = seen: m: let v = call m args; in walk (add seen (fileOf v)) (v.imports or [ ]);
  walk = seen: modules: builtins.foldl' step seen modules;
  hosts = (outputs.nixosConfigurations or { }) // (outputs.darwinConfigurations or { });
in
builtins.mapAttrs (name: host: builtins.attrNames (walk { } host.modules)) hosts
"""

NIX_EVAL = ("nix-instantiate", "--eval", "--strict", "--json")
JUDGED = [
    *("cycle", "flake-dotted", "flake-set", "import-forms", "mk-host", "module-library"),
    *("self-modules", "enable-guards", "priorities"),
]


def _sources(tree: Path) -> tuple[SourceFile, ...]:
    return discover([tree], cwd=tree).files


def _find(tree: Path, configured: Mapping[str, Sequence[str]] | None = None) -> HostMap:
    return find_hosts(_sources(tree), configured)


def _files(host_map: HostMap) -> dict[str, list[str]]:
    return {host.name: sorted(host.files) for host in host_map.hosts}


def _host(host_map: HostMap, name: str) -> Host:
    return next(host for host in host_map.hosts if host.name == name)


def _at(location: Location) -> str:
    return f"{location.file}:{location.line}:{location.column}"


# -- the issue-13 listener fixtures ---------------------------------------------------


def test_two_hosts_each_get_their_own_module_set() -> None:
    found = _find(LISTENERS / "two-hosts")
    assert _files(found) == {
        "alpha": ["hosts/alpha/default.nix", "hosts/alpha/paste.nix", "modules/wiki.nix"],
        "beta": ["hosts/beta/default.nix", "modules/wiki.nix"],
    }
    assert [(h.source, _at(h.entry)) for h in found.hosts] == [
        (HostSource.FLAKE, "flake.nix:10:9"),
        (HostSource.FLAKE, "flake.nix:17:9"),
    ]
    assert all(host.unresolved == () for host in found.hosts)
    assert found.unresolved == ()


def test_two_hosts_places_each_file_on_its_hosts() -> None:
    found = _find(LISTENERS / "two-hosts")
    assert found.hosts_of("hosts/alpha/paste.nix") == ("alpha",)
    assert found.hosts_of("hosts/beta/default.nix") == ("beta",)
    assert found.hosts_of("modules/wiki.nix") == ("alpha", "beta")
    assert found.hosts_of("flake.nix") == ()


def test_one_host_shared_default_reaches_both_modules() -> None:
    found = _find(LISTENERS / "one-host-shared-default")
    assert _files(found) == {"gamma": ["board.nix", "default.nix", "notes.nix"]}
    assert _at(found.hosts[0].entry) == "flake.nix:9:27"


# -- one fixture per form ------------------------------------------------------------


def test_dotted_bindings_and_darwin_configurations() -> None:
    found = _find(HOSTS / "flake-dotted")
    assert _files(found) == {
        "alpha": ["hosts/alpha/default.nix", "modules/web.nix"],
        "beta": ["modules/web.nix"],
        "mac-mini": ["modules/shell.nix"],
    }
    # hosts/alpha/ is a folder host only when no flake host reaches it: not here.
    assert [h.source for h in found.hosts] == [HostSource.FLAKE] * 3
    assert _at(_host(found, "mac-mini").entry) == "flake.nix:19:28"


def test_host_set_with_let_bound_list_concatenation_and_inline_module() -> None:
    found = _find(HOSTS / "flake-set")
    assert _files(found) == {
        "north": ["common.nix", "north.nix"],
        # The inline module's settings are written in flake.nix: it is active on south.
        "south": ["common.nix", "extra.nix", "flake.nix", "south.nix"],
    }
    assert found.hosts_of("unused.nix") == ()


def test_helpers_called_with_a_literal_name() -> None:
    found = _find(HOSTS / "mk-host")
    assert _files(found) == {
        "db": ["common.nix", "hosts/db/default.nix"],
        "edge": ["common.nix", "machines/edge.nix"],
        "lab": ["machines/lab.nix"],
        "web": ["common.nix", "hosts/web/default.nix"],
    }
    assert all(host.unresolved == () for host in found.hosts)


def test_every_import_form() -> None:
    found = _find(HOSTS / "import-forms")
    assert _files(found) == {
        "forms": [
            "called.nix",
            "configuration.nix",
            "dir/default.nix",
            "dir/inner.nix",
            "imported.nix",
            "listed.nix",  # `++ import ./list.nix`; list.nix itself holds no settings
            "optional.nix",
            "plain.nix",
            "shared.nix",
            "sibling.nix",
            "single.nix",
        ]
    }
    assert found.hosts[0].unresolved == ()
    assert found.hosts_of("nested/unused.nix") == ()


def test_import_cycles_end() -> None:
    found = _find(HOSTS / "cycle")
    assert _files(found) == {"loop": ["a.nix", "b.nix", "c.nix"]}


def test_the_trees_own_nixos_modules() -> None:
    found = _find(HOSTS / "self-modules")
    assert _files(found) == {
        "all": ["modules/db.nix", "modules/web.nix"],
        "one": ["modules/web.nix"],
    }


def test_host_folders_without_a_flake() -> None:
    found = _find(HOSTS / "host-folders")
    assert _files(found) == {
        "one": ["common.nix", "hosts/one/default.nix"],
        "three": ["common.nix", "machines/three/default.nix"],
        "two": ["hosts/two/configuration.nix", "hosts/two/hardware.nix"],
    }
    assert [(h.source, _at(h.entry)) for h in found.hosts] == [
        (HostSource.FOLDER, "hosts/one/default.nix:1:1"),
        (HostSource.FOLDER, "machines/three/default.nix:1:1"),
        (HostSource.FOLDER, "hosts/two/configuration.nix:1:1"),
    ]
    # A module tied to no host: checked default against default, as before hosts.
    assert found.hosts_of("library.nix") == ()


def test_what_cannot_be_followed_is_recorded_where_it_is_written() -> None:
    found = _find(HOSTS / "unresolved")
    assert _files(found) == {"server": ["server.nix"]}
    assert [(_at(u.location), u.kind, u.expression) for u in _host(found, "server").unresolved] == [
        ("flake.nix:14:11", UnresolvedKind.EXTERNAL, "home-manager.nixosModules.home-manager"),
        ("flake.nix:15:11", UnresolvedKind.EXTERNAL, "inputs.disko.nixosModules.disko"),
        ("server.nix:10:6", UnresolvedKind.EXTERNAL, 'modulesPath + "/profiles/qemu-guest.nix"'),
        (
            "server.nix:11:5",
            UnresolvedKind.EXTERNAL,
            "<nixpkgs/nixos/modules/profiles/minimal.nix>",
        ),
        ("server.nix:12:5", UnresolvedKind.MISSING, "./missing.nix"),
        (
            "server.nix:14:6",
            UnresolvedKind.COMPUTED,
            'map (name: ./services + "/${name}.nix") services',
        ),
    ]
    # A host set whose names only evaluation knows is recorded too, never dropped.
    assert [(_at(u.location), u.kind) for u in found.unresolved] == [
        ("flake.nix:18:30", UnresolvedKind.COMPUTED)
    ]


# -- hosts named in the settings ---------------------------------------------------------


def test_settings_hosts_replace_a_discovered_host_of_the_same_name() -> None:
    found = _find(LISTENERS / "two-hosts", {"alpha": ["hosts/alpha/paste.nix"]})
    alpha = _host(found, "alpha")
    assert (alpha.source, sorted(alpha.files)) == (HostSource.SETTINGS, ["hosts/alpha/paste.nix"])
    assert _at(alpha.entry) == "hosts/alpha/paste.nix:1:1"
    assert _host(found, "beta").source == HostSource.FLAKE


def test_settings_hosts_with_several_entries_and_a_missing_one() -> None:
    entries = ["notes.nix", "board.nix", "nowhere.nix"]
    found = _find(LISTENERS / "one-host-shared-default", {"delta": entries})
    delta = _host(found, "delta")
    assert sorted(delta.files) == ["board.nix", "notes.nix"]
    assert [(_at(u.location), u.kind) for u in delta.unresolved] == [
        ("nowhere.nix:1:1", UnresolvedKind.MISSING)
    ]
    assert [host.name for host in found.hosts] == ["delta", "gamma"]


# -- robustness -------------------------------------------------------------------------


def test_a_long_import_chain_and_a_long_concatenation(tmp_path: Path) -> None:
    count = 1500  # deeper than Python's recursion limit
    for index in range(count):
        following = f"./m{index + 1}.nix" if index + 1 < count else "./m0.nix"
        (tmp_path / f"m{index}.nix").write_text(f"{{ imports = [ {following} ]; }}\n")
    chain = " ++ ".join(f"[ ./m{index}.nix ]" for index in range(count))
    (tmp_path / "hosts" / "big").mkdir(parents=True)
    (tmp_path / "hosts" / "big" / "default.nix").write_text(
        f"{{ imports = [ ../../m0.nix ] ++ {chain}; }}\n"
    )
    found = _find(tmp_path)
    assert len(_host(found, "big").files) == count + 1


def test_a_host_set_below_the_query_cursors_depth_is_found() -> None:
    """Bound in the first argument of a 70,000-argument application, past the 65,535
    levels tree-sitter's query cursor counts (parse/query.py): the hosts' query finds it."""
    flake = (
        "{ outputs = { self, nixpkgs }: f { nixosConfigurations.deep = nixpkgs.lib.nixosSystem"
        " { modules = [ ./deep.nix ]; }; }" + " 1" * 70_000 + "; }\n"
    )
    module = b'{ networking.hostName = "deep"; }\n'
    found = find_hosts([SourceFile("flake.nix", flake.encode()), SourceFile("deep.nix", module)])
    assert [(h.name, sorted(h.files), h.unresolved) for h in found.hosts] == [
        ("deep", ["deep.nix"], ())
    ]


def test_files_outside_the_sources_are_never_read(tmp_path: Path) -> None:
    source = SourceFile("flake.nix", b"{ outputs = _: { nixosConfigurations.x = f { }; }; }")
    found = find_hosts([source])
    assert [(h.name, sorted(h.files)) for h in found.hosts] == [("x", [])]
    assert [u.kind for u in found.hosts[0].unresolved] == [UnresolvedKind.COMPUTED]


# -- the Nix evaluator as judge -----------------------------------------------------------


def _nix_hosts(tree: Path) -> dict[str, list[str]]:
    result = subprocess.run(
        [*NIX_EVAL, "--expr", JUDGE, "--arg", "flake", str(tree / "flake.nix")],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    hosts: dict[str, list[str]] = json.loads(result.stdout)
    return {
        name: sorted(Path(f).relative_to(tree).as_posix() for f in files)
        for name, files in hosts.items()
    }


@pytest.mark.skipif(shutil.which("nix-instantiate") is None, reason="needs nix-instantiate")
@pytest.mark.parametrize("fixture", JUDGED)
def test_module_sets_agree_with_nix(fixture: str) -> None:
    tree = HOSTS / fixture
    assert _files(_find(tree)) == _nix_hosts(tree)


@pytest.mark.skipif(shutil.which("nix-instantiate") is None, reason="needs nix-instantiate")
@pytest.mark.parametrize("fixture", ["two-hosts", "one-host-shared-default"])
def test_listener_fixtures_agree_with_nix(fixture: str) -> None:
    tree = LISTENERS / fixture
    assert _files(_find(tree)) == _nix_hosts(tree)


@pytest.mark.skipif(shutil.which("nix-instantiate") is None, reason="needs nix-instantiate")
def test_every_hosts_fixture_parses_with_nix() -> None:
    paths = [str(path) for path in sorted(HOSTS.rglob("*.nix"))]
    assert len(paths) > 40
    subprocess.run(["nix-instantiate", "--parse", *paths], capture_output=True, check=True)


def test_names_that_refer_to_themselves_are_recorded_not_followed_forever(tmp_path: Path) -> None:
    (tmp_path / "flake.nix").write_text(
        "{ outputs = { self, nixpkgs }: let\n"
        "    x = { inherit (x) y; };\n"
        "    a = b;\n"
        "    b = a;\n"
        "  in {\n"
        "    nixosModules.loop = self.nixosModules.loop;\n"
        "    nixosConfigurations.one = nixpkgs.lib.nixosSystem {\n"
        "      modules = [ x.y a self.nixosModules.loop ];\n"
        "    };\n"
        "  };\n"
        "}\n"
    )
    subprocess.run(
        ["nix-instantiate", "--parse", str(tmp_path / "flake.nix")], check=True, capture_output=True
    )
    found = _find(tmp_path)
    assert [(_at(u.location), u.kind) for u in _host(found, "one").unresolved] == [
        # The loop ends where `self.nixosModules.loop` is read a second time.
        ("flake.nix:6:25", UnresolvedKind.EXTERNAL),
        ("flake.nix:8:19", UnresolvedKind.COMPUTED),
        ("flake.nix:8:23", UnresolvedKind.COMPUTED),
    ]


def test_every_fixture_tree_is_read_without_an_exception() -> None:
    found = find_hosts(discover([FIXTURES], cwd=FIXTURES).files)
    names = {host.name for host in found.hosts}
    assert {"alpha", "beta", "gamma", "forms", "loop", "one", "two", "three"} <= names
