#!/usr/bin/env bash
# contrib/nixos: the NixOS module and the colmena example parse, and the megdns configs they
# render are accepted by `megdns -t`. Needs only nix-instantiate (Debian: nix-bin), no nixpkgs
# and no Nix store: the module's YAML comes from render.nix, which uses builtins alone, and the
# hive's nodes are called with empty stand-ins for pkgs/lib (their megdns part uses neither).
# Without nix-instantiate the test is skipped (exit 0) and the Nix files are unchecked.
. "$(dirname "$0")/lib.sh"

NIXOS_DIR=$(cd "$IT_DIR/../../contrib/nixos" && pwd)
if ! command -v nix-instantiate >/dev/null 2>&1; then
	echo "SKIP: nix-instantiate not installed"
	finish
fi
# No daemon, no database, no build users: parse and evaluate only.
NIX=(nix-instantiate --readonly-mode --option build-users-group "")

for f in module.nix example-meg.nix render.nix package.nix; do
	out=$("${NIX[@]}" --parse "$NIXOS_DIR/$f" 2>&1 >/dev/null)
	assert_eq "$?" 0 "nix-instantiate --parse contrib/nixos/$f" "$out"
done

# render NODE: the megdns config of a node of example-meg.nix, as JSON in $T/NODE.json
# (defaults merged under the node like the module system would: attribute sets recursively,
# lists appended). Zone paths stay where they are (toString) instead of going to the store.
render() {
	local node=$1
	# shellcheck disable=SC2016 # Nix code, not shell
	"${NIX[@]}" --eval --strict --json --argstr node "$node" --argstr dirStr "$NIXOS_DIR" -E '
		{ node, dirStr }:
		let
		  dir = /. + dirStr;
		  hive = import (dir + "/example-meg.nix");
		  args = { name = node; nodes = { }; pkgs = { }; lib = { }; config = { }; };
		  merge = a: b:
		    if builtins.isAttrs a && builtins.isAttrs b then
		      a // builtins.mapAttrs (k: v: if a ? ${k} then merge a.${k} v else v) b
		    else if builtins.isList a && builtins.isList b then a ++ b
		    else b;
		  cfg = merge ((hive.defaults args).services.megdns or { }) (hive.${node} args).services.megdns;
		in
		import (dir + "/render.nix") { inherit cfg; zonePath = builtins.toString; }
	' >"$T/$node.json" 2>"$T/$node.err"
}

# json_get FILE PYTHON-EXPR: evaluate EXPR with c = the parsed file.
json_get() { python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2" 2>&1; }

for node in pi vps; do
	render "$node"
	assert_eq "$?" 0 "the example's $node evaluates to a megdns config" "$(cat "$T/$node.err")"
	assert_eq "$(json_get "$T/$node.json" 'c["control"]["socket"]')" /run/megdns/control.sock \
		"$node: control.socket is the module default"
	assert_eq "$(json_get "$T/$node.json" 'c["metrics"]["listen"]')" 127.0.0.1@9153 \
		"$node: metrics.listen from the hive defaults"
	assert_eq "$(json_get "$T/$node.json" 'c["upstreams"]')" "['9.9.9.9', '2620:fe::fe']" \
		"$node: upstreams from the hive defaults"
	assert_eq "$(json_get "$T/$node.json" 'all(z.startswith("/") for v in c["views"] for z in v.get("zones", []))')" \
		True "$node: zone paths are absolute"
done

assert_eq "$(json_get "$T/pi.json" '[v["name"] for v in c["views"]]')" "['lan', 'wg', 'self']" "pi: views in order"
want_lan="{'name': 'lan', 'match-clients': ['192.168.1.0/24', 'fd00::/8'], 'match-interfaces': ['eth0'], 'zones': ['$NIXOS_DIR/zones/lan/home.arpa.zone']}"
assert_eq "$(json_get "$T/pi.json" "c['views'][0] == $want_lan or c['views'][0]")" True \
	"pi: view lan with the YAML key names (match-clients, match-interfaces), empty lists left out"
assert_eq "$(json_get "$T/pi.json" 'c["server"]["listen"]')" "['0.0.0.0@53', '::@53']" "pi: listens on 0.0.0.0 and ::"
assert_eq "$(json_get "$T/vps.json" 'c["views"][0]["match-interfaces"]')" "['wg0']" "vps: view wg matches interface wg0"
assert_eq "$(json_get "$T/vps.json" 'c["server"]["listen"][0]')" 10.100.0.1@53 "vps: listens on wg0's address"

# module.nix itself, beyond parsing: its `config` for each node, evaluated with a small
# stand-in for the nixpkgs lib functions it uses (no module system: the options' defaults are
# filled in here). Catches misspelt attributes and wrong types in the module's own code.
cat >"$T/module-eval.nix" <<'NIX'
{ dirStr, node, services ? "{}", noUpstreams ? "" }:
let
  dir = /. + dirStr;
  hive = import (dir + "/example-meg.nix");
  args = { name = node; nodes = { }; pkgs = { }; lib = { }; config = { }; };
  merge = a: b:
    if builtins.isAttrs a && builtins.isAttrs b then
      a // builtins.mapAttrs (k: v: if a ? ${k} then merge a.${k} v else v) b
    else if builtins.isList a && builtins.isList b then a ++ b
    else b;
  defaults = {
    enable = true; package = "/nix/store/megdns"; settings = { }; views = [ ];
    controlSocket = "/run/megdns/control.sock"; openFirewall = false;
    openMetricsFirewall = false; firewallInterfaces = [ ]; checkConfig = true;
  };
  cfg0 = merge defaults (merge (hive.defaults args).services.megdns (hive.${node} args).services.megdns);
  cfg = if noUpstreams == "" then cfg0 else cfg0 // { settings = builtins.removeAttrs cfg0.settings [ "upstreams" ]; };
  # Other services of the machine's config (JSON), for the port-53 assertions.
  others = builtins.fromJSON services;
  lib = {
    types = { str = "str"; bool = "bool"; path = "path"; package = "package";
              listOf = _: "list"; either = _: _: "either"; submodule = _: "submodule"; };
    mkEnableOption = _: { };
    mkOption = o: o;
    mkIf = cond: content: { inherit cond content; };
    literalExpression = s: s;
    optionals = c: l: if c then l else [ ];
    optional = c: x: if c then [ x ] else [ ];
    genAttrs = names: f: builtins.listToAttrs (map (n: { name = n; value = f n; }) names);
    unique = builtins.foldl' (acc: x: if builtins.elem x acc then acc else acc ++ [ x ]) [ ];
    toInt = builtins.fromJSON;
    filterAttrs = p: s: builtins.removeAttrs s (builtins.filter (n: !(p n s.${n})) (builtins.attrNames s));
    hasPrefix = p: s: builtins.substring 0 (builtins.stringLength p) s == p;
  };
  pkgs = {
    formats.yaml = _: { type = "yaml"; generate = name: v: builtins.toJSON v; };
    stdenv = { buildPlatform.canExecute = _: true; hostPlatform = { }; };
    runCommand = name: env: script: "checked: " + script;
    callPackage = _: _: "/nix/store/megdns";
    coreutils = "/nix/store/coreutils";
  };
  m = import (dir + "/module.nix") { config.services = others // { megdns = cfg; }; inherit lib pkgs; };
  c = m.config.content;
  svc = c.systemd.services.megdns;
in
{
  enabled = m.config.cond;
  assertions = builtins.all (a: a.assertion) c.assertions;
  failed = map (a: a.message) (builtins.filter (a: !a.assertion) c.assertions);
  inherit (svc.serviceConfig) Type ExecStart ExecReload DynamicUser RuntimeDirectory
    CapabilityBoundingSet RestrictAddressFamilies;
  after = svc.after;
  checked = builtins.substring 0 9 c.environment.etc."megdns/megdns.yaml".source;
  firewall = c.networking.firewall;
}
NIX
for node in pi vps; do
	"${NIX[@]}" --eval --strict --json --argstr node "$node" --argstr dirStr "$NIXOS_DIR" \
		"$T/module-eval.nix" >"$T/$node-module.json" 2>"$T/$node-module.err"
	assert_eq "$?" 0 "module.nix evaluates its config for $node" "$(cat "$T/$node-module.err")"
	m="$T/$node-module.json"
	assert_eq "$(json_get "$m" 'c["enabled"] and c["assertions"]')" True "$node: enabled, no assertion fails"
	assert_eq "$(json_get "$m" '(c["Type"], c["DynamicUser"], c["RuntimeDirectory"], c["CapabilityBoundingSet"], c["after"])')" \
		"('notify', True, 'megdns', ['CAP_NET_BIND_SERVICE'], ['network.target'])" \
		"$node: Type=notify, DynamicUser, /run/megdns, CAP_NET_BIND_SERVICE only, after network.target"
	assert_eq "$(json_get "$m" 'c["ExecStart"]')" "/nix/store/megdns/bin/megdns -c /etc/megdns/megdns.yaml" \
		"$node: ExecStart reads the fixed /etc path (so config changes reload)"
	assert_match "$(json_get "$m" 'c["ExecReload"]')" 'kill -HUP \$MAINPID$' "$node: ExecReload sends SIGHUP"
	assert_eq "$(json_get "$m" 'c["checked"]')" "checked: " "$node: the config is checked with megdns -t at build time"
done
assert_eq "$(json_get "$T/pi-module.json" 'sorted(c["firewall"]["interfaces"])')" "['eth0', 'wg0']" \
	"pi: port 53 opened on eth0 and wg0 only"

# module_eval NODE SERVICES-JSON [no-upstreams]: the module's config for NODE beside other
# services, into $T/eval.json.
module_eval() {
	"${NIX[@]}" --eval --strict --json --argstr node "$1" --argstr dirStr "$NIXOS_DIR" \
		--argstr services "$2" --argstr noUpstreams "${3:-}" "$T/module-eval.nix" >"$T/eval.json" 2>"$T/eval.err"
}
# Another DNS server on megdns's port-53 addresses stops the build with a message.
module_eval vps '{"unbound": {"enable": true}}'
assert_eq "$?" 0 "module.nix evaluates with services.unbound enabled" "$(cat "$T/eval.err")"
assert_match "$(json_get "$T/eval.json" 'c["failed"]')" "services.megdns listens on port 53 at 127.0.0.1, ::1, where services.unbound also listens" \
	"vps + services.unbound on 127.0.0.1/::1: an assertion names both and the clash" "$(cat "$T/eval.json")"
module_eval vps '{"unbound": {"enable": true, "settings": {"server": {"interface": ["10.200.0.1"]}}}}'
assert_eq "$(json_get "$T/eval.json" 'c["failed"]')" "[]" "unbound on another address: no assertion"
module_eval pi '{"resolved": {"enable": true}}'
assert_match "$(json_get "$T/eval.json" '"\\n".join(c["failed"])')" "at 0\.0\.0\.0, where systemd-resolved's stub listener also listens \(127\.0\.0\.53, 127\.0\.0\.54\).*DNSStubListener=no" \
	"pi (0.0.0.0@53) + resolved's stub: an assertion with the fix" "$(cat "$T/eval.json")"
module_eval pi '{"resolved": {"enable": true, "extraConfig": "DNSStubListener=no\n"}}'
assert_eq "$(json_get "$T/eval.json" 'c["failed"]')" "[]" "resolved without its stub listener: no assertion"
module_eval pi '{"kresd": {"enable": true}, "dnsmasq": {"enable": true}}'
assert_eq "$(json_get "$T/eval.json" 'len(c["failed"])')" 2 "pi + kresd + dnsmasq (wildcard): two assertions" "$(cat "$T/eval.json")"
module_eval vps '{"dnsmasq": {"enable": true, "settings": {"port": 0}}}'
assert_eq "$(json_get "$T/eval.json" 'c["failed"]')" "[]" "dnsmasq with port 0 (DHCP only): no assertion"
# checkConfig also runs for a config without upstreams (megdns -t copes without resolv.conf).
module_eval pi '{}' no-upstreams
assert_eq "$(json_get "$T/eval.json" 'c["checked"]')" "checked: " "a config without upstreams is still checked with megdns -t"

# One naming style: every option of services.megdns and of its views is camelCase.
opts=$(grep -oE '^ *[A-Za-z0-9_-]+ = mkOption' "$NIXOS_DIR/module.nix" | sed 's/ = mkOption//; s/^ *//')
assert_match "$opts" "controlSocket" "the option list was found" "$opts"
assert_eq "$(grep -cvE '^[a-z][A-Za-z0-9]*$' <<<"$opts")" 0 "every option name is camelCase (no '-' or '_')" "$opts"

# The example names each node's platform with nixpkgs.hostPlatform and gives WireGuard the
# key that sops-nix decrypts.
cat >"$T/example-eval.nix" <<'NIX'
{ dirStr }:
let
  hive = import ((/. + dirStr) + "/example-meg.nix");
  config.sops.secrets."wg0-key".path = "/run/secrets/wg0-key";
  node = n: hive.${n} { name = n; nodes = { }; pkgs = { }; lib = { }; inherit config; };
  d = hive.defaults { name = "pi"; nodes = { }; pkgs = { }; lib = { }; inherit config; };
in
{
  platforms = map (n: (node n).nixpkgs.hostPlatform) [ "pi" "vps" ];
  system = map (n: (node n).nixpkgs ? system) [ "pi" "vps" ];
  keys = map (n: (node n).networking.wireguard.interfaces.wg0.privateKeyFile) [ "pi" "vps" ];
  sops = d.sops.secrets ? "wg0-key";
  deploymentKeys = map (n: (node n).deployment ? keys) [ "pi" "vps" ];
}
NIX
"${NIX[@]}" --eval --strict --json --argstr dirStr "$NIXOS_DIR" "$T/example-eval.nix" >"$T/example.json" 2>"$T/example.err"
assert_eq "$?" 0 "the example's nodes evaluate" "$(cat "$T/example.err")"
assert_eq "$(json_get "$T/example.json" 'c["platforms"]')" "['aarch64-linux', 'x86_64-linux']" "example: nixpkgs.hostPlatform per node"
assert_eq "$(json_get "$T/example.json" 'c["system"]')" "[False, False]" "example: no nixpkgs.system"
assert_eq "$(json_get "$T/example.json" 'c["keys"]')" "['/run/secrets/wg0-key', '/run/secrets/wg0-key']" \
	"example: WireGuard reads the key sops-nix decrypts"
assert_eq "$(json_get "$T/example.json" '(c["sops"], c["deploymentKeys"])')" "(True, [False, False])" \
	"example: the key is a sops secret, not a colmena upload"

# flake.nix: the package for each system and the module.
REPO=$(cd "$NIXOS_DIR/../.." && pwd)
out=$("${NIX[@]}" --parse "$REPO/flake.nix" 2>&1 >/dev/null)
assert_eq "$?" 0 "nix-instantiate --parse flake.nix" "$out"
# shellcheck disable=SC2016 # Nix code, not shell
"${NIX[@]}" --eval --strict --json --argstr repo "$REPO" -E '
	{ repo }:
	let
	  flake = import (/. + repo + "/flake.nix");
	  fakePkgs = system: { callPackage = p: _: { path = toString p; inherit system; }; };
	  nixpkgs = {
	    lib.genAttrs = names: f: builtins.listToAttrs (map (n: { name = n; value = f n; }) names);
	    legacyPackages = builtins.listToAttrs (map (s: { name = s; value = fakePkgs s; }) [ "x86_64-linux" "aarch64-linux" ]);
	  };
	  out = flake.outputs { self = out; inherit nixpkgs; };
	in
	{
	  packages = builtins.mapAttrs (s: p: p.default) out.packages;
	  module = toString out.nixosModules.default;
	  overlay = builtins.isFunction out.overlays.default;
	}' >"$T/flake.json" 2>"$T/flake.err"
assert_eq "$?" 0 "flake.nix outputs evaluate" "$(cat "$T/flake.err")"
assert_eq "$(json_get "$T/flake.json" 'sorted(c["packages"])')" "['aarch64-linux', 'x86_64-linux']" "flake: packages for x86_64 and aarch64"
assert_eq "$(json_get "$T/flake.json" 'c["packages"]["aarch64-linux"]["path"]')" "$REPO/contrib/nixos/package.nix" "flake: the package is contrib/nixos/package.nix"
assert_eq "$(json_get "$T/flake.json" 'c["module"]')" "$REPO/contrib/nixos/module.nix" "flake: nixosModules.default is the module"
assert_eq "$(json_get "$T/vps-module.json" 'c["firewall"] == {"interfaces": {"wg0": {"allowedUDPPorts": [53], "allowedTCPPorts": [53]}}} or c["firewall"]')" \
	True "vps: port 53 opened on wg0 only (not the public side, not the metrics port)"

# The rendered configs are what megdns will read: JSON is YAML, so -t checks them as they are,
# zone files included.
for node in pi vps; do
	out=$(timeout 10 "$MEGDNS" -t -c "$T/$node.json" 2>&1)
	assert_eq "$?" 0 "megdns -t accepts the $node config rendered by the module" "$out"
done

finish
