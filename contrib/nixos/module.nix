# NixOS module: services.megdns, the megdns split-horizon DNS resolver.
#
#   imports = [ ./contrib/nixos/module.nix ];
#   services.megdns = {
#     enable = true;
#     settings.server.listen = [ "0.0.0.0@53" "::@53" ];
#     settings.upstreams = [ "9.9.9.9" "2620:fe::fe" ];
#     views = [ { name = "lan"; matchClients = [ "192.168.1.0/24" ]; zones = [ ./home.arpa.zone ]; } ];
#     openFirewall = true;
#   };
#
# Options are camelCase, as in nixpkgs; `settings` is the YAML config of megdns.yaml(5) as a
# Nix value with its own (YAML) key names; `views` is the typed form of its `views:` list,
# `controlSocket` its `control.socket`. An assertion stops a build where services.unbound,
# services.kresd, services.dnsmasq or systemd-resolved's stub would hold port 53 on one of
# megdns's addresses. The file is linked to
# /etc/megdns/megdns.yaml and a change to it reloads megdns (SIGHUP: the cache survives; the
# old config keeps serving if the new one fails) instead of restarting it. See
# contrib/nixos/example-meg.nix for a LAN + WireGuard pair deployed with colmena.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  inherit (lib)
    mkEnableOption
    mkOption
    mkIf
    types
    literalExpression
    optionals
    optional
    genAttrs
    ;

  cfg = config.services.megdns;
  yaml = pkgs.formats.yaml { };

  # The config as a Nix value: settings + views + control.socket.
  rendered = import ./render.nix { inherit cfg; };
  renderedFile = yaml.generate "megdns.yaml" rendered;

  # `megdns -t` needs nothing of the machine's (a config without upstreams resolves from the
  # root): it checks in the build sandbox too. It must be able to run the binary.
  canCheck = cfg.checkConfig && pkgs.stdenv.buildPlatform.canExecute pkgs.stdenv.hostPlatform;

  listen = (rendered.server or { }).listen or [
    "127.0.0.1@53"
    "::1@53"
  ];
  # Other DNS servers of this configuration on megdns's port-53 addresses.
  conflicts = import ./conflicts.nix {
    inherit listen;
    inherit (config) services;
  };

  # Checked at build time with `megdns -t` (every zone file it names too), so a broken config
  # fails `nixos-rebuild` / `colmena apply` instead of the running resolver's reload.
  configFile =
    if canCheck then
      pkgs.runCommand "megdns.yaml" { } ''
        cp ${renderedFile} $out
        ${cfg.package}/bin/megdns -t -c $out
      ''
    else
      renderedFile;

  # The port of an "ADDR@PORT" address (53 without one).
  portOf =
    addr:
    let
      m = builtins.match ".*@([0-9]+)" addr;
    in
    if m == null then 53 else lib.toInt (builtins.head m);
  metricsListen = (rendered.metrics or { }).listen or null;
  metricsPorts = optional (cfg.openMetricsFirewall && metricsListen != null) (portOf metricsListen);
  dnsPorts = optionals cfg.openFirewall (lib.unique (map portOf listen));
  ports = dnsPorts ++ metricsPorts;

  viewModule = {
    options = {
      name = mkOption {
        type = types.str;
        description = "Name of the view: unique, shown by `dig CH TXT view.megdns.` and `megdns-control explain`.";
      };
      matchClients = mkOption {
        type = types.listOf types.str;
        default = [ ];
        example = [
          "192.168.1.0/24"
          "fd00::/8"
        ];
        description = "Source prefixes (`match-clients`). IPv6 link-local prefixes take a scope: `fe80::/10%wg0`.";
      };
      matchInterfaces = mkOption {
        type = types.listOf types.str;
        default = [ ];
        example = [ "wg0" ];
        description = "Interfaces the query may arrive on (`match-interfaces`); works on a `0.0.0.0`/`::` listener.";
      };
      matchDestinations = mkOption {
        type = types.listOf types.str;
        default = [ ];
        example = [ "10.100.0.1" ];
        description = "Local addresses or prefixes the query may be sent to (`match-destinations`).";
      };
      zones = mkOption {
        type = types.listOf (types.either types.path types.str);
        default = [ ];
        example = literalExpression ''[ ./zones/lan/home.arpa.zone "''${./zones/wg}/home.arpa.zone" ]'';
        description = ''
          Zone files the view is authoritative for (`zones`). A Nix path is copied into the store
          alone: when a zone `$INCLUDE`s files beside it, name it inside its copied folder,
          `"''${./zones/lan}/home.arpa.zone"`. Strings must be absolute paths.
        '';
      };
      records = mkOption {
        type = types.listOf types.str;
        default = [ ];
        example = [ "nas.home.arpa. 300 IN A 10.100.0.20" ];
        description = "Single transparent records in zone-file syntax (`records`).";
      };
      upstreams = mkOption {
        type = types.listOf types.str;
        default = [ ];
        example = [ "10.100.0.1@5300" ];
        description = "Forwarders of this view alone (`upstreams`); the view gets its own cache scope.";
      };
    };
  };
in
{
  options.services.megdns = {
    enable = mkEnableOption "megdns, a split-horizon DNS resolver";

    package = mkOption {
      type = types.package;
      default = pkgs.callPackage ./package.nix { };
      defaultText = literalExpression "pkgs.callPackage ./package.nix { }";
      description = "The megdns package (provides `bin/megdns` and `bin/megdns-control`).";
    };

    settings = mkOption {
      type = yaml.type;
      default = { };
      example = literalExpression ''
        {
          server.listen = [ "0.0.0.0@53" "::@53" ];
          server.query-log = false;
          upstreams = [ "9.9.9.9" "2620:fe::fe" ];
          forward-zones = [ { name = "corp.example."; upstreams = [ "10.0.0.53" ]; } ];
          cache.size = "64MiB";
          dnssec.insecure-domains = [ "corp.example." ];
          metrics.listen = "127.0.0.1@9153";
        }
      '';
      description = ''
        megdns configuration (megdns.yaml(5)) with the YAML key names, rendered to
        /etc/megdns/megdns.yaml. Keys left out take megdns's defaults. Leave `views` to
        {option}`services.megdns.views` and `control.socket` to
        {option}`services.megdns.controlSocket`, and `server.user` unset (the service already
        runs as an unprivileged dynamic user).
      '';
    };

    views = mkOption {
      type = types.listOf (types.submodule viewModule);
      default = [ ];
      description = ''
        Views, tried in order; the first whose criteria all match wins, a client matching none is
        REFUSED. Rendered into `settings.views` with the YAML key names (`match-clients`, ...).
      '';
    };

    controlSocket = mkOption {
      type = types.str;
      default = "/run/megdns/control.sock";
      description = ''
        Unix socket of `megdns-control` (`control.socket`, mode 0660; `""` disables it). It must
        be under /run/megdns, the only writable runtime directory of the service.
      '';
    };

    openFirewall = mkOption {
      type = types.bool;
      default = false;
      description = "Open the ports of `server.listen` (53 by default) for TCP and UDP.";
    };

    openMetricsFirewall = mkOption {
      type = types.bool;
      default = false;
      description = "Also open the TCP port of `metrics.listen` (Prometheus scrapes from another host).";
    };

    firewallInterfaces = mkOption {
      type = types.listOf types.str;
      default = [ ];
      example = [ "wg0" ];
      description = "Open the ports only on these interfaces; `[ ]` opens them on all.";
    };

    checkConfig = mkOption {
      type = types.bool;
      default = true;
      description = ''
        Check the generated config and its zone files with `megdns -t` at build time (it needs
        nothing of the machine's, so it runs in the sandbox). Skipped only when the build
        machine cannot run the package.
      '';
    };

    configFile = mkOption {
      type = types.path;
      readOnly = true;
      default = configFile;
      defaultText = literalExpression "the rendered megdns.yaml";
      description = "The generated config file (also linked to /etc/megdns/megdns.yaml).";
    };
  };

  config = mkIf cfg.enable {
    assertions = [
      {
        assertion = !(cfg.settings ? views && cfg.views != [ ]);
        message = "services.megdns: set views either in `views` or in `settings.views`, not both.";
      }
      {
        assertion = cfg.controlSocket == "" || lib.hasPrefix "/run/megdns/" cfg.controlSocket;
        message = "services.megdns.controlSocket must be under /run/megdns/ (or \"\" to disable it).";
      }
      {
        assertion = !cfg.openMetricsFirewall || metricsListen != null;
        message = "services.megdns.openMetricsFirewall needs settings.metrics.listen.";
      }
    ]
    ++ map (message: {
      assertion = false;
      inherit message;
    }) conflicts;

    environment.etc."megdns/megdns.yaml".source = configFile;
    # megdns-control on the PATH, and the man pages.
    environment.systemPackages = [ cfg.package ];

    networking.firewall =
      if cfg.firewallInterfaces == [ ] then
        {
          allowedUDPPorts = dnsPorts;
          allowedTCPPorts = ports;
        }
      else
        {
          interfaces = genAttrs cfg.firewallInterfaces (_: {
            allowedUDPPorts = dnsPorts;
            allowedTCPPorts = ports;
          });
        };

    systemd.services.megdns = {
      description = "megdns split-horizon DNS resolver";
      documentation = [
        "man:megdns(8)"
        "man:megdns.yaml(5)"
        "man:megdns-control(8)"
      ];
      wantedBy = [ "multi-user.target" ];
      # network.target, not network-online.target: listen addresses are bound with
      # IP_FREEBIND, so megdns starts before wg0 has its address and answers there once it has.
      after = [ "network.target" ];
      before = [ "nss-lookup.target" ];
      wants = [ "nss-lookup.target" ];
      # The path in ExecStart stays the same, so a new config reloads instead of restarting
      # (the cache is kept). A new package changes ExecStart and restarts.
      reloadTriggers = [ configFile ];
      # What a reload does not apply (megdns logs "restart megdns to apply it"): restart instead.
      restartTriggers = [
        (builtins.toJSON {
          server = lib.filterAttrs (k: _: builtins.elem k [ "listen" "threads" "user" ]) (rendered.server or { });
          control = rendered.control or { };
          metrics = rendered.metrics or { };
        })
      ];

      serviceConfig = {
        Type = "notify"; # READY=1 after the sockets are bound; RELOADING=1 around reloads
        ExecStart = "${cfg.package}/bin/megdns -c /etc/megdns/megdns.yaml";
        ExecReload = "${pkgs.coreutils}/bin/kill -HUP $MAINPID";
        # Warm cache across restarts; "-": a failure (no dump yet, socket disabled) is ignored.
        ExecStartPost = "-${cfg.package}/bin/megdns-control load-cache /var/lib/megdns/cache.dump";
        ExecStop = "-${cfg.package}/bin/megdns-control dump-cache /var/lib/megdns/cache.dump";
        Restart = "on-failure";
        RestartSec = "2s";

        # A user and group allocated by systemd while the service runs: nothing to create, and
        # megdns never runs as root (so `server.user` stays unset).
        DynamicUser = true;
        RuntimeDirectory = "megdns"; # /run/megdns: the control socket
        RuntimeDirectoryMode = "0750";
        StateDirectory = "megdns"; # /var/lib/megdns: cache dumps
        StateDirectoryMode = "0750";

        AmbientCapabilities = [ "CAP_NET_BIND_SERVICE" ];
        CapabilityBoundingSet = [ "CAP_NET_BIND_SERVICE" ];
        NoNewPrivileges = true;
        ProtectSystem = "strict";
        ProtectHome = true;
        PrivateTmp = true;
        PrivateDevices = true;
        ProtectKernelTunables = true;
        ProtectKernelModules = true;
        ProtectKernelLogs = true;
        ProtectControlGroups = true;
        ProtectClock = true;
        ProtectHostname = true;
        # AF_NETLINK: interface names for match-interfaces and "%wg0" scopes.
        RestrictAddressFamilies = [
          "AF_INET"
          "AF_INET6"
          "AF_UNIX"
          "AF_NETLINK"
        ];
        RestrictNamespaces = true;
        RestrictRealtime = true;
        RestrictSUIDSGID = true;
        LockPersonality = true;
        MemoryDenyWriteExecute = true;
        SystemCallArchitectures = "native";
        SystemCallFilter = [
          "@system-service"
          "~@privileged"
        ];
        SystemCallErrorNumber = "EPERM";
        ProtectProc = "invisible";
        PrivateMounts = true;
        UMask = "0077"; # the cache dump is private; the control socket sets its own mode
      };
    };
  };
}
