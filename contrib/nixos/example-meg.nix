# A colmena hive with megdns on two machines (docs/deploy.md walks through it):
#
#   pi   Raspberry Pi on the home LAN (eth0: 192.168.1.2, fd00::2; wg0: 10.100.0.2).
#        Views: "lan" for LAN clients arriving on eth0, "wg" for WireGuard peers
#        (10.100.0.0/24) reaching it through the tunnel, "self" for the Pi's own lookups.
#   vps  WireGuard hub (wg0: 10.100.0.1). megdns answers peers on 10.100.0.1 only; that
#        address is bound with IP_FREEBIND, so megdns starts before wg0 exists.
#
# Both serve home.arpa. from ./zones: LAN addresses in view lan, tunnel addresses in view wg.
#
#   colmena apply                      build and deploy both
#   colmena apply --on vps             one machine
#   colmena exec --on pi -- megdns-control status
#
# Replace the placeholders: SSH key, WireGuard public keys, the VPS's host name, and the boot
# and disk settings (take them from each machine's hardware-configuration.nix). The private
# WireGuard keys stay out of the Nix store: they are sops-encrypted in secrets/NODE.yaml
# (key `wg0-key`, encrypted to each machine's SSH host key turned into an age key, see
# .sops.yaml in docs/deploy.md) and sops-nix decrypts them on the machine at activation,
# to /run/secrets/wg0-key.
let
  upstreams = [
    "9.9.9.9"
    "2620:fe::fe"
  ];
  # Pin it in real use (a fixed revision and its sha256), like meta.nixpkgs.
  sops-nix = builtins.fetchTarball "https://github.com/Mic92/sops-nix/archive/master.tar.gz";
in
{
  meta = {
    description = "megdns: home LAN (pi) + WireGuard hub (vps)";
    # Pin it in real use, e.g. a nixpkgs checkout or a fetchTarball of a release.
    nixpkgs = <nixpkgs>;
  };

  defaults =
    { name, ... }:
    {
      imports = [
        ./module.nix
        "${sops-nix}/modules/sops"
      ];
      networking.hostName = name;

      # secrets/pi.yaml, secrets/vps.yaml: `sops secrets/NODE.yaml` writes `wg0-key: <wg genkey>`.
      sops.defaultSopsFile = ./secrets + "/${name}.yaml";
      sops.age.sshKeyPaths = [ "/etc/ssh/ssh_host_ed25519_key" ];
      sops.secrets."wg0-key" = { }; # root-only, read by the WireGuard unit
      services.openssh.enable = true;
      users.users.root.openssh.authorizedKeys.keys = [ "ssh-ed25519 AAAA...replace-me you@laptop" ];
      system.stateVersion = "24.05";

      services.megdns = {
        enable = true;
        settings = {
          inherit upstreams;
          cache.size = "64MiB";
          # Prometheus text format at http://127.0.0.1:9153/metrics (scrape through SSH or a
          # local agent; openMetricsFirewall would open it).
          metrics.listen = "127.0.0.1@9153";
        };
      };
    };

  pi =
    { config, ... }:
    {
      deployment = {
        targetHost = "192.168.1.2";
        # Build on the Pi itself (aarch64). Alternatively build here with
        # boot.binfmt.emulatedSystems = [ "aarch64-linux" ] on the deploying machine.
        buildOnTarget = true;
      };

      nixpkgs.hostPlatform = "aarch64-linux";
      boot.loader.grub.enable = false;
      boot.loader.generic-extlinux-compatible.enable = true;
      fileSystems."/" = {
        device = "/dev/disk/by-label/NIXOS_SD";
        fsType = "ext4";
      };

      networking = {
        # Keep the name eth0 (newer kernels call the Pi 4's port end0); view lan matches it.
        usePredictableInterfaceNames = false;
        interfaces.eth0 = {
          ipv4.addresses = [
            {
              address = "192.168.1.2";
              prefixLength = 24;
            }
          ];
          ipv6.addresses = [
            {
              address = "fd00::2";
              prefixLength = 64;
            }
          ];
        };
        defaultGateway = "192.168.1.1";
        nameservers = [ "127.0.0.1" ]; # the Pi asks its own megdns (view "self")
        wireguard.interfaces.wg0 = {
          ips = [ "10.100.0.2/24" ];
          privateKeyFile = config.sops.secrets."wg0-key".path;
          peers = [
            {
              publicKey = "VPS-PUBLIC-KEY-replace-me=";
              endpoint = "vps.example.net:51820";
              allowedIPs = [ "10.100.0.0/24" ];
              persistentKeepalive = 25;
            }
          ];
        };
      };

      services.megdns = {
        settings.server.listen = [
          "0.0.0.0@53"
          "::@53"
        ];
        # Port 53 on eth0 (LAN) and wg0 (peers); views refuse everyone else anyway.
        openFirewall = true;
        firewallInterfaces = [
          "eth0"
          "wg0"
        ];
        views = [
          {
            name = "lan";
            matchInterfaces = [ "eth0" ];
            matchClients = [
              "192.168.1.0/24"
              "fd00::/8"
            ];
            zones = [ ./zones/lan/home.arpa.zone ];
          }
          {
            name = "wg";
            matchClients = [ "10.100.0.0/24" ];
            zones = [ ./zones/wg/home.arpa.zone ];
          }
          {
            name = "self";
            matchClients = [
              "127.0.0.0/8"
              "::1"
            ];
            zones = [ ./zones/lan/home.arpa.zone ];
          }
        ];
      };
    };

  vps =
    { config, ... }:
    {
      deployment.targetHost = "vps.example.net";

      nixpkgs.hostPlatform = "x86_64-linux";
      boot.loader.grub.device = "/dev/vda";
      # The hub forwards between peers (a phone reaching the Pi or the NAS through the tunnel).
      boot.kernel.sysctl."net.ipv4.ip_forward" = 1;
      fileSystems."/" = {
        device = "/dev/vda1";
        fsType = "ext4";
      };

      networking = {
        nameservers = [ "127.0.0.1" ];
        firewall.allowedUDPPorts = [ 51820 ]; # WireGuard itself, on the public interface
        wireguard.interfaces.wg0 = {
          ips = [ "10.100.0.1/24" ];
          listenPort = 51820;
          privateKeyFile = config.sops.secrets."wg0-key".path;
          peers = [
            {
              # the Pi
              publicKey = "PI-PUBLIC-KEY-replace-me=";
              allowedIPs = [ "10.100.0.2/32" ];
            }
            {
              # the NAS (nas.home.arpa in view wg)
              publicKey = "NAS-PUBLIC-KEY-replace-me=";
              allowedIPs = [ "10.100.0.10/32" ];
            }
            {
              # a phone: its WireGuard config says DNS = 10.100.0.1
              publicKey = "PHONE-PUBLIC-KEY-replace-me=";
              allowedIPs = [ "10.100.0.20/32" ];
            }
          ];
        };
      };

      services.megdns = {
        # 10.100.0.1 belongs to wg0, which comes up after megdns: megdns binds it with
        # IP_FREEBIND and answers there as soon as the address exists. Nothing listens on the
        # public address.
        settings.server.listen = [
          "10.100.0.1@53"
          "127.0.0.1@53"
          "::1@53"
        ];
        openFirewall = true;
        firewallInterfaces = [ "wg0" ]; # never on the public interface
        views = [
          {
            name = "wg";
            matchInterfaces = [ "wg0" ];
            matchClients = [ "10.100.0.0/24" ];
            zones = [ ./zones/wg/home.arpa.zone ];
          }
          {
            name = "self"; # the VPS's own lookups
            matchClients = [
              "127.0.0.0/8"
              "::1"
            ];
            zones = [ ./zones/wg/home.arpa.zone ];
          }
        ];
      };
    };
}
