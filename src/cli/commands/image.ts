import type { Command } from 'commander';
import { DEFAULT_IMAGE } from '../../run/engines/docker.js';
import { buildImage, imageMountArgs } from '../../run/suite-engine.js';
import { out, outJson } from '../io.js';

interface ImageCliOptions {
  readonly tag: string;
  readonly rebuild?: boolean;
  readonly runArgs?: boolean;
  readonly json?: boolean;
}

/** `sysgate image`: build (if needed) and print sysgate's tiny local Docker image. */
export function register(program: Command): void {
  program
    .command('image')
    .description(
      "build sysgate's tiny local Docker image (docker import of the host's layout; /usr and /etc bind-mounted at run time)",
    )
    .option('--tag <tag>', 'image tag', DEFAULT_IMAGE)
    .option('--rebuild', 'import it again even when it exists')
    .option('--run-args', 'also print the docker run mount arguments the image needs, one per line')
    .option('--json', 'print {image, runArgs} as JSON')
    .addHelpText(
      'after',
      `
The image holds only the host's top-level links (bin -> usr/bin ...) and empty mount points; sysgate
mounts the host's /usr and /etc read-only into every container, so no registry is ever contacted.

Examples:
  sysgate image
  sysgate image --tag sysgate/base:test --rebuild
  docker run --rm $(sysgate image --run-args | tail -n +2) sysgate/base:local ls /`,
    )
    .action(async (opts: ImageCliOptions) => {
      const image = await buildImage(opts.tag, opts.rebuild === true);
      const runArgs = imageMountArgs();
      if (opts.json === true) {
        outJson({ image, runArgs });
        return;
      }
      out(image);
      if (opts.runArgs === true) for (const a of runArgs) out(a);
    });
}
