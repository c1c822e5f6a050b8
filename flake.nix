{
  description = "portlint: keep the axios NixOS modules' ports and the ports.md registry honest";

  # No flake.lock is committed: computing one needs the network. `nix flake lock` (or the
  # first `nix build`/`nix run`) writes it; a consumer's own lock pins this flake's nixpkgs
  # unless it sets `inputs.portlint.inputs.nixpkgs.follows = "nixpkgs"`.
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs =
    { self, nixpkgs }:
    let
      inherit (nixpkgs) lib;
      systems = [
        "x86_64-linux"
        "aarch64-linux"
        "x86_64-darwin"
        "aarch64-darwin"
      ];
      forAllSystems = f: lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});

      # One source of truth for the version: axios_portlint/__init__.py, as in pyproject.toml.
      version = builtins.head (
        builtins.match ''.*__version__ = "([^"]+)".*'' (builtins.readFile ./axios_portlint/__init__.py)
      );

      # Which files decide whether a path holds ports, and so trigger a check or a hook.
      portFiles = ''(\.nix|(^|/)ports\.md)$'';

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
          # nixpkgs' own releases, whatever they are: pyproject.toml has lower bounds only.
          # typer 0.26+ carries its own click; portlint takes click's classes from typer.
          dependencies = [
            ps.tree-sitter
            # nixpkgs generates one Python binding per grammar it builds
            # (pkgs/development/python-modules/tree-sitter-grammars/default.nix): a
            # distribution named tree_sitter_nix, module `tree_sitter_nix` with
            # `language()`, as PyPI's, built from nixpkgs' newer grammar. Its version is
            # the grammar's (0+unstable20250811), which pyproject.toml's unversioned
            # `tree-sitter-nix` accepts, so pythonRuntimeDepsCheck passes unrelaxed.
            ps.tree-sitter-grammars.tree-sitter-nix
            ps.networkx
            ps.typer
            ps.markdown-it-py
          ];
          # The parser is imported lazily; importing it here proves the grammar loads.
          pythonImportsCheck = [
            "axios_portlint"
            "axios_portlint.parse"
            "tree_sitter_nix"
          ];

          meta = {
            description = "Static analyzer that keeps axios NixOS modules' ports and ports.md honest";
            license = lib.licenses.mit;
            mainProgram = "portlint";
            platforms = systems;
          };
        };

      packageFor = pkgs: self.packages.${pkgs.stdenv.hostPlatform.system}.default;

      # `portlint check` over a tree (its modules/ else ., against its ports.md), as a
      # derivation that fails on findings at or above `failOn`: a flake check.
      mkCheck =
        {
          pkgs,
          src,
          args ? [ ],
          package ? packageFor pkgs,
        }:
        pkgs.runCommand "portlint-check" { nativeBuildInputs = [ package ]; } ''
          cd ${src}
          # The source is read-only in the store: no .portlint_cache/.
          portlint check --no-cache ${lib.escapeShellArgs args}
          touch $out
        '';

      # A hook for cachix/git-hooks.nix: `hooks.portlint = portlint.lib.gitHooksHook { inherit pkgs; };`
      # Same triggers as .pre-commit-hooks.yaml: ports are a property of the whole tree.
      gitHooksHook =
        {
          pkgs,
          package ? packageFor pkgs,
        }:
        {
          enable = true;
          name = "portlint";
          description = "Check NixOS modules' port options against the ports.md registry.";
          entry = lib.getExe package;
          files = portFiles;
          pass_filenames = false;
          require_serial = true;
        };
    in
    {
      packages = forAllSystems (pkgs: {
        default = portlintFor pkgs;
      });

      apps = forAllSystems (pkgs: {
        default = {
          type = "app";
          program = lib.getExe (packageFor pkgs);
          meta.description = "Run portlint (default: check modules/ against ./ports.md)";
        };
      });

      overlays.default = final: prev: { portlint = portlintFor final; };

      checks = forAllSystems (pkgs: {
        # The bundled example tree against the registry, with nixpkgs' typer and grammar:
        # the package builds, imports, agrees with ports.md and keeps exit code 2 and a
        # one-line message for a usage error.
        default =
          pkgs.runCommand "portlint-example-check" { nativeBuildInputs = [ (packageFor pkgs) ]; }
            ''
              portlint check --no-cache ${./tests/fixtures/axios/modules} --registry ${./ports.md}
              status=0
              portlint --bogus 2> usage || status=$?
              if [ "$status" -ne 2 ] || [ "$(wc -l < usage)" -ne 1 ] || ! grep -q '^portlint: error: ' usage; then
                echo "portlint --bogus exited $status with:" >&2
                cat usage >&2
                exit 1
              fi
              touch $out
            '';
      });

      devShells = forAllSystems (pkgs: {
        default = pkgs.mkShell {
          inputsFrom = [ (packageFor pkgs) ];
          packages = [
            (pkgs.python3.withPackages (
              ps: with ps; [
                pytest
                hypothesis
                pyyaml
                jsonschema
                mypy
              ]
            ))
            pkgs.ruff
            pkgs.graphviz
          ];
        };
      });

      lib = { inherit mkCheck gitHooksHook; };

      # For flake-parts: `imports = [ inputs.portlint.flakeModules.default ];` adds
      # `checks.<system>.portlint` over the importing flake's own tree.
      flakeModules.default =
        {
          lib,
          flake-parts-lib,
          self,
          ...
        }:
        let
          consumer = self;
        in
        {
          options.perSystem = flake-parts-lib.mkPerSystemOption (
            { config, pkgs, ... }:
            {
              options.portlint = {
                src = lib.mkOption {
                  type = lib.types.path;
                  default = consumer;
                  description = "The tree to check: modules/ else ., against its ports.md.";
                };
                args = lib.mkOption {
                  type = lib.types.listOf lib.types.str;
                  default = [ ];
                  description = "More arguments for `portlint check` (paths, --fail-on warning).";
                };
              };
              config.checks.portlint = mkCheck {
                inherit pkgs;
                inherit (config.portlint) src args;
              };
            }
          );
        };
    };
}
