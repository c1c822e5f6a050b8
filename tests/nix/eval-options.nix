# Evaluate one NixOS module file against the stub lib and report its port options.
#
#   nix-instantiate --eval --strict --json eval-options.nix --argstr file /abs/module.nix
#
# Result: a list of
#   { path = "pim.tailscaleServe.httpsPort"; type = "port"; hasDefault = true;
#     default = 8443; evalError = false; wrapped = false; }
# for every option typed port, ints.u16, or nullOr of those. `default` is null
# (and `evalError` true) when the default throws or is not an int / null;
# `wrapped` says the default was written as mkDefault/mkOverride/... and had to
# be unwrapped (nixpkgs would NOT unwrap it, see mkOptionValue below).
#
# Failures that builtins.tryEval cannot catch (a missing attribute such as
# `pkgs.foo`, reading a missing file) abort the whole run. The caller then
# re-runs with `listOnly = true` (defaults are not touched) and evaluates each
# option on its own with `only = "<path>"`.
{
  file,
  only ? null,
  listOnly ? false,
}:
let
  lib = import ./lib.nix;
  inherit (builtins)
    attrNames
    concatMap
    filter
    foldl'
    head
    isAttrs
    isFunction
    isInt
    mapAttrs
    tail
    tryEval
    ;

  isOption = v: isAttrs v && v._type or "" == "option";

  # `a."b.c".d`, quoting like nixpkgs' showOption.
  showPath =
    path:
    builtins.concatStringsSep "." (
      map (n: if builtins.match "[a-zA-Z_][a-zA-Z0-9_'-]*" n != null then n else ''"${n}"'') path
    );

  # The stub pkgs: deliberately empty, so `pkgs.foo` is an (uncatchable) error.
  pkgs = { };

  moduleFile = /. + file;
  imported = import moduleFile;
  args = {
    inherit lib pkgs config;
    options = declared;
    osConfig = { };
    modulesPath = /nonexistent/nixos/modules;
    specialArgs = { };
    utils = { };
  };
  # Pass what the function asks for (a module without `...` still works); a
  # formal we do not know evaluates to a throw only if it is used.
  callModule =
    f:
    let
      wanted = builtins.functionArgs f;
      extra = mapAttrs (n: _: throw "eval-options: no module argument `${n}'") wanted;
    in
    if wanted == { } then f args else f (builtins.intersectAttrs wanted (extra // args));
  module = if isFunction imported then callModule imported else imported;

  declared = module.options or { };
  # A module without `options`/`config` keys is all config (shorthand form).
  configSection =
    if module ? options || module ? config then
      module.config or { }
    else
      removeAttrs module [
        "imports"
        "_file"
        "key"
        "meta"
        "disabledModules"
      ];

  # --- the options tree, flattened ------------------------------------------

  # [ { path = [ "pim" "port" ]; opt = { ... }; } ]
  collect =
    prefix: tree:
    if isOption tree then
      [
        {
          path = prefix;
          opt = tree;
        }
      ]
    else if isAttrs tree && tree._type or null == null then
      concatMap (n: collect (prefix ++ [ n ]) tree.${n}) (attrNames tree)
    else
      [ ];
  allOptions = collect [ ] declared;

  # --- config: option defaults merged with the module's own config section ---

  unwrap = v: if isAttrs v && v._type or "" == "override" then unwrap v.content else v;

  # nixpkgs' pushDownProperties: mkMerge/mkIf/mkOverride pushed into children.
  pushDown =
    v:
    if !isAttrs v then
      [ ]
    else if v._type or "" == "merge" then
      concatMap pushDown v.contents
    else if v._type or "" == "if" then
      map (mapAttrs (_: lib.mkIf v.condition)) (pushDown v.content)
    else if v._type or "" == "override" then
      map (mapAttrs (_: lib.mkOverride v.priority)) (pushDown v.content)
    else
      [ v ];

  # The definitions the config section makes at `path`.
  defsAt =
    path: v:
    if path == [ ] then
      [ v ]
    else
      concatMap (c: if c ? ${head path} then defsAt (tail path) c.${head path} else [ ]) (pushDown v);

  # nixpkgs' dischargeProperties: expand mkMerge, decide mkIf.
  discharge =
    v:
    if isAttrs v && v._type or "" == "merge" then
      concatMap discharge v.contents
    else if isAttrs v && v._type or "" == "if" then
      (if v.condition then discharge v.content else [ ])
    else
      [ v ];

  prio = v: if isAttrs v && v._type or "" == "override" then v.priority else 100;

  # The value of one option. Like nixpkgs, the default enters at priority 1500
  # (mkOptionDefault) and the definitions with the best priority win. Unlike
  # nixpkgs, the default is unwrapped first: nixpkgs strips only the outer
  # mkOptionDefault, so `default = mkDefault 8080` leaves an override attrset
  # that then fails the type check.
  mkOptionValue =
    path: opt:
    let
      defs =
        lib.optional (opt ? default) (lib.mkOptionDefault (unwrap opt.default))
        ++ concatMap discharge (defsAt path configSection);
      best = foldl' (p: v: if prio v < p then prio v else p) 9999 defs;
      winners = map (v: if isAttrs v && v._type or "" == "order" then v.content else v) (
        map unwrap (filter (v: prio v == best) defs)
      );
    in
    if winners == [ ] then
      throw "The option `${showPath path}' is used but not defined."
    else if builtins.all (w: w == head winners) winners then
      head winners
    else
      throw "The option `${showPath path}' has conflicting definitions.";

  # Same shape as the options tree, built lazily: forcing one value forces only
  # that option's definitions.
  configOf =
    prefix: tree:
    if isOption tree then
      mkOptionValue prefix tree
    else if isAttrs tree && tree._type or null == null then
      mapAttrs (n: configOf (prefix ++ [ n ])) tree
    else
      { };
  config = configOf [ ] declared;

  # --- port options ---------------------------------------------------------

  portNames = [
    "port"
    "u16"
    "unsignedInt16"
  ];
  typeName =
    opt:
    let
      t = tryEval (
        let
          ty = opt.type or null;
        in
        if ty == null then
          null
        else if ty.name == "nullOr" then
          (if builtins.elem ty.elemType.name portNames then "nullOr ${ty.elemType.name}" else null)
        else if builtins.elem ty.name portNames then
          ty.name
        else
          null
      );
    in
    if t.success then t.value else null;

  report =
    o:
    let
      hasDefault = opt ? default;
      opt = o.opt;
      raw = tryEval (
        let
          v = unwrap opt.default;
        in
        if isInt v || v == null then v else throw "not an int"
      );
      wrapped = tryEval (isAttrs opt.default && opt.default._type or "" == "override");
    in
    {
      path = showPath o.path;
      type = typeName opt;
      inherit hasDefault;
    }
    // (
      if listOnly || !hasDefault then
        {
          default = null;
          evalError = false;
          wrapped = false;
        }
      else
        {
          default = if raw.success then raw.value else null;
          evalError = !raw.success;
          wrapped = wrapped.success && wrapped.value;
        }
    );

  ports = filter (o: typeName o.opt != null) allOptions;
  selected = if only == null then ports else filter (o: showPath o.path == only) ports;
in
map report selected
