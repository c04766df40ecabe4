import type { Command } from 'commander';
import { UsageError } from '../../document/errors.js';
import { pickEngine } from '../../run/detect.js';
import { runSandboxedInteractive } from '../../run/suite-engine.js';
import { requestExit, type ExitCode } from '../exit.js';
import { addHostOptions, loadPolicy, type HostOptions } from '../host.js';

interface RunCliOptions extends HostOptions {
  readonly profile?: string;
  readonly engine: string;
  readonly image?: string;
  readonly net?: boolean;
  readonly bind?: string[];
}

/** Parse `--bind SRC[:DST[:rw]]`. */
function parseBind(text: string): { source: string; target: string; readOnly: boolean } {
  const [source, target, mode] = text.split(':');
  if (
    source === undefined ||
    source === '' ||
    (mode !== undefined && mode !== 'rw' && mode !== 'ro')
  )
    throw new UsageError(`--bind expects SRC[:DST[:ro|rw]], got '${text}'`);
  return {
    source,
    target: target === undefined || target === '' ? source : target,
    readOnly: mode !== 'rw',
  };
}

/** `sysgate run --profile P -- CMD`: run a command under a profile on a real engine. */
export function register(program: Command): void {
  const cmd = program
    .command('run')
    .description(
      'run a command under a profile on a real engine (bwrap, runc, crun or docker), forwarding stdio and exit status',
    )
    .argument('<command...>', 'the command, after --')
    .requiredOption('--profile <file>', "profile ('-' for stdin)")
    .option('--engine <engine>', 'auto, bwrap, runc, crun or docker', 'auto')
    .option('--image <image>', "docker image (default: sysgate's own, see 'sysgate image')")
    .option('--net', "keep the host's network (default: a private network namespace)")
    .option('--bind <src[:dst[:rw]]...>', 'extra bind mounts (read-only unless :rw)');
  addHostOptions(cmd)
    .addHelpText(
      'after',
      `
bwrap loads sysgate's own compiled filter (bwrap --seccomp); runc and crun get the resolved profile
in an OCI bundle built on the fly; docker reads the profile file as 'docker run --security-opt
seccomp=' would. The host's /usr and /etc are mounted read-only; /tmp is private and writable.
'auto' picks the first available of runc, crun, docker. The exit status is the command's own
(128+N when a signal N ended it); a missing engine exits 3 with how to install it.

Examples:
  sysgate run --profile examples/workspace-profile.json -- python3 -c 'print(1)'
  sysgate run --profile profile.json --engine bwrap -- git status
  sysgate run --profile profile.json --engine docker --image myimage:1 -- /app/server`,
    )
    .action(async (argv: string[], opts: RunCliOptions) => {
      if (argv.length === 0) throw new UsageError('give the command after --');
      const policy = loadPolicy(opts.profile ?? '-', opts);
      const engine = await pickEngine(opts.engine, 'profile');
      const code = await runSandboxedInteractive(engine, policy, argv, {
        binds: (opts.bind ?? []).map(parseBind),
        ...(opts.net === true && { shareNet: true }),
        ...(opts.image !== undefined && { image: opts.image }),
      });
      // Forward the command's exit status (any 0-255 value, not only sysgate's own codes).
      requestExit(code as ExitCode);
    });
}
