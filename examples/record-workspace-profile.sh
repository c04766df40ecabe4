#!/bin/sh
# Regenerate examples/workspace-profile.json: record every workload of examples/workspace-suite.yaml
# with `sysgate record` inside sysgate's own Docker image (record --docker takes the same image
# mounts and network as `sysgate test --engine docker`, so the recording sees what the tests run), then generate
# one profile from all the evidence with --target docker (adds what runc needs after loading the
# filter, so the profile works under runc and Docker as well as bwrap).
# The inet-blocked workload is not recorded: it must stay refused. Needs docker, strace and a build
# (npm run build). Usage: sh examples/record-workspace-profile.sh [OUTPUT]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
out=${1:-$here/workspace-profile.json}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sysgate="node $root/dist/cli/main.js"
$sysgate image >/dev/null
SUITE="$here/workspace-suite.yaml" SKIP="inet-blocked" WORK="$work" ROOT="$root" node --input-type=module -e '
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
const { parseSuite } = await import(process.env.ROOT + "/dist/suite/suite.js");
const { commandArgv } = await import(process.env.ROOT + "/dist/suite/suite-run.js");
const suite = parseSuite(process.env.SUITE, readFileSync(process.env.SUITE, "utf8"));
const skip = new Set(process.env.SKIP.split(","));
// record --docker mounts the host /usr and /etc into sysgate/base:local, with no network, as test does.
const bind = process.env.SUITE.replace(/\/[^/]*$/, "") + ":/tmp/suite";
for (const w of suite.workloads) {
  if (skip.has(w.name)) continue;
  const args = [process.env.ROOT + "/dist/cli/main.js", "record", "--docker", "sysgate/base:local",
    "--bind", bind, "--no-cwd", "--target", "docker",
    "--evidence", `${process.env.WORK}/${w.name}.evidence.json`, "-o", `${process.env.WORK}/${w.name}.json`,
    "--", ...commandArgv(w.run)];
  process.stderr.write(`recording ${w.name}\n`);
  const r = spawnSync("node", args, { stdio: ["ignore", "ignore", "inherit"] });
  if (r.status !== 0) { process.stderr.write(`recording ${w.name} failed (exit ${r.status})\n`); process.exit(1); }
}
'
$sysgate generate --from "$work"/*.evidence.json --target docker -o "$work/generated.json"
# One deliberate tightening: pip's vendored urllib3 opens an AF_INET6 socket at import only to test
# for IPv6 support (and copes with a refusal), so the recording also allows socket(AF_INET6). The
# workspace must have no network sockets at all: keep only the AF_UNIX socket rule.
OUT="$out" IN="$work/generated.json" node -e '
const fs = require("fs");
const p = JSON.parse(fs.readFileSync(process.env.IN, "utf8"));
p.syscalls = p.syscalls.filter((r) => !(r.names.length === 1 && r.names[0] === "socket" && r.args?.[0]?.value !== 1));
fs.writeFileSync(process.env.OUT, JSON.stringify(p, null, 2) + "\n");
'
$sysgate fmt --write "$out" 2>/dev/null || true
echo "wrote $out" >&2
