import type { Command } from 'commander';
import { UsageError } from '../../document/errors.js';
import { parseProfile, writeProfile } from '../../profile/index.js';
import { EXIT, requestExit } from '../exit.js';
import { err, readInput, writeOutput } from '../io.js';

interface FmtOptions {
  write?: boolean;
  check?: boolean;
}

/** `sysgate fmt FILE`: print (or rewrite) a profile as canonical Docker JSON. */
export function register(program: Command): void {
  program
    .command('fmt')
    .description(
      'print a profile as canonical Docker JSON (moby key order, 2-space indent, exact 64-bit values)',
    )
    .argument('<file>', "profile file ('-' for stdin); any format that holds one profile")
    .option('-w, --write', 'rewrite the file in place (atomically); Docker-format files only')
    .option('--check', 'exit 1 if the file is not already canonical; write nothing')
    .addHelpText(
      'after',
      `
Profiles in other formats (OCI config.json, SPO CRD, Firecracker thread, 2016 libcontainer)
are converted to Docker form on stdout. Semantic problems are not checked: use 'validate'.

Examples:
  sysgate fmt profile.json
  sysgate fmt -w profile.json
  sysgate fmt --check profile.json || echo "run sysgate fmt -w"
  sysgate fmt old-numeric-profile.json > modern.json`,
    )
    .action((file: string, opts: FmtOptions) => {
      if (opts.write === true && opts.check === true)
        throw new UsageError('--write and --check cannot be combined');
      const text = readInput(file);
      const loaded = parseProfile(text, file);
      const canonical = writeProfile(loaded.profile);
      if (opts.check === true) {
        if (text !== canonical) {
          err(`${file}: not in canonical form (run: sysgate fmt -w ${file})`);
          requestExit(EXIT.findings);
        }
        return;
      }
      if (opts.write === true) {
        if (file === '-') throw new UsageError('--write needs a file, not stdin');
        if (loaded.format !== 'docker') {
          throw new UsageError(
            `--write only rewrites Docker-format files; ${file} is ${loaded.format} (redirect stdout to a new file instead)`,
          );
        }
        if (text !== canonical) writeOutput(file, canonical);
        return;
      }
      writeOutput('-', canonical);
    });
}
