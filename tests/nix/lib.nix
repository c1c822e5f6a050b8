# A small, honest stub of the parts of nixpkgs `lib` that NixOS module files use.
#
# Option declarations and properties are plain tagged attrsets, built the same
# way nixpkgs builds them (`_type = "option"`, `_type = "override"`, ...), so a
# module evaluated against this stub declares the same defaults it would declare
# against nixpkgs. What is deliberately different from nixpkgs:
#   - types carry a `name` and a `check`, not the full merge machinery, and
#     `types.port` is tagged `name = "port"` (in nixpkgs `port = ints.u16`, so
#     the two are indistinguishable there);
#   - mkRenamedOptionModule / mkRemovedOptionModule return `{}`.
let
  inherit (builtins)
    attrNames
    concatMap
    concatStringsSep
    elem
    filter
    foldl'
    isAttrs
    isBool
    isFunction
    isInt
    isList
    isPath
    isString
    listToAttrs
    mapAttrs
    ;

  # --- options -------------------------------------------------------------

  mkOption = args: args // { _type = "option"; };

  mkEnableOption =
    name:
    mkOption {
      default = false;
      example = true;
      description = "Whether to enable ${name}.";
      type = types.bool;
    };

  mkPackageOption =
    pkgs: name:
    {
      default ? [ name ],
      example ? null,
      ...
    }:
    let
      path = if isList default then default else [ default ];
      attr = concatStringsSep "." path;
    in
    mkOption {
      type = types.package;
      default = pkgs.${attr} or (throw "mkPackageOption: package `${attr}' is not in the stub pkgs");
      defaultText = literalExpression "pkgs.${attr}";
      description = "The ${name} package to use.";
    }
    // optionalAttrs (example != null) { inherit example; };

  # --- properties (same shapes as nixpkgs lib/modules.nix) -------------------

  mkIf = condition: content: {
    _type = "if";
    inherit condition content;
  };
  mkMerge = contents: {
    _type = "merge";
    inherit contents;
  };
  mkOverride = priority: content: {
    _type = "override";
    inherit priority content;
  };
  mkOptionDefault = mkOverride 1500;
  mkDefault = mkOverride 1000;
  mkForce = mkOverride 50;
  mkOrder = priority: content: {
    _type = "order";
    inherit priority content;
  };
  mkBefore = mkOrder 500;
  mkAfter = mkOrder 1500;

  mkRenamedOptionModule = _from: _to: { };
  mkRemovedOptionModule = _path: _why: { };

  # --- documentation helpers -----------------------------------------------

  literalExpression = text: {
    _type = "literalExpression";
    inherit text;
  };
  literalMD = text: {
    _type = "literalMD";
    inherit text;
  };
  mdDoc = text: text;

  # --- types ---------------------------------------------------------------

  mkType =
    name: check: extra:
    {
      _type = "option-type";
      inherit name check;
    }
    // extra;

  between =
    lo: hi:
    mkType "intBetween" (v: isInt v && v >= lo && v <= hi) {
      inherit lo hi;
    };

  types = rec {
    int = mkType "int" isInt { };
    ints = {
      u8 = mkType "u8" (v: isInt v && v >= 0 && v <= 255) { };
      u16 = mkType "u16" (v: isInt v && v >= 0 && v <= 65535) { };
      u32 = mkType "u32" (v: isInt v && v >= 0 && v <= 4294967295) { };
      positive = mkType "positiveInt" (v: isInt v && v > 0) { };
      unsigned = mkType "unsignedInt" (v: isInt v && v >= 0) { };
      inherit between;
    };
    port = mkType "port" (v: isInt v && v >= 0 && v <= 65535) { };
    str = mkType "str" isString { };
    bool = mkType "bool" isBool { };
    path = mkType "path" (v: isPath v || isString v) { };
    package = mkType "package" (v: isAttrs v || isPath v || isString v) { };
    lines = mkType "lines" isString { };
    separatedString = sep: mkType "separatedString" isString { inherit sep; };
    anything = mkType "anything" (_: true) { };
    raw = mkType "raw" (_: true) { };
    enum = values: mkType "enum" (v: elem v values) { inherit values; };
    listOf = elemType: mkType "listOf" isList { inherit elemType; };
    attrsOf = elemType: mkType "attrsOf" isAttrs { inherit elemType; };
    lazyAttrsOf = elemType: mkType "lazyAttrsOf" isAttrs { inherit elemType; };
    nullOr = elemType: mkType "nullOr" (v: v == null || elemType.check v) { inherit elemType; };
    either = t1: t2: mkType "either" (v: t1.check v || t2.check v) { inherit t1 t2; };
    oneOf = ts: mkType "oneOf" (v: builtins.any (t: t.check v) ts) { inherit ts; };
    submodule =
      module:
      mkType "submodule" (v: isAttrs v || isFunction v) {
        inherit module;
      };
  };

  # --- lists, strings, attrsets --------------------------------------------

  optional = cond: x: if cond then [ x ] else [ ];
  optionals = cond: xs: if cond then xs else [ ];
  optionalString = cond: s: if cond then s else "";
  optionalAttrs = cond: as: if cond then as else { };

  nameValuePair = name: value: { inherit name value; };
  setAttrByPath =
    path: value:
    if path == [ ] then value else { ${builtins.head path} = setAttrByPath (builtins.tail path) value; };
  attrByPath =
    path: default: set:
    if path == [ ] then
      set
    else if isAttrs set && set ? ${builtins.head path} then
      attrByPath (builtins.tail path) default set.${builtins.head path}
    else
      default;
  hasAttrByPath =
    path: set:
    path == [ ] || (isAttrs set && set ? ${builtins.head path} && hasAttrByPath (builtins.tail path) set.${builtins.head path});
  getAttrFromPath =
    path: set: attrByPath path (throw "cannot find attribute `${concatStringsSep "." path}'") set;
  unique = foldl' (acc: x: if elem x acc then acc else acc ++ [ x ]) [ ];
  last = xs: builtins.elemAt xs (builtins.length xs - 1);
  mapAttrsToList = f: as: map (n: f n as.${n}) (attrNames as);
  genAttrs = names: f: listToAttrs (map (n: nameValuePair n (f n)) names);
  filterAttrs =
    pred: as:
    listToAttrs (
      concatMap (n: if pred n as.${n} then [ (nameValuePair n as.${n}) ] else [ ]) (attrNames as)
    );

  # Like nixpkgs: merge recursively while both sides are (non-derivation) attrsets.
  recursiveUpdate =
    lhs: rhs:
    let
      both = n: isAttrs lhs.${n} && isAttrs rhs.${n} && !(lhs.${n} ? type && lhs.${n}.type == "derivation");
    in
    lhs
    // mapAttrs (n: v: if lhs ? ${n} && both n then recursiveUpdate lhs.${n} v else v) rhs;

  toUpper = builtins.replaceStrings lowerChars upperChars;
  toLower = builtins.replaceStrings upperChars lowerChars;
  lowerChars = [ "a" "b" "c" "d" "e" "f" "g" "h" "i" "j" "k" "l" "m" "n" "o" "p" "q" "r" "s" "t" "u" "v" "w" "x" "y" "z" ];
  upperChars = [ "A" "B" "C" "D" "E" "F" "G" "H" "I" "J" "K" "L" "M" "N" "O" "P" "Q" "R" "S" "T" "U" "V" "W" "X" "Y" "Z" ];

  hasPrefix = pre: s: builtins.substring 0 (builtins.stringLength pre) s == pre;
  hasSuffix =
    suf: s:
    let
      ls = builtins.stringLength s;
      lf = builtins.stringLength suf;
    in
    lf <= ls && builtins.substring (ls - lf) lf s == suf;

  versions = {
    splitVersion = builtins.splitVersion;
    major = v: builtins.elemAt (builtins.splitVersion v) 0;
    minor = v: builtins.elemAt (builtins.splitVersion v) 1;
    majorMinor = v: "${versions.major v}.${versions.minor v}";
  };

  strings = {
    inherit
      concatStringsSep
      optionalString
      hasPrefix
      hasSuffix
      toUpper
      toLower
      ;
    concatMapStringsSep = sep: f: xs: concatStringsSep sep (map f xs);
  };
in
{
  inherit
    mkOption
    mkEnableOption
    mkPackageOption
    mkIf
    mkMerge
    mkOverride
    mkOptionDefault
    mkDefault
    mkForce
    mkOrder
    mkBefore
    mkAfter
    mkRenamedOptionModule
    mkRemovedOptionModule
    literalExpression
    literalMD
    mdDoc
    types
    optional
    optionals
    optionalString
    optionalAttrs
    concatStringsSep
    mapAttrs
    mapAttrsToList
    listToAttrs
    nameValuePair
    setAttrByPath
    attrByPath
    hasAttrByPath
    getAttrFromPath
    unique
    last
    genAttrs
    attrNames
    filterAttrs
    foldl'
    recursiveUpdate
    toUpper
    toLower
    hasPrefix
    hasSuffix
    versions
    strings
    elem
    filter
    ;
  inherit (builtins)
    attrValues
    concatLists
    head
    tail
    length
    toString
    ;
  concatMapStringsSep = strings.concatMapStringsSep;
  isOption = v: isAttrs v && v._type or "" == "option";
  isType = t: v: isAttrs v && v._type or "" == t;
  id = x: x;
  const = x: _: x;
}
