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
{ dirStr, node }:
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
  cfg = merge defaults (merge (hive.defaults args).services.megdns (hive.${node} args).services.megdns);
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
  m = import (dir + "/module.nix") { config.services.megdns = cfg; inherit lib pkgs; };
  c = m.config.content;
  svc = c.systemd.services.megdns;
in
{
  enabled = m.config.cond;
  assertions = builtins.all (a: a.assertion) c.assertions;
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
assert_eq "$(json_get "$T/vps-module.json" 'c["firewall"] == {"interfaces": {"wg0": {"allowedUDPPorts": [53], "allowedTCPPorts": [53]}}} or c["firewall"]')" \
	True "vps: port 53 opened on wg0 only (not the public side, not the metrics port)"

# The rendered configs are what megdns will read: JSON is YAML, so -t checks them as they are,
# zone files included.
for node in pi vps; do
	out=$(timeout 10 "$MEGDNS" -t -c "$T/$node.json" 2>&1)
	assert_eq "$?" 0 "megdns -t accepts the $node config rendered by the module" "$out"
done

finish
