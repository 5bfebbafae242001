# Which other DNS services of a NixOS configuration would hold port 53 on an address megdns
# listens on: the messages of module.nix's assertions, so `nixos-rebuild` fails with a reason
# instead of megdns failing to bind ("Address already in use") on the machine. Builtins only,
# no nixpkgs, so tests/integration/t_nixos.sh evaluates it with a bare nix-instantiate.
#
#   listen:    megdns's server.listen ("ADDR@PORT" strings, IPv6 as "::1@53")
#   services:  config.services; only unbound, kresd, dnsmasq and resolved are read, and a
#              service that is not there (or not enabled) holds nothing
#
# A wildcard address (0.0.0.0, ::) on either side clashes with every address of its family.
{ listen, services }:
let
  bare = a: builtins.replaceStrings [ "[" "]" ] [ "" "" ] a;
  # "ADDR@PORT" (megdns, unbound), "ADDR:PORT" / "[V6]:PORT" (kresd), or a bare address.
  split =
    sep: a:
    let
      m = builtins.match (if sep == "@" then "(.*)@([0-9]+)" else "\\[?([^]]*[^]:]|[^:]*)]?:([0-9]+)") a;
    in
    if m == null then
      {
        addr = bare a;
        port = 53;
      }
    else
      {
        addr = bare (builtins.elemAt m 0);
        port = builtins.fromJSON (builtins.elemAt m 1);
      };
  on53 = sep: list: map (x: x.addr) (builtins.filter (x: x.port == 53) (map (split sep) list));

  ours = on53 "@" listen;
  wildcard = a: a == "0.0.0.0" || a == "::";
  v6 = a: builtins.match ".*:.*" a != null;
  clashes = a: b: a == b || ((wildcard a || wildcard b) && v6 a == v6 b);
  shared = theirs: builtins.filter (o: builtins.any (clashes o) theirs) ours;

  on = name: (services.${name}.enable or false);
  toList = x: if builtins.isList x then x else [ x ];

  unboundServer = services.unbound.settings.server or { };
  unbound = map (
    a: if (unboundServer.port or 53) == 53 then bare (builtins.head (builtins.split "@" a)) else "none"
  ) (toList (unboundServer.interface or [ "127.0.0.1" "::1" ]));

  kresd = on53 ":" (services.kresd.listenPlain or [ "[::1]:53" "127.0.0.1:53" ]);

  dnsmasqSettings = services.dnsmasq.settings or { };
  # dnsmasq binds the wildcard addresses unless told to bind interfaces.
  dnsmasq =
    if (dnsmasqSettings.port or 53) != 53 then
      [ ]
    else if dnsmasqSettings.bind-interfaces or false then
      toList (dnsmasqSettings.listen-address or [ "127.0.0.1" "::1" ])
    else
      [ "0.0.0.0" "::" ];

  resolvedStub =
    let
      extra = services.resolved.extraConfig or "";
      setting = toString ((services.resolved.settings or { }).Resolve.DNSStubListener or "yes");
    in
    builtins.match "(.*\n)?[[:space:]]*DNSStubListener[[:space:]]*=[[:space:]]*(no|false|0).*" extra == null
    && !builtins.elem setting [ "no" "false" "" "0" ];
  resolved = if resolvedStub then [ "127.0.0.53" "127.0.0.54" ] else [ ];

  holders = [
    {
      service = "unbound";
      name = "services.unbound";
      addrs = unbound;
      fix = "set services.unbound.settings.server.interface to other addresses, or disable it";
    }
    {
      service = "kresd";
      name = "services.kresd";
      addrs = kresd;
      fix = "set services.kresd.listenPlain to other addresses, or disable it";
    }
    {
      service = "dnsmasq";
      name = "services.dnsmasq";
      addrs = dnsmasq;
      fix = "set services.dnsmasq.settings.port = 0 (DHCP only), or bind-interfaces with other listen-address";
    }
    {
      service = "resolved";
      name = "systemd-resolved's stub listener";
      addrs = resolved;
      fix = "set services.resolved.extraConfig = \"DNSStubListener=no\", or give megdns its own addresses (not 0.0.0.0 or 127.0.0.53)";
    }
  ];
in
map (
  h:
  "services.megdns listens on port 53 at ${builtins.concatStringsSep ", " (shared h.addrs)}, "
  + "where ${h.name} also listens (${builtins.concatStringsSep ", " h.addrs}): ${h.fix}."
) (builtins.filter (h: on h.service && shared h.addrs != [ ]) holders)
