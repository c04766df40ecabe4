/**
 * A container's name, image, labels and seccomp setting from its engine's HTTP API over the engine's
 * unix socket: Docker (`/var/run/docker.sock`) and Podman's Docker-compatible service
 * (`/run/podman/podman.sock`) answer `GET /containers/ID/json` alike. No process is spawned per
 * lookup, so a monitor can attribute thousands of records a second.
 */
import { existsSync } from 'node:fs';
import { request } from 'node:http';

/** Where the engines listen, in the order they are tried. */
export const ENGINE_SOCKETS: readonly string[] = [
  process.env.DOCKER_HOST?.startsWith('unix://') === true
    ? process.env.DOCKER_HOST.slice('unix://'.length)
    : '/var/run/docker.sock',
  '/run/podman/podman.sock',
];

/** What an engine says about a container. */
export interface EngineContainer {
  /** Full id. */
  readonly id: string;
  /** Name without the leading slash. */
  readonly name: string;
  /** Image as the container was created from (`Config.Image`, e.g. `nginx:1.27`). */
  readonly image: string;
  /** Image id (`sha256:...`). */
  readonly imageId: string;
  /** `Config.Labels` (Kubernetes pod and namespace are `io.kubernetes.pod.name`/`.namespace`). */
  readonly labels: Readonly<Record<string, string>>;
  /**
   * The seccomp setting: the profile's text (Docker inlines the file's content in `SecurityOpt`),
   * `unconfined`, or `default` (none given: the engine's default profile) unless privileged.
   */
  readonly seccomp: string;
  /** `HostConfig.Privileged` (seccomp off). */
  readonly privileged: boolean;
}

interface InspectJson {
  Id: string;
  Name: string;
  Image: string;
  Config?: { Image?: string; Labels?: Record<string, string> | null };
  HostConfig?: { SecurityOpt?: string[] | null; Privileged?: boolean };
}

function get(socketPath: string, path: string, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path, method: 'GET', timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        resolve(res.statusCode === 200 ? Buffer.concat(chunks).toString('utf8') : undefined);
      });
      res.on('error', () => {
        resolve(undefined);
      });
    });
    req.on('timeout', () => {
      req.destroy();
    });
    req.on('error', () => {
      resolve(undefined);
    });
    req.end();
  });
}

/** The container's record from the first engine socket that knows it, or undefined. */
export async function engineContainer(
  id: string,
  sockets: readonly string[] = ENGINE_SOCKETS,
  timeoutMs = 5000,
): Promise<EngineContainer | undefined> {
  for (const socket of sockets) {
    if (!existsSync(socket)) continue;
    const text = await get(socket, `/containers/${encodeURIComponent(id)}/json`, timeoutMs);
    if (text === undefined) continue;
    let c: InspectJson;
    try {
      c = JSON.parse(text) as InspectJson;
    } catch {
      continue;
    }
    const opts = c.HostConfig?.SecurityOpt ?? [];
    const sec = opts.find((o) => o.startsWith('seccomp=') || o.startsWith('seccomp:'));
    return {
      id: c.Id,
      name: c.Name.replace(/^\//, ''),
      image: c.Config?.Image ?? c.Image,
      imageId: c.Image,
      labels: c.Config?.Labels ?? {},
      seccomp: sec === undefined ? 'default' : sec.slice('seccomp='.length),
      privileged: c.HostConfig?.Privileged === true,
    };
  }
  return undefined;
}

/** What a container event says of its container (Docker's and Podman's `Actor.Attributes`). */
export interface ContainerEventHint {
  readonly name?: string;
  readonly image?: string;
}

/**
 * Follow the engines' container create and start events (`GET /events`, Docker's and Podman's
 * compatible API), calling `onStart` with each container's full id and the name and image the event
 * carries, so that a container is looked up while it exists, and still named when it is gone (`--rm`)
 * before its records are read. `subscribed` resolves once every engine answered the request (it
 * then sends every later event) or refused it, or after `timeoutMs`; `stop` ends the watch.
 */
export function watchContainerStarts(
  onStart: (id: string, runtime: 'docker' | 'podman', hint: ContainerEventHint) => void,
  sockets: readonly string[] = ENGINE_SOCKETS,
  timeoutMs = 5000,
): { readonly stop: () => void; readonly subscribed: Promise<void> } {
  const answers: Promise<void>[] = [];
  const since = Math.floor(Date.now() / 1000) - 1;
  const filters = encodeURIComponent(
    JSON.stringify({ type: ['container'], event: ['create', 'start'] }),
  );
  const reqs = sockets
    .filter((s) => existsSync(s))
    .map((socketPath) => {
      const runtime = socketPath.includes('podman') ? 'podman' : 'docker';
      let answered: () => void = () => undefined;
      answers.push(new Promise<void>((r) => (answered = r)));
      const req = request(
        // since: the events of the last second too (Docker flushes its answer before it subscribes).
        { socketPath, path: `/events?since=${since}&filters=${filters}`, method: 'GET' },
        (res) => {
          answered();
          let pending = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            pending += chunk;
            for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
              const line = pending.slice(0, nl);
              pending = pending.slice(nl + 1);
              try {
                const e = JSON.parse(line) as {
                  id?: string;
                  Actor?: { ID?: string; Attributes?: Record<string, string> };
                };
                const id = e.Actor?.ID ?? e.id;
                const a = e.Actor?.Attributes ?? {};
                const hint: ContainerEventHint = {
                  ...(typeof a.name === 'string' ? { name: a.name } : {}),
                  ...(typeof a.image === 'string' ? { image: a.image } : {}),
                };
                if (id !== undefined && /^[0-9a-f]{64}$/.test(id)) onStart(id, runtime, hint);
              } catch {
                // not an event line
              }
            }
          });
          res.on('error', () => undefined);
        },
      );
      req.on('error', () => {
        answered();
      });
      req.end();
      return req;
    });
  let timer: NodeJS.Timeout | undefined;
  const subscribed = Promise.race([
    Promise.all(answers).then(() => undefined),
    new Promise<void>((r) => {
      timer = setTimeout(r, timeoutMs);
    }),
  ]).finally(() => {
    clearTimeout(timer);
  });
  return {
    stop: () => {
      for (const r of reqs) r.destroy();
    },
    subscribed,
  };
}
