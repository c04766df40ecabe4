/**
 * `deploy`: what each platform needs to run a workload under a profile, ready to paste: the files to
 * put in place (the profile itself, byte for byte where Docker reads it, and any manifest) and the
 * snippet that uses them, with what was measured about each platform where it matters.
 */
import { Document, parseDocument, stringify } from 'yaml';
import {
  dockerProfileText,
  K8S_NAME_RE,
  systemdFilter,
  systemdLines,
  toSpo,
} from '../profile/convert/index.js';
import { resolvedToProfile, type ResolvedProfile } from '../profile/resolve.js';
import type { LoadedProfile } from '../profile/types.js';
import { UsageError } from '../document/errors.js';
import type { LibseccompVersion } from '../arch/syscalls.js';

/** The platforms `deploy` writes for. */
export const PLATFORMS = [
  'docker',
  'compose',
  'swarm',
  'podman',
  'kubernetes',
  'spo',
  'systemd',
] as const;
export type Platform = (typeof PLATFORMS)[number];

/** A file the user puts in place. */
export interface DeployFile {
  /** Path relative to the output directory. */
  readonly path: string;
  readonly content: string;
  /** Where it belongs on the target machine, in words or as a path. */
  readonly destination: string;
}

/** What one platform needs. */
export interface Deployment {
  readonly platform: Platform;
  readonly files: readonly DeployFile[];
  /** The commands or configuration to paste, with comments. */
  readonly snippet: string;
  /** Facts the user must know (versions that ignore the setting, what is not exact). */
  readonly notes: readonly string[];
}

/** Options of {@link deploy}. */
export interface DeployOptions {
  /** A lower-case DNS label naming the profile's files and objects. */
  readonly name: string;
  /** The workload's image (snippets only). */
  readonly image: string;
  /** The profile as loaded, with its source text (Docker and Podman read the bytes as they are). */
  readonly loaded: LoadedProfile;
  readonly text: string;
  /** The profile resolved for the target host (archMap, includes/excludes): SPO and systemd need it. */
  readonly resolved: ResolvedProfile;
  /** The libseccomp runc and systemd resolve syscall names with. */
  readonly libseccomp: LibseccompVersion;
  /** Kubernetes: the namespace of the objects (default: kube-system for the installer, default for SPO). */
  readonly namespace?: string;
}

/** A DNS label of at most 40 characters, so that the objects' derived names stay valid. */
const LABEL_RE = /^[a-z0-9](?:[-a-z0-9]{0,38}[a-z0-9])?$/;

/** The kubelet's seccomp root (`--seccomp-profile-root` is gone since 1.23): where Localhost profiles live. */
export const KUBELET_SECCOMP_ROOT = '/var/lib/kubelet/seccomp';

/** Swarm services carry a custom profile from Engine API 1.44 (Docker 25, moby/swarmkit#3152). */
export const SWARM_SECCOMP_API = '1.44';

const yamlDocs = (objects: readonly unknown[]): string =>
  objects.map((o) => `---\n${new Document(o).toString({ lineWidth: 0 })}`).join('');

function dockerLike(o: DeployOptions, tool: 'docker' | 'podman'): Deployment {
  const file = `${o.name}.json`;
  const hostPath =
    tool === 'docker' ? `/etc/docker/seccomp/${file}` : `/etc/containers/seccomp/${file}`;
  const snippet =
    tool === 'docker'
      ? [
          `# The docker client reads the file and sends its bytes with the create request.`,
          `docker run --security-opt seccomp=${hostPath} ${o.image}`,
          ``,
          `# Every container of one daemon (dockerd reads the file at start: restart it after a change):`,
          `# /etc/docker/daemon.json`,
          JSON.stringify({ 'seccomp-profile': hostPath }),
          ``,
          `# Check a running container: sysgate verify CONTAINER --profile ${hostPath}`,
        ]
      : [
          `podman run --security-opt seccomp=${hostPath} ${o.image}`,
          ``,
          `# Every container of this host: /etc/containers/containers.conf`,
          `[containers]`,
          `seccomp_profile = "${hostPath}"`,
        ];
  return {
    platform: tool,
    files: [{ path: file, content: dockerProfileText(o.loaded, o.text), destination: hostPath }],
    snippet: `${snippet.join('\n')}\n`,
    notes:
      tool === 'podman'
        ? ['Podman reads the profile itself (containers/common) and hands crun or runc the result.']
        : [],
  };
}

function compose(o: DeployOptions): Deployment {
  const file = `${o.name}.json`;
  const service = {
    services: { [o.name]: { image: o.image, security_opt: [`seccomp=./${file}`] } },
  };
  return {
    platform: 'compose',
    files: [
      {
        path: file,
        content: dockerProfileText(o.loaded, o.text),
        destination: 'next to docker-compose.yml',
      },
    ],
    snippet: `# docker-compose.yml (merge into the service)\n${stringify(service, { lineWidth: 0 })}`,
    notes: [
      'compose reads the file and passes its bytes to the engine, as docker run does; a relative path is taken from the directory compose runs in.',
    ],
  };
}

function swarm(o: DeployOptions): Deployment {
  const profile = Buffer.from(dockerProfileText(o.loaded, o.text)).toString('base64');
  const body = {
    Name: o.name,
    TaskTemplate: {
      ContainerSpec: {
        Image: o.image,
        Privileges: { Seccomp: { Mode: 'custom', Profile: profile } },
      },
    },
  };
  return {
    platform: 'swarm',
    files: [
      {
        path: `${o.name}.service.json`,
        content: `${JSON.stringify(body, null, 2)}\n`,
        destination: 'the request body',
      },
    ],
    snippet: [
      `# Swarm services take a custom profile only through the Engine API, from API ${SWARM_SECCOMP_API} (Docker 25):`,
      `curl --unix-socket /var/run/docker.sock -H 'Content-Type: application/json' \\`,
      `  -d @${o.name}.service.json http://localhost/v${SWARM_SECCOMP_API}/services/create`,
      `# docker service create has no --security-opt, and docker stack deploy ignores security_opt.`,
      ``,
    ].join('\n'),
    notes: [
      `An engine older than API ${SWARM_SECCOMP_API} accepts the request and drops Privileges.Seccomp: the tasks run under Docker's default profile (measured on Docker 20.10, API 1.41). Check a task with sysgate verify.`,
    ],
  };
}

function kubernetes(o: DeployOptions): Deployment {
  const file = `${o.name}.json`;
  const objName = `sysgate-seccomp-${o.name}`;
  const ns = o.namespace ?? 'kube-system';
  const labels = { 'app.kubernetes.io/name': objName, 'app.kubernetes.io/managed-by': 'sysgate' };
  const restricted = {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
    runAsUser: 0,
  };
  const installer = [
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: objName, namespace: ns, labels },
      data: { [file]: dockerProfileText(o.loaded, o.text) },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: objName, namespace: ns, labels },
      spec: {
        selector: { matchLabels: { 'app.kubernetes.io/name': objName } },
        template: {
          metadata: { labels },
          spec: {
            securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
            tolerations: [{ operator: 'Exists' }],
            initContainers: [
              {
                name: 'install',
                image: 'busybox:1.36',
                command: [
                  'sh',
                  '-c',
                  `mkdir -p /host/sysgate && cp /profile/${file} /host/sysgate/.${file} && mv /host/sysgate/.${file} /host/sysgate/${file}`,
                ],
                securityContext: restricted,
                volumeMounts: [
                  { name: 'profile', mountPath: '/profile', readOnly: true },
                  { name: 'seccomp', mountPath: '/host' },
                ],
              },
            ],
            containers: [
              { name: 'hold', image: 'registry.k8s.io/pause:3.9', securityContext: restricted },
            ],
            volumes: [
              { name: 'profile', configMap: { name: objName } },
              {
                name: 'seccomp',
                hostPath: { path: KUBELET_SECCOMP_ROOT, type: 'DirectoryOrCreate' },
              },
            ],
          },
        },
      },
    },
  ];
  const patch = {
    spec: {
      template: {
        spec: {
          securityContext: {
            seccompProfile: { type: 'Localhost', localhostProfile: `sysgate/${file}` },
          },
        },
      },
    },
  };
  return {
    platform: 'kubernetes',
    files: [
      { path: `${objName}.yaml`, content: yamlDocs(installer), destination: 'kubectl apply -f' },
      {
        path: `${o.name}-patch.yaml`,
        content: stringify(patch, { lineWidth: 0 }),
        destination: 'kubectl patch --patch-file',
      },
    ],
    snippet: [
      `# 1. Put the profile on every node (${KUBELET_SECCOMP_ROOT}/sysgate/${file}):`,
      `kubectl apply -f ${objName}.yaml`,
      `kubectl -n ${ns} rollout status daemonset/${objName}`,
      `# 2. Run the workload under it (a Pod whose profile file is missing on its node fails to start):`,
      `kubectl patch deployment DEPLOYMENT --patch-file ${o.name}-patch.yaml`,
      ``,
    ].join('\n'),
    notes: [
      'The kubelet reads Localhost profiles relative to its seccomp root; containerd and CRI-O load them with the same runc/crun path as Docker minus moby (no archMap, no includes/excludes: the file holds the resolved profile).',
      'With the security-profiles-operator installed, use --for spo instead: it distributes the profile itself.',
    ],
  };
}

function spo(o: DeployOptions): Deployment {
  const objName = o.name;
  const ns = o.namespace ?? 'default';
  const profile = parseDocument(toSpo(resolvedToProfile(o.resolved), objName, 'v1beta1'));
  profile.setIn(['metadata', 'namespace'], ns);
  const binding = {
    apiVersion: 'security-profiles-operator.x-k8s.io/v1alpha1',
    kind: 'ProfileBinding',
    metadata: { name: objName, namespace: ns },
    spec: { profileRef: { kind: 'SeccompProfile', name: objName }, image: o.image },
  };
  return {
    platform: 'spo',
    files: [
      {
        path: `${objName}.seccompprofile.yaml`,
        content: profile.toString({ lineWidth: 0 }),
        destination: 'kubectl apply -f',
      },
      {
        path: `${objName}.profilebinding.yaml`,
        content: yamlDocs([binding]),
        destination: 'kubectl apply -f',
      },
    ],
    snippet: [
      `kubectl apply -f ${objName}.seccompprofile.yaml`,
      `# The path a pod's localhostProfile names is in the object's status:`,
      `kubectl -n ${ns} get seccompprofile ${objName} -o jsonpath='{.status.localhostProfile}'`,
      `# Or bind it to every new container of image ${o.image} in namespace ${ns}:`,
      `kubectl label namespace ${ns} spo.x-k8s.io/enable-binding=true`,
      `kubectl apply -f ${objName}.profilebinding.yaml`,
      ``,
    ].join('\n'),
    notes: [
      'The SeccompProfile holds the profile resolved for the target host (the CRD has no archMap or includes/excludes).',
    ],
  };
}

function systemd(o: DeployOptions): Deployment {
  const f = systemdFilter(o.resolved, o.libseccomp);
  const conf = `# ${o.name}: generated by sysgate\n[Service]\n${systemdLines(f).join('\n')}\n`;
  return {
    platform: 'systemd',
    files: [
      {
        path: `${o.name}.service.d/seccomp.conf`,
        content: conf,
        destination: `/etc/systemd/system/${o.name}.service.d/seccomp.conf`,
      },
    ],
    snippet: `systemctl daemon-reload && systemctl restart ${o.name}\n`,
    notes: f.notes,
  };
}

/** What `platform` needs to run `o.image` under the profile. Throws `ProfileError` where systemd or SPO cannot hold it. */
export function deploy(platform: Platform, o: DeployOptions): Deployment {
  if (!LABEL_RE.test(o.name)) {
    throw new UsageError(
      `--name '${o.name}' must be a lower-case DNS label of at most 40 characters`,
    );
  }
  if (!K8S_NAME_RE.test(o.namespace ?? 'default')) {
    throw new UsageError(`--namespace '${o.namespace ?? ''}' is not a valid namespace name`);
  }
  switch (platform) {
    case 'docker':
    case 'podman':
      return dockerLike(o, platform);
    case 'compose':
      return compose(o);
    case 'swarm':
      return swarm(o);
    case 'kubernetes':
      return kubernetes(o);
    case 'spo':
      return spo(o);
    case 'systemd':
      return systemd(o);
  }
}
