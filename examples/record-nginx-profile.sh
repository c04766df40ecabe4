#!/bin/sh
# Regenerate examples/nginx-profile.json: record nginx with `sysgate record` inside sysgate's own
# Docker image (host network, the suite directory at /tmp/suite) while it starts, answers a bounded
# loopback load driven from the host, and shuts down gracefully (timeout sends SIGQUIT); record its
# config test too; then generate one profile with --target docker (so it also works under runc and
# Docker). Needs docker, strace, nginx and a build (npm run build).
# Usage: sh examples/record-nginx-profile.sh [OUTPUT]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
out=${1:-$here/nginx-profile.json}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sysgate="node $root/dist/cli/main.js"
image=$($sysgate image)
# record --docker gives sysgate's image the host's /usr and /etc (as run does); add the host
# network and the suite directory, and start in / as the suite does.
set -- --net --no-cwd --bind "$here:/tmp/suite"
conf=/tmp/suite/nginx-suite.conf

$sysgate record --docker "$image" "$@" --target docker --evidence "$work/config-test.evidence.json" \
  -o "$work/config-test.json" -- sh -c "mkdir -p /tmp/nginx && exec /usr/sbin/nginx -t -e stderr -p /tmp/nginx/ -c $conf"

$sysgate record --docker "$image" "$@" --target docker --evidence "$work/serve.evidence.json" \
  -o "$work/serve.json" -- sh -c "mkdir -p /tmp/nginx && exec timeout -s QUIT 12 /usr/sbin/nginx -e stderr -p /tmp/nginx/ -c $conf" &
recorder=$!
ROOT="$root" node --input-type=module -e '
const { httpLoad } = await import(process.env.ROOT + "/dist/suite/suite-run.js");
const net = await import("node:net");
const open = () => new Promise((r) => { const s = net.connect(18080, "127.0.0.1"); s.on("connect", () => { s.destroy(); r(true); }); s.on("error", () => r(false)); });
for (let i = 0; i < 100 && !(await open()); i++) await new Promise((r) => setTimeout(r, 100));
const s = await httpLoad("http://127.0.0.1:18080/", 2000, 50);
process.stderr.write(`load while recording: ${s.requests} requests, ${s.errors} errors\n`);
'
wait $recorder || true
$sysgate generate --from "$work"/*.evidence.json --target docker -o "$out"
echo "wrote $out" >&2
