# megdns as a Nix flake: the package and the NixOS module.
#
#   nix build                                  # ./result/bin/megdns, ./result/bin/megdns-control
#   inputs.megdns.url = "git+https://...";     # in a NixOS flake, then:
#   modules = [ megdns.nixosModules.default { services.megdns.enable = true; } ];
#
# The module's default package is built from this tree for the machine's own platform
# (nixpkgs.hostPlatform), so nothing else needs wiring. contrib/nixos/ holds the module,
# the package and a colmena example; docs/deploy.md walks through a deployment.
{
  description = "megdns: a split-horizon DNS resolver for self-hosted networks";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.05";

  outputs =
    { self, nixpkgs }:
    let
      systems = [
        "x86_64-linux"
        "aarch64-linux"
      ];
      forAll = f: nixpkgs.lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
    in
    {
      packages = forAll (pkgs: rec {
        megdns = pkgs.callPackage ./contrib/nixos/package.nix { };
        default = megdns;
      });
      nixosModules = rec {
        megdns = ./contrib/nixos/module.nix;
        default = megdns;
      };
      overlays.default = final: _prev: { megdns = final.callPackage ./contrib/nixos/package.nix { }; };
    };
}
