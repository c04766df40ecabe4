import { mkdirSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import type { Command } from 'commander';
import { deploy, PLATFORMS } from '../../deploy/index.js';
import { UsageError } from '../../document/errors.js';
import { loadForRunc } from '../../runc/index.js';
import {
  addHostOptions,
  hostFromOptions,
  locatingErrors,
  parseLibseccomp,
  resolveLoaded,
  splitDocumentRef,
  type HostOptions,
} from '../host.js';
import { err, out, outJson, readInput, writeError, writeOutput } from '../io.js';

interface DeployCliOptions extends HostOptions {
  readonly for?: string;
  readonly name?: string;
  readonly image: string;
  readonly namespace?: string;
  readonly output?: string;
  readonly json?: boolean;
}

/** A DNS label from a file name: `web-app.json` -> `web-app`. */
function nameFrom(file: string): string {
  const base = file === '-' ? 'profile' : basename(file, extname(file));
  const cleaned = base
    .toLowerCase()
    .replaceAll(/[^a-z0-9-]+/g, '-')
    .replaceAll(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return cleaned === '' ? 'profile' : cleaned;
}

/** `sysgate deploy PROFILE --for PLATFORM`: the files and snippet each platform needs. */
export function register(program: Command): void {
  const cmd = program
    .command('deploy')
    .description(
      'what each platform needs to run a workload under a profile: docker, compose, swarm, podman, kubernetes, spo or systemd, ready to paste',
    )
    .argument('<profile>', "profile file ('-' for stdin), any supported format")
    .option('--for <platform>', `target: ${PLATFORMS.join(', ')}`)
    .option('--name <name>', 'name of the files and objects (default: from the file name)')
    .option('--image <image>', "the workload's image, for the snippets", 'IMAGE')
    .option(
      '--namespace <ns>',
      'kubernetes: installer namespace (kube-system); spo: objects namespace (default)',
    )
    .option(
      '-o, --output <dir>',
      'write the files into DIR (atomically) and print only the snippet',
    )
    .option('--json', 'print {platform, files, snippet, notes} as JSON');
  addHostOptions(cmd, { scope: 'spo/systemd', stack: false }).addHelpText(
    'after',
    `
Docker, compose and Podman read the profile's bytes as they are (64-bit values intact). spo and
systemd get the profile resolved for the target host (--arch, --caps, --kernel), as the Docker daemon
would resolve it. systemd is written only where SystemCallFilter= decides exactly as runc would (names
only, one refusal, systemd's own @default group allowed); otherwise deploy exits 2 and names each rule
it cannot hold. swarm: a custom profile reaches services only through the Engine API >= 1.44.

Examples:
  sysgate deploy app.json --for docker --image nginx:1.27
  sysgate deploy app.json --for compose --name web -o deploy/
  sysgate deploy app.json --for kubernetes --name web -o k8s/ && kubectl apply -f k8s/sysgate-seccomp-web.yaml
  sysgate deploy app.json --for spo --name web --namespace shop --image nginx:1.27
  sysgate deploy app.json --for systemd --name nginx
  cat app.json | sysgate deploy - --for podman --json`,
  );
  cmd.action((arg: string, opts: DeployCliOptions) => {
    const platform = PLATFORMS.find((p) => p === opts.for);
    if (platform === undefined) {
      throw new UsageError(
        opts.for === undefined
          ? `required option '--for <platform>' not specified (${PLATFORMS.join(', ')})`
          : `--for must be one of ${PLATFORMS.join(', ')} (got '${opts.for}')`,
      );
    }
    const { file, document } = splitDocumentRef(arg);
    const text = readInput(file);
    const loaded = loadForRunc(file, text, { document });
    const resolved = resolveLoaded(loaded, hostFromOptions(opts));
    if (resolved === null) {
      throw new UsageError('the profile turns seccomp off: there is nothing to deploy');
    }
    const d = locatingErrors(loaded, () =>
      deploy(platform, {
        name: opts.name ?? nameFrom(loaded.name ?? file),
        image: opts.image,
        libseccomp: parseLibseccomp(opts.libseccomp),
        loaded,
        text,
        resolved,
        ...(opts.namespace === undefined ? {} : { namespace: opts.namespace }),
      }),
    );
    if (opts.output !== undefined) {
      for (const f of d.files) {
        const path = join(opts.output, f.path);
        try {
          mkdirSync(dirname(path), { recursive: true });
        } catch (e) {
          throw writeError(path, e);
        }
        writeOutput(path, f.content);
        err(`wrote ${path} (${f.destination})`);
      }
    }
    if (opts.json === true) {
      outJson(d);
      return;
    }
    if (opts.output === undefined) {
      for (const f of d.files) {
        out(`# ---- ${f.path} (${f.destination})`);
        out(f.content.replace(/\n$/, ''));
        out('');
      }
      out('# ---- how to use it');
    }
    out(d.snippet.replace(/\n$/, ''));
    for (const n of d.notes) err(`note: ${n}`);
  });
}
