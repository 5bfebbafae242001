# megdns built from this source tree with nixpkgs (the default of services.megdns.package).
#   pkgs.callPackage ./package.nix { }
# Installs megdns and megdns-control into $out/bin and the man pages into $out/share/man.
{
  lib,
  stdenv,
  cmake,
  pkg-config,
  ldns,
  libuv,
  openssl,
  libyaml,
  nghttp2,
}:
let
  root = ../..;
  # The version is the one in CMakeLists.txt's project() line.
  version = builtins.head (
    builtins.match ".*project\\(megdns VERSION ([0-9.]+)[ )].*" (builtins.readFile (root + "/CMakeLists.txt"))
  );
in
stdenv.mkDerivation {
  pname = "megdns";
  inherit version;

  # The source without .git and without local build folders (build, build-asan, ...).
  src = lib.cleanSourceWith {
    src = lib.cleanSource root;
    filter = path: type: !(type == "directory" && lib.hasPrefix "build" (baseNameOf path));
  };

  nativeBuildInputs = [
    cmake
    pkg-config
  ];
  buildInputs = [
    ldns
    libuv
    openssl
    libyaml
    nghttp2
  ];
  cmakeFlags = [
    "-DMEGDNS_TESTS=OFF" # the Check suites and the integration tests run in the repository's CI
    "-DCMAKE_INSTALL_SBINDIR=bin"
  ];

  meta = {
    description = "Split-horizon DNS resolver for self-hosted networks (LAN + WireGuard views)";
    mainProgram = "megdns";
    platforms = lib.platforms.linux;
  };
}
