import type { Command } from 'commander';
import { UsageError } from '../../document/errors.js';
import { pickEngine } from '../../run/detect.js';
import { runSandboxedInteractive } from '../../run/suite-engine.js';
import { requestExit, type ExitCode } from '../exit.js';
import { addHostOptions, loadPolicy, type HostOptions } from '../host.js';
import { DEFAULT_RUN_TIMEOUT_SECONDS } from '../../run/limits.js';
import {
  addSandboxOptions,
  sandboxOptionsFrom,
  type SandboxCliOptions,
} from '../sandbox-options.js';

interface RunCliOptions extends HostOptions, SandboxCliOptions {
  readonly profile?: string;
}

/** `sysgate run --profile P -- CMD`: run a command under a profile on a real engine. */
export function register(program: Command): void {
  const cmd = program
    .command('run')
    .description(
      'run a command under a profile on a real engine (bwrap, runc, crun, docker or podman), forwarding stdio and exit status',
    )
    .argument('<command...>', 'the command, after --')
    .requiredOption('--profile <file>', "profile ('-' for stdin)");
  addSandboxOptions(cmd, {
    engine: { default: 'auto', help: 'auto, bwrap, runc, crun, docker or podman' },
    timeoutSeconds: DEFAULT_RUN_TIMEOUT_SECONDS,
  });
  addHostOptions(cmd)
    .addHelpText(
      'after',
      `
bwrap loads sysgate's own compiled filter (bwrap --seccomp); runc and crun get the resolved profile
in an OCI bundle built on the fly; docker reads the profile file as 'docker run --security-opt
seccomp=' would. The sandbox sees the host's /usr and /etc read-only, with the host's secrets
masked (/etc/shadow, /etc/gshadow, SSH host keys, TLS private keys, daemon credentials), a private
writable /tmp, its own /proc and a minimal /dev (runc and crun: Docker's /dev, /dev/shm,
/dev/pts, /dev/mqueue, read-only /sys and masked /proc paths), no network unless --net, and
nothing else of the host but the current directory (read-only, where the command starts; not with --no-cwd or from /)
and what --bind names. --bind SRC[:DST][:rw] mounts host path SRC (relative to the current
directory) at DST (default: SRC's absolute path), read-only unless :rw; give it once per mount.
Unix sockets inside a bound directory stay reachable, even read-only. bwrap runs the command with
no capabilities in new user, pid, ipc, uts, cgroup and network namespaces; runc, crun and docker
give Docker's default capabilities.
'auto' picks the first available of runc, crun, docker, podman. The exit status is the command's own
(128+N when a signal N ended it); a missing engine exits 3 with how to install it.

Limits: runc, crun and docker containers get a pids limit and a memory limit (--pids-limit,
--memory); every engine gets the time bound (--timeout), after which the whole sandbox is killed
and sysgate exits 3. SIGINT, SIGTERM and SIGHUP are forwarded to the command; if it has not ended
a few seconds later it is killed. Either way the container and the temporary bundle are removed.

Examples:
  sysgate run --profile examples/workspace-profile.json -- python3 -c 'print(1)'
  sysgate run --profile profile.json --engine bwrap -- git status
  sysgate run --profile app.json --bind data:/data:rw -- python3 app.py /data
  sysgate run --profile profile.json --engine docker --image myimage:1 -- /app/server`,
    )
    .action(async (argv: string[], opts: RunCliOptions) => {
      if (argv.length === 0) throw new UsageError('give the command after --');
      const policy = loadPolicy(opts.profile ?? '-', opts);
      const engine = await pickEngine(opts.engine ?? 'auto', 'profile');
      const code = await runSandboxedInteractive(
        engine,
        policy,
        argv,
        sandboxOptionsFrom(opts, DEFAULT_RUN_TIMEOUT_SECONDS),
      );
      // Forward the command's exit status (any 0-255 value, not only sysgate's own codes).
      requestExit(code as ExitCode);
    });
}
