import type { Command } from 'commander';
import { UsageError } from '../../document/errors.js';
import { cwdBind, parseBind } from '../../run/binds.js';
import { pickEngine } from '../../run/detect.js';
import { runSandboxedInteractive } from '../../run/suite-engine.js';
import { requestExit, type ExitCode } from '../exit.js';
import { addHostOptions, loadPolicy, type HostOptions } from '../host.js';

interface RunCliOptions extends HostOptions {
  readonly profile?: string;
  readonly engine: string;
  readonly image?: string;
  readonly net?: boolean;
  readonly bind: string[];
  readonly cwd: boolean;
}

/** Collect a repeatable option's values. */
function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
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
    .option(
      '--bind <src[:dst][:rw]>',
      'bind a host path into the sandbox, read-only unless :rw (repeatable)',
      collect,
      [],
    )
    .option('--no-cwd', 'do not bind the current directory (the command then starts in /)');
  addHostOptions(cmd)
    .addHelpText(
      'after',
      `
bwrap loads sysgate's own compiled filter (bwrap --seccomp); runc and crun get the resolved profile
in an OCI bundle built on the fly; docker reads the profile file as 'docker run --security-opt
seccomp=' would. The sandbox sees the host's /usr and /etc read-only, with the host's secrets
masked (/etc/shadow, /etc/gshadow, SSH host keys, TLS private keys, daemon credentials), a private
writable /tmp, its own /proc and a minimal /dev, no network unless --net, and nothing else of the
host but the current directory (read-only, where the command starts; not with --no-cwd or from /)
and what --bind names. --bind SRC[:DST][:rw] mounts host path SRC (relative to the current
directory) at DST (default: SRC's absolute path), read-only unless :rw; give it once per mount.
Unix sockets inside a bound directory stay reachable, even read-only. bwrap runs the command with
no capabilities in new user, pid, ipc, uts, cgroup and network namespaces; runc, crun and docker
give Docker's default capabilities.
'auto' picks the first available of runc, crun, docker. The exit status is the command's own
(128+N when a signal N ended it); a missing engine exits 3 with how to install it.

Examples:
  sysgate run --profile examples/workspace-profile.json -- python3 -c 'print(1)'
  sysgate run --profile profile.json --engine bwrap -- git status
  sysgate run --profile app.json --bind data:/data:rw -- python3 app.py /data
  sysgate run --profile profile.json --engine docker --image myimage:1 -- /app/server`,
    )
    .action(async (argv: string[], opts: RunCliOptions) => {
      if (argv.length === 0) throw new UsageError('give the command after --');
      const policy = loadPolicy(opts.profile ?? '-', opts);
      const engine = await pickEngine(opts.engine, 'profile');
      const binds = opts.bind.map((b) => parseBind(b));
      const here = opts.cwd ? cwdBind() : undefined;
      const code = await runSandboxedInteractive(engine, policy, argv, {
        binds: here === undefined ? binds : [here, ...binds],
        cwd: here?.target ?? '/',
        ...(opts.net === true && { shareNet: true }),
        ...(opts.image !== undefined && { image: opts.image }),
      });
      // Forward the command's exit status (any 0-255 value, not only sysgate's own codes).
      requestExit(code as ExitCode);
    });
}
