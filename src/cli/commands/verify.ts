import type { Command } from 'commander';
import { hostArch } from '../../arch/host.js';
import { verifyContainer } from '../../deploy/index.js';
import { UsageError } from '../../document/errors.js';
import { hostAbis } from '../../review/diff.js';
import { loadForRunc } from '../../runc/index.js';
import { requestExit, EXIT } from '../exit.js';
import { parseKernel, parseLibseccomp, splitDocumentRef } from '../host.js';
import { out, outJson, paint, readInput } from '../io.js';

interface VerifyCliOptions {
  readonly profile?: string;
  readonly kernel?: string;
  readonly libseccomp?: string;
  readonly json?: boolean;
}

/** `sysgate verify CONTAINER --profile P`: is this container really confined by P? */
export function register(program: Command): void {
  program
    .command('verify')
    .description(
      'check that a running Docker container is confined by a profile: seccomp mode, what Docker recorded, the filters really loaded, and refused calls made inside',
    )
    .argument('<container>', 'container name or id (running)')
    .option('--profile <file>', "the profile it should run under ('-' for stdin)")
    .option('--kernel <X.Y>', 'host kernel version, for minKernel; default: the running kernel')
    .option(
      '--libseccomp <version>',
      'the libseccomp the runtime links against (2.5.4 or 2.6); default: this machine',
    )
    .option('--json', 'print the checks as JSON')
    .addHelpText(
      'after',
      `
Checks, in order:
  seccomp-mode    /proc/PID/status of the container's first process says Seccomp: 2
  docker-profile  docker inspect holds the profile (HostConfig.SecurityOpt seccomp=...)
  loaded-filters  the filters the kernel runs in the container (dumped from the host) decide exactly as
                  the profile compiled for this host and the container's bounding capabilities, on
                  every ABI of the host ('sysgate diff PROFILE CONTAINER' shows the differences)
  refused-calls   calls the profile refuses (mount, umount2, keyctl, bpf, ptrace) are made inside
                  with the prober, copied to the container's /tmp and removed after; each must end as the
                  profile says (errno or kill), with arguments that would fail differently if allowed
Exit 0 when every check holds, 1 naming the ones that fail, 3 when Docker or the prober cannot be used.
Needs root (the filters are dumped with PTRACE_SECCOMP_GET_FILTER).

Examples:
  sysgate verify web --profile nginx.json
  sysgate verify 3f2a9c --profile app.json --json`,
    )
    .action(async (container: string, opts: VerifyCliOptions) => {
      if (opts.profile === undefined)
        throw new UsageError("required option '--profile <file>' not specified");
      const { file, document } = splitDocumentRef(opts.profile);
      const text = readInput(file);
      const libseccomp = parseLibseccomp(opts.libseccomp);
      const profile = loadForRunc(file, text, { document, libseccomp });
      const arch = hostArch();
      const r = await verifyContainer(container, {
        profile,
        text,
        arch,
        abis: hostAbis(arch),
        kernel: parseKernel(opts.kernel),
        libseccomp,
      });
      const failed = r.checks.filter((c) => !c.ok);
      if (failed.length > 0) requestExit(EXIT.findings);
      if (opts.json === true) {
        outJson({ ...r, ok: failed.length === 0 });
        return;
      }
      out(`${r.container} (pid ${r.pid}) against ${file}`);
      for (const c of r.checks)
        out(
          `  ${c.ok ? paint('green', 'ok  ') : paint('red', 'FAIL')} ${c.id.padEnd(15)} ${c.detail}`,
        );
      out(
        failed.length === 0
          ? 'verified: the container runs under the profile'
          : `not verified: ${failed.map((c) => c.id).join(', ')}`,
      );
    });
}
