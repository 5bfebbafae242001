# The megdns config that services.megdns writes, as a Nix value (rendered to YAML by
# module.nix with pkgs.formats.yaml). Builtins only, no nixpkgs, so tests/integration/t_nixos.sh
# can evaluate it with a bare nix-instantiate and check the result with `megdns -t`.
#
#   cfg:        the services.megdns option values (missing attributes take the module's
#               defaults, so a node's plain `services.megdns = { ... }` works too)
#   zonePath:   how a zone given as a Nix path becomes a string. The module interpolates it
#               ("${path}"), which copies the file into the store; the test passes
#               builtins.toString to keep the path where it is.
{
  cfg,
  zonePath ? (p: "${p}"),
}:
let
  settings = cfg.settings or { };
  views = cfg.views or [ ];
  controlSocket = cfg.controlSocket or "/run/megdns/control.sock";

  zone = z: if builtins.isPath z then zonePath z else z;

  # Empty lists are left out (megdns reads a missing key and [] alike), so the YAML shows
  # only what the view sets.
  optional = key: list: if list == [ ] then { } else { ${key} = list; };
  renderView =
    v:
    { inherit (v) name; }
    // optional "match-clients" (v.matchClients or [ ])
    // optional "match-interfaces" (v.matchInterfaces or [ ])
    // optional "match-destinations" (v.matchDestinations or [ ])
    // optional "zones" (map zone (v.zones or [ ]))
    // optional "records" (v.records or [ ])
    // optional "upstreams" (v.upstreams or [ ]);
in
settings
// {
  control = (settings.control or { }) // {
    socket = controlSocket;
  };
}
// (if views == [ ] then { } else { views = map renderView views; })
