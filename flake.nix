{
  description = "portlint: keep the axios NixOS modules' ports and the ports.md registry honest";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs =
    { self, nixpkgs }:
    let
      inherit (nixpkgs) lib;
      systems = [
        "x86_64-linux"
        "aarch64-linux"
      ];
      forAllSystems = f: lib.genAttrs systems (system: f system nixpkgs.legacyPackages.${system});

      # One source of truth for the version: axios_portlint/__init__.py, as in pyproject.toml.
      version = builtins.head (
        builtins.match ''.*__version__ = "([^"]+)".*'' (builtins.readFile ./axios_portlint/__init__.py)
      );

      portlintFor =
        pkgs:
        let
          ps = pkgs.python3Packages;
        in
        ps.buildPythonApplication {
          pname = "axios-portlint";
          inherit version;
          pyproject = true;
          src = lib.fileset.toSource {
            root = ./.;
            fileset = lib.fileset.unions [
              ./pyproject.toml
              ./README.md
              ./axios_portlint
            ];
          };

          build-system = [ ps.setuptools ];
          dependencies = [
            ps.tree-sitter
            # PyPI's tree-sitter-nix binding is not packaged in nixpkgs under that name.
            # nixpkgs generates one Python binding per grammar it builds, from
            # pkgs/development/python-modules/tree-sitter-grammars/default.nix: a package
            # whose module is `tree_sitter_nix` with a `language()` function, the same
            # interface as PyPI's, built from nixpkgs' own (newer) tree-sitter-nix grammar.
            ps.tree-sitter-grammars.tree-sitter-nix
            ps.networkx
            ps.typer
            ps.markdown-it-py
          ];
          # pyproject.toml pins PyPI's tree-sitter-nix==0.1.0; nixpkgs' binding carries
          # the grammar's version instead, so the pin is dropped from the metadata here.
          pythonRemoveDeps = [ "tree-sitter-nix" ];
          # Upper bounds that guard start-up time or an untested major, not correctness.
          pythonRelaxDeps = [
            "tree-sitter"
            "typer"
          ];
          pythonImportsCheck = [ "axios_portlint" ];

          meta = {
            description = "Static analyzer that keeps axios NixOS modules' ports and ports.md honest";
            license = lib.licenses.mit;
            mainProgram = "portlint";
            platforms = systems;
          };
        };
    in
    {
      packages = forAllSystems (
        system: pkgs: {
          default = portlintFor pkgs;
        }
      );

      apps = forAllSystems (
        system: pkgs: {
          default = {
            type = "app";
            program = lib.getExe self.packages.${system}.default;
            meta.description = "Run portlint (default: check modules/ against ./ports.md)";
          };
        }
      );

      # The bundled example tree against the registry: the package builds, imports, and
      # agrees with ports.md, with nixpkgs' grammar rather than PyPI's.
      checks = forAllSystems (
        system: pkgs: {
          default =
            pkgs.runCommand "portlint-example-check"
              { nativeBuildInputs = [ self.packages.${system}.default ]; }
              ''
                portlint check ${./tests/fixtures/axios/modules} --registry ${./ports.md}
                touch $out
              '';
        }
      );
    };
}
