# A stand-in for the nixpkgs flake input of ../../../flake.nix, for evaluating the flake
# without the network (tests/test_flake.py).
#
# It carries only the attributes the flake may use, under nixpkgs' real names: any other
# attribute is an evaluation error ("attribute 'x' missing"), as it would be for a name
# nixpkgs does not have. Derivations are real (`derivation`), so `nix flake check
# --no-build` can instantiate them, but their builders only fail: nothing is built.
#
# Versions: typer 0.27 and the tree-sitter-nix grammar at ff4e2b4 (0-unstable-2025-08-11,
# whose Python binding reports 0+unstable20250811) are what nixpkgs ships. The others are
# assumptions (no network to nixpkgs here): the newest releases on PyPI at the time.
# `dist` is what a package's dist-info metadata says, which is what nixpkgs'
# pythonRuntimeDepsCheck compares with the requirements of pyproject.toml.
{
  outputs =
    { self }:
    let
      systems = [
        "x86_64-linux"
        "aarch64-linux"
        "x86_64-darwin"
        "aarch64-darwin"
      ];

      lib = {
        genAttrs = names: f: builtins.listToAttrs (map (name: { inherit name; value = f name; }) names);
        getExe = p: "${p}/bin/${p.meta.mainProgram}";
        escapeShellArgs = args: builtins.concatStringsSep " " (map (a: "'${a}'") args);
        fileset = {
          unions = paths: paths;
          toSource = { root, fileset }: builtins.path { path = root; name = "source"; };
        };
        licenses.mit = {
          spdxId = "MIT";
        };
        # The module system functions flakeModules.default uses, as records of their arguments.
        mkOption = attrs: { _type = "option"; } // attrs;
        types = {
          path = "path";
          str = "str";
          listOf = t: "listOf ${t}";
        };
      };

      # A real derivation that cannot build, carrying the arguments it was made from.
      drv =
        system: attrs:
        derivation {
          name = attrs.name or "${attrs.pname}-${attrs.version}";
          inherit system;
          builder = "/bin/sh";
          args = [
            "-c"
            "echo stand-in nixpkgs: nothing is built; exit 1"
          ];
        }
        // attrs;

      pkgsFor =
        system:
        let
          python = name: dist: version: drv system {
            pname = name;
            inherit version;
            dist = {
              name = dist;
              inherit version;
            };
          };
          python3Packages = {
            buildPythonApplication = attrs: drv system attrs;
            setuptools = python "setuptools" "setuptools" "80.9.0";
            tree-sitter = python "tree-sitter" "tree-sitter" "0.25.2";
            networkx = python "networkx" "networkx" "3.6.1";
            typer = python "typer" "typer" "0.27.3";
            markdown-it-py = python "markdown-it-py" "markdown-it-py" "4.3.0";
            pytest = python "pytest" "pytest" "8.4.2";
            hypothesis = python "hypothesis" "hypothesis" "6.140.3";
            pyyaml = python "pyyaml" "PyYAML" "6.0.3";
            jsonschema = python "jsonschema" "jsonschema" "4.25.1";
            mypy = python "mypy" "mypy" "1.18.2";
            # Generated per built grammar; its pyproject.toml names the distribution after
            # the module, with the grammar's version.
            tree-sitter-grammars.tree-sitter-nix = drv system {
              pname = "python-tree-sitter-nix";
              version = "0-unstable-2025-08-11";
              dist = {
                name = "tree_sitter_nix";
                version = "0+unstable20250811";
              };
            };
          };
        in
        {
          inherit python3Packages;
          python3.withPackages = f: drv system {
            name = "python3-env";
            packages = f python3Packages;
          };
          stdenv.hostPlatform.system = system;
          runCommand =
            name: env: script:
            drv system ({ inherit name script; } // env);
          mkShell = attrs: drv system ({ name = "nix-shell"; } // attrs);
          ruff = drv system {
            pname = "ruff";
            version = "0.14.0";
          };
          graphviz = drv system {
            pname = "graphviz";
            version = "12.2.1";
          };
        };
    in
    {
      inherit lib;
      legacyPackages = lib.genAttrs systems pkgsFor;
    };
}
