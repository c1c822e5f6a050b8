# Evaluate a whole module tree (every file as one module set) against the stub
# lib, and report every port the issue-3 contract names, as Nix sees it.
#
#   nix-instantiate --eval --strict --json eval-tree.nix \
#     --argstr files '["/abs/a.nix", "/abs/b.nix"]' --argstr pkgsNames '["foo"]'
#
# A small module system: every file's `options` are merged into one tree
# (submodule types are entered with a `<name>` / `*` segment for the listing),
# every file's `config` section is merged into one `config` (mkIf conditions
# decided against that config, mkMerge expanded, mkDefault/mkForce priorities
# applied, attrsOf (submodule ...) entries built from the submodule's options),
# and `osConfig` is that same config (the NixOS config a home-manager module
# sees). Paths nobody declares (nixpkgs' own `services.ollama.port`) are
# "freeform": their value is the merge of their definitions.
#
# Result: { ports = [ record ]; declared = [ "a.b.port" ... ]; values = [ ... ]; }
#   record = { origin; path; option; type; file; state; port; endPort; name;
#              active; merged; wrapped; }
#     origin  "option" | "option-by-name" | "config" | "tailscale-service" | "firewall"
#     state   "known" | "null" | "absent" | "error"  (port is null unless known)
#     active  for config-side records: every mkIf around the definition holds in
#             the merged config (null when deciding that throws)
#     merged  tailscale-service only: the merged config's port of that service
#             (null when inactive or unevaluable)
#   declared: every option path of the tree, any type (submodules entered).
#   values:   for `query` (JSON list of segment lists): the merged config there.
#
# `pkgsNames` lists the `pkgs.X` names the files use: the stub pkgs maps each to
# a `throw`, which builtins.tryEval catches, where a missing attribute would
# abort the whole run. Other uncatchable failures (a read of an undeclared
# option without `or`) abort it anyway; the caller then re-runs with
# `listOnly = true` (no value is forced) and evaluates each record on its own
# with `only = "<index>"`.
{
  files,
  pkgsNames ? "[]",
  query ? "[]",
  listOnly ? false,
  only ? null,
  # Only answer `query`: no records are built, so none can abort the run.
  valuesOnly ? false,
}:
let
  lib = import ./lib.nix;
  inherit (builtins)
    all
    attrNames
    concatMap
    elem
    filter
    foldl'
    functionArgs
    genList
    head
    intersectAttrs
    isAttrs
    isFunction
    isInt
    isList
    isPath
    isString
    length
    listToAttrs
    mapAttrs
    match
    tail
    tryEval
    ;

  isOption = v: isAttrs v && v._type or "" == "option";
  isPlainSet = v: isAttrs v && v._type or null == null;
  typeOf = v: if isAttrs v then v._type or null else null;

  showPath =
    path:
    builtins.concatStringsSep "." (
      map (
        n:
        if elem n [ "<name>" "*" ] || match "[a-zA-Z_][a-zA-Z0-9_'-]*" n != null then n else ''"${n}"''
      ) path
    );

  take = n: xs: genList (builtins.elemAt xs) (if length xs < n then length xs else n);
  unique = foldl' (acc: x: if elem x acc then acc else acc ++ [ x ]) [ ];

  pkgs = listToAttrs (
    map (n: {
      name = n;
      value = throw "stub pkgs: pkgs.${n} is not available without nixpkgs";
    }) (builtins.fromJSON pkgsNames)
  );

  # --- the modules ------------------------------------------------------------

  args = {
    inherit lib pkgs config;
    options = declared;
    osConfig = config;
    modulesPath = /nonexistent/nixos/modules;
    specialArgs = { };
    utils = { };
  };

  # Pass what a module function asks for; an unknown formal (`name` at the top
  # level) is a throw that fires only if the module uses it.
  callWith =
    a: f:
    let
      wanted = functionArgs f;
      extra = mapAttrs (n: _: throw "eval-tree: no module argument `${n}'") wanted;
    in
    if wanted == { } then f a else f (intersectAttrs wanted (extra // a));

  # Path imports are other files of the tree (already in `files`): only inline
  # modules (attrsets, functions) are expanded here.
  inline = i: !(isPath i || isString i);
  expand =
    file: m:
    let
      v = if isFunction m then callWith args m else m;
    in
    [
      {
        inherit file;
        module = v;
      }
    ]
    ++ concatMap (expand file) (filter inline (v.imports or [ ]));
  modules = concatMap (file: expand file (import (/. + file))) (builtins.fromJSON files);

  optionsOf = v: if v ? options then v.options else { };
  # A module without `options`/`config` keys is all config (shorthand form).
  configOf =
    v:
    if v ? options || v ? config then
      v.config or { }
    else
      removeAttrs v [
        "imports"
        "_file"
        "key"
        "meta"
        "disabledModules"
      ];

  mergeDecl =
    a: b:
    if isPlainSet a && isPlainSet b && !isOption a && !isOption b then
      a // mapAttrs (n: v: if a ? ${n} then mergeDecl a.${n} v else v) b
    else
      b;
  declared = foldl' mergeDecl { } (map (m: optionsOf m.module) modules);

  # --- properties (nixpkgs lib/modules.nix) -----------------------------------

  # pushDownProperties: mkMerge/mkIf/mkOverride moved onto an attrset's children.
  pushDown =
    v:
    if !isAttrs v then
      [ ]
    else if typeOf v == "merge" then
      concatMap pushDown v.contents
    else if typeOf v == "if" then
      map (mapAttrs (_: lib.mkIf v.condition)) (pushDown v.content)
    else if typeOf v == "override" then
      map (mapAttrs (_: lib.mkOverride v.priority)) (pushDown v.content)
    else if typeOf v == "order" then
      pushDown v.content
    else if typeOf v == null then
      [ v ]
    else
      [ ];

  # dischargeProperties: expand mkMerge, decide mkIf, keep the priority.
  discharge =
    v:
    if typeOf v == "merge" then
      concatMap discharge v.contents
    else if typeOf v == "if" then
      (if v.condition then discharge v.content else [ ])
    else if typeOf v == "override" then
      map (lib.mkOverride v.priority) (discharge v.content)
    else if typeOf v == "order" then
      discharge v.content
    else
      [ v ];

  prio = v: if typeOf v == "override" then v.priority else 100;
  unwrap = v: if typeOf v == "override" then unwrap v.content else v;

  # filterOverrides: only the definitions with the best priority count.
  winners =
    defs:
    let
      best = foldl' (p: v: if prio v < p then prio v else p) 9999 defs;
    in
    map unwrap (filter (v: prio v == best) defs);

  # --- the merged config --------------------------------------------------------

  declChild = decl: n: if isPlainSet decl && !isOption decl && decl ? ${n} then decl.${n} else null;

  # The value at `path`, given what is declared there (`decl`, possibly null)
  # and the raw definitions made there.
  valueOf =
    path: decl: defs:
    if isOption decl then
      optionValue path decl defs
    else
      let
        pushed = concatMap pushDown defs;
        names = unique (
          (if isPlainSet decl then attrNames decl else [ ]) ++ concatMap attrNames pushed
        );
      in
      if decl == null && pushed == [ ] then
        freeformLeaf path defs
      else
        listToAttrs (
          map (n: {
            name = n;
            value = valueOf (path ++ [ n ]) (declChild decl n) (
              concatMap (c: if c ? ${n} then [ c.${n} ] else [ ]) pushed
            );
          }) names
        );

  # An undeclared leaf: the best-priority definitions; lists concatenate.
  freeformLeaf =
    path: defs:
    let
      ws = winners (concatMap discharge defs);
    in
    if ws == [ ] then
      throw "The option `${showPath path}' is used but not defined."
    else if all isList ws then
      concatMap (x: x) ws
    else if all (w: w == head ws) ws then
      head ws
    else
      throw "The option `${showPath path}' has conflicting definitions.";

  # What a submodule type holds: { segment = [ "<name>" ]; module = m; } or null.
  submoduleOf =
    ty:
    if !isAttrs ty then
      null
    else if ty.name == "submodule" then
      {
        segment = [ ];
        inherit (ty) module;
      }
    else if ty.name == "nullOr" then
      submoduleOf ty.elemType
    else if elem ty.name [ "attrsOf" "lazyAttrsOf" "listOf" ] then
      let
        inner = submoduleOf ty.elemType;
      in
      if inner == null then
        null
      else
        inner // { segment = [ (if ty.name == "listOf" then "*" else "<name>") ] ++ inner.segment; }
    else
      null;

  # The submodule's module evaluated for one entry: { options; config = [ defs ]; }.
  callSubmodule =
    m: name: cfg:
    let
      v =
        if isFunction m then
          callWith (
            args
            // {
              inherit name;
              config = cfg;
            }
          ) m
        else
          m;
    in
    {
      options = optionsOf v;
      config = if v ? options || v ? config then [ (v.config or { }) ] else [ ];
    };

  submoduleValue =
    path: m: name: defs:
    let
      sub = callSubmodule m name self;
      self = valueOf path sub.options (sub.config ++ defs);
    in
    self;

  optionValue =
    path: opt: defs:
    let
      ty = opt.type or null;
      all' =
        lib.optional (opt ? default) (lib.mkOptionDefault (unwrap opt.default))
        ++ concatMap discharge defs;
      ws = winners all';
      elements =
        elemDefs: names:
        listToAttrs (
          concatMap (
            n:
            let
              eds = winners (concatMap (d: if d ? ${n} then discharge d.${n} else [ ]) elemDefs);
            in
            if eds == [ ] then
              [ ]
            else
              [
                {
                  name = n;
                  value = elementValue (path ++ [ n ]) ty.elemType n eds;
                }
              ]
          ) names
        );
    in
    if ws == [ ] then
      throw "The option `${showPath path}' is used but not defined."
    else if isAttrs ty && elem ty.name [ "attrsOf" "lazyAttrsOf" ] && all isAttrs ws then
      elements ws (unique (concatMap attrNames ws))
    else if isAttrs ty && ty.name == "listOf" then
      concatMap (x: x) ws
    else if isAttrs ty && ty.name == "submodule" then
      submoduleValue path ty.module (lastOf path) ws
    else if all (w: w == head ws) ws then
      head ws
    else
      throw "The option `${showPath path}' has conflicting definitions.";

  elementValue =
    path: ty: name: defs:
    if isAttrs ty && ty.name == "submodule" then
      submoduleValue path ty.module name defs
    else if all (w: w == head defs) defs then
      head defs
    else
      throw "The option `${showPath path}' has conflicting definitions.";

  config = valueOf [ ] declared (map (m: configOf m.module) modules);

  # --- option declarations --------------------------------------------------------

  # Defaults inside a submodule are evaluated for an entry named `<name>` that
  # nobody defines: the submodule's own defaults.
  collect =
    prefix: tree:
    if isOption tree then
      let
        sub = tryEval (submoduleOf (tree.type or null));
        inner =
          if sub.success && sub.value != null then
            let
              entry = prefix ++ sub.value.segment;
              s = callSubmodule sub.value.module "<name>" (submoduleValue entry sub.value.module "<name>" [ ]);
            in
            collect entry s.options
          else
            [ ];
      in
      [
        {
          path = prefix;
          opt = tree;
        }
      ]
      ++ inner
    else if isPlainSet tree then
      concatMap (n: collect (prefix ++ [ n ]) tree.${n}) (attrNames tree)
    else
      [ ];

  fileOf = m: m.file;
  # [ { path; opt; file; } ], each module's own options (so each knows its file).
  allOptions = concatMap (m: map (o: o // { file = fileOf m; }) (collect [ ] (optionsOf m.module))) modules;

  portTypes = [
    "port"
    "u16"
    "unsignedInt16"
  ];
  intTypes = [
    "int"
    "unsignedInt"
    "positiveInt"
    "intBetween"
  ];
  lastOf = path: builtins.elemAt path (length path - 1);
  # The names of axios_portlint/extract/portnames.py: `port` or a port suffix.
  portNamed = path: path != [ ] && match "port|.*Port|.*-port|.*_port|.*_PORT" (lastOf path) != null;

  # "option" / "option-by-name" / null, and the type's name.
  classify =
    o:
    let
      t = tryEval (
        let
          ty = o.opt.type or null;
        in
        if ty == null then
          null
        else if ty.name == "nullOr" && elem ty.elemType.name portTypes then
          {
            origin = "option";
            type = "nullOr ${ty.elemType.name}";
          }
        else if elem ty.name portTypes then
          {
            origin = "option";
            type = ty.name;
          }
        else if elem ty.name intTypes && portNamed o.path then
          {
            origin = "option-by-name";
            type = ty.name;
          }
        else
          null
      );
    in
    if t.success then t.value else null;

  # --- values -----------------------------------------------------------------------

  # { state; port; } of a value that should be a port.
  portState =
    thunk:
    let
      r = tryEval (
        let
          v = unwrap thunk;
        in
        if isInt v then
          {
            state = "known";
            port = v;
          }
        else if v == null then
          {
            state = "null";
            port = null;
          }
        else
          throw "not an int"
      );
    in
    if r.success then
      r.value
    else
      {
        state = "error";
        port = null;
      };

  blank = {
    type = null;
    endPort = null;
    name = null;
    active = true;
    merged = null;
    wrapped = false;
  };

  optionRecord =
    o: c:
    blank
    // {
      inherit (c) origin type;
      inherit (o) file;
      segments = o.path;
      value =
        if !(o.opt ? default) then
          {
            state = "absent";
            port = null;
          }
        else
          portState o.opt.default;
      wrapped =
        let
          w = tryEval (typeOf o.opt.default == "override");
        in
        o.opt ? default && w.success && w.value;
    };

  optionRecords = concatMap (
    o:
    let
      c = classify o;
    in
    if c == null then [ ] else [ (optionRecord o c) ]
  ) allOptions;

  # --- config-side definitions -------------------------------------------------------

  # Walk one definition, keeping the mkIf conditions it sits under, and yield a
  # record at each path the contract names. Only `services`, the Tailscale
  # services and the firewall lists are entered.
  enter =
    path: n:
    let
      p = path ++ [ n ];
    in
    if path == [ ] then
      elem n [ "services" "networking" ]
    else if head path == "services" then
      true
    else
      elem p [
        [ "networking" "tailscale" ]
        [ "networking" "firewall" ]
        [ "networking" "tailscale" "services" ]
        [ "networking" "firewall" "allowedTCPPorts" ]
        [ "networking" "firewall" "allowedUDPPorts" ]
        [ "networking" "firewall" "allowedTCPPortRanges" ]
        [ "networking" "firewall" "allowedUDPPortRanges" ]
      ]
      || path == [ "networking" "tailscale" "services" ];

  walk =
    file: path: conds: v:
    let
      # Forcing a value can throw (a string reading an option defined only
      # under a false mkIf): such a value is a leaf, and a record keeps it.
      isSet = tryEval (isAttrs v);
      t = if isSet.success && isSet.value then v._type or null else null;
      here = {
        inherit file conds;
        segments = path;
        def = v;
      };
      tailscaleLevel = length path == 4 && take 3 path == [ "networking" "tailscale" "services" ];
      portLeaf = path != [ ] && head path == "services" && portNamed path;
    in
    # A leaf (a Tailscale Service, a `port`) is recorded without forcing it:
    # forcing can fail in ways tryEval does not catch (1 / 0, infinite
    # recursion), and each record must fail alone. Its own mkIf/mkMerge are
    # peeled when the record is evaluated (see `peel`), so a Tailscale Service
    # written as mkMerge [ ... ] is one definition.
    if tailscaleLevel || portLeaf then
      [ (here // { kind = if tailscaleLevel then "tailscale-service" else "config"; }) ]
    else if t == "merge" then
      concatMap (walk file path conds) v.contents
    else if t == "if" then
      walk file path (conds ++ [ v.condition ]) v.content
    else if t == "override" || t == "order" then
      walk file path conds v.content
    else if length path == 3 && take 2 path == [ "networking" "firewall" ] then
      [ (here // { kind = "firewall"; }) ]
    else if isSet.success && isSet.value && t == null then
      concatMap (n: if enter path n then walk file (path ++ [ n ]) conds v.${n} else [ ]) (attrNames v)
    else
      [ ];

  definitions = concatMap (m: walk m.file [ ] [ ] (configOf m.module)) modules;

  # A leaf definition's own wrappers: { conds; def; } (mkMerge is kept whole).
  peel =
    conds: v:
    let
      t = typeOf v;
    in
    if t == "if" then
      peel (conds ++ [ v.condition ]) v.content
    else if t == "override" || t == "order" then
      peel conds v.content
    else
      {
        inherit conds;
        def = v;
      };

  activeOf =
    conds:
    let
      r = tryEval (all (c: c) conds);
    in
    if r.success then r.value else null;

  # The `port` a Tailscale Service definition sets itself, if any.
  ownPort =
    def:
    filter (d: d.segments == [ "port" ]) (
      concatMap (walkShallow [ ]) [ def ]
    );
  walkShallow =
    path: v:
    let
      isSet = tryEval (isAttrs v);
      t = if isSet.success && isSet.value then v._type or null else null;
    in
    if t == "merge" then
      concatMap (walkShallow path) v.contents
    else if t == "if" || t == "override" || t == "order" then
      walkShallow path v.content
    else if path == [ ] && isSet.success && isSet.value && t == null then
      concatMap (n: walkShallow [ n ] v.${n}) (attrNames v)
    else if path == [ ] then
      [ ]
    else
      [
        {
          segments = path;
          def = v;
        }
      ];

  submodulePortDefault = filter (
    r: r.segments == [ "networking" "tailscale" "services" "<name>" "port" ]
  ) optionRecords;

  configRecords = concatMap (
    d0:
    let
      # Lazy fields: nothing here is forced before the record's own value is.
      peeled = peel d0.conds d0.def;
      d =
        if d0.kind == "firewall" then
          d0
        else
          {
            inherit (d0) file kind segments;
            inherit (peeled) conds def;
          };
      base = blank // {
        inherit (d) file;
        origin = d.kind;
        active = if listOnly then null else activeOf d.conds;
      };
    in
    if d.kind == "config" then
      [
        (
          base
          // {
            inherit (d) segments;
            value = portState d.def;
          }
        )
      ]
    else if d.kind == "tailscale-service" then
      let
        name = lastOf d.segments;
        own = ownPort d.def;
        # `or`: an inactive service has no entry, and a missing attribute is
        # an error tryEval does not catch.
        merged = tryEval (config.networking.tailscale.services.${name}.port or null);
      in
      [
        (
          base
          // {
            inherit name;
            segments = d.segments ++ [ "port" ];
            value =
              let
                own' = tryEval (own != [ ]);
              in
              if !own'.success then
                {
                  state = "error";
                  port = null;
                }
              else if own'.value then
                portState (head own).def
              else if submodulePortDefault != [ ] then
                (head submodulePortDefault).value
              else
                {
                  state = "absent";
                  port = null;
                };
            merged = if !listOnly && merged.success && isInt merged.value then merged.value else null;
          }
        )
      ]
    else
      let
        ranges = match ".*Ranges" (lastOf d.segments) != null;
        forced = tryEval (
          let
            l = unwrap d.def;
          in
          if isList l then l else throw "not a list"
        );
        # A list that does not evaluate is one unknown entry.
        list = if forced.success then forced.value else [ (throw "firewall list does not evaluate") ];
      in
      genList (
        i:
        let
          item = builtins.elemAt list i;
        in
        base
        // {
          inherit (d) segments;
          value = portState (if ranges then item.from else item);
          endPort = if ranges then (portState (item.to or null)).port else null;
        }
      ) (length list)
  ) definitions;

  records = optionRecords ++ configRecords;

  render =
    r:
    removeAttrs r [
      "segments"
      "value"
    ]
    // {
      option = showPath r.segments;
      path = r.segments;
    }
    // (
      if listOnly then
        {
          state = "unevaluated";
          port = null;
          endPort = null;
          merged = null;
          wrapped = false;
        }
      else
        r.value
    );

  indexed = genList (i: render (builtins.elemAt records i)) (length records);

  lookup =
    path:
    let
      r = tryEval (
        let
          v = lib.attrByPath path (throw "undefined") config;
        in
        if isInt v || v == null then v else throw "not an int"
      );
    in
    {
      inherit path;
      defined = (tryEval (lib.hasAttrByPath path config)).value or false;
      state =
        if !r.success then
          "error"
        else if r.value == null then
          "null"
        else
          "known";
      port = if r.success then r.value else null;
    };
in
{
  ports =
    if valuesOnly then
      [ ]
    else if only == null then
      indexed else [ (builtins.elemAt indexed (builtins.fromJSON only)) ];
  declared = if only == null && !valuesOnly then unique (map (o: showPath o.path) allOptions) else [ ];
  values = map lookup (builtins.fromJSON query);
}
