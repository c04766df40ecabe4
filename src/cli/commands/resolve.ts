import type { Command } from 'commander';
import { stringifyJson, toOci, toOciObject } from '../../profile/convert/index.js';
import { dockerNativeArch } from '../../profile/resolve.js';
import {
  addHostOptions,
  hostFromOptions,
  readProfile,
  resolveLoaded,
  parseStack,
  stackJson,
  type HostOptions,
} from '../host.js';
import { applyStackVersions } from '../../compile/runtime-versions.js';
import { err, writeOutput } from '../io.js';

interface ResolveOptions extends HostOptions {
  json?: boolean;
  output?: string;
}

/** `sysgate resolve PROFILE`: apply moby's includes/excludes and archMap, print the OCI profile. */
export function register(program: Command): void {
  const cmd = program
    .command('resolve')
    .description(
      "apply a Docker profile's includes/excludes and archMap as the Docker daemon does, and print the plain OCI profile runc receives",
    )
    .argument('<profile>', "profile file ('-' for stdin), any supported format");
  addHostOptions(cmd, { libseccomp: false })
    .option(
      '--json',
      'print host, OCI profile, source pointer of each kept rule and the dropped rules with reasons',
    )
    .option('-o, --output <file>', 'write to FILE (atomically) instead of stdout')
    .addHelpText(
      'after',
      `
Resolution follows moby's setupSeccomp: excludes first (native arch listed, ANY cap present,
kernel >= minKernel drops the rule), then includes (native arch, ALL caps and kernel >= minKernel
required). Only the archMap entry of the native arch is used. Output is deterministic.
If the profile turns seccomp off (no defaultAction, no syscalls) the output is null.

Examples:
  sysgate resolve default.json
  sysgate resolve default.json --arch arm64 --caps none --kernel 5.10
  sysgate resolve default.json --caps default,CAP_SYS_ADMIN -o resolved.json
  sysgate resolve default.json --json | jq '.dropped[] | .reason'
  cat default.json | sysgate resolve - --arch amd64
  sysgate resolve profile.json --docker 20.10   # what Docker 20.10 passes on (no defaultErrnoRet)`,
    )
    .action((file: string, opts: ResolveOptions) => {
      const stack = parseStack(opts);
      const host = hostFromOptions(opts);
      const loaded = readProfile(file);
      const moby = resolveLoaded(loaded, host);
      const versioned = moby === null ? undefined : applyStackVersions(moby, stack.versions);
      const resolved = versioned?.profile ?? null;
      for (const n of versioned?.notes ?? []) err(`note: ${n}`);
      if (resolved === null)
        err('note: no defaultAction and no syscalls: Docker runs this container without seccomp');
      let text: string;
      if (opts.json === true) {
        text = stringifyJson({
          file,
          format: loaded.format,
          host: {
            arch: host.arch,
            native: resolved?.host.native ?? dockerNativeArch(host.arch),
            caps: host.caps,
            kernel: `${host.kernel.major}.${host.kernel.minor}`,
          },
          stack: stackJson(stack),
          seccomp: resolved === null ? null : toOciObject(resolved),
          rules: (resolved?.syscalls ?? []).map((s) => ({
            pointer: s.pointer,
            names: s.names.length,
          })),
          dropped: (resolved?.dropped ?? []).map((d) => ({
            pointer: d.pointer,
            names: d.names,
            reason: d.reason,
            detail: d.detail,
          })),
        });
      } else {
        text = resolved === null ? 'null\n' : toOci(resolved);
      }
      writeOutput(opts.output ?? '-', text);
    });
}
