/**
 * The Kubernetes manifests in deploy/kubernetes, checked offline with the real tools:
 * - `kubectl set env --local` decodes every object into kubectl's own Go types (a wrong type is an
 *   error); for pod templates its output, less the variable it adds, equals the input, so a field
 *   kubectl does not know (dropped by the decode) fails the check too;
 * - `kubectl create --dry-run=client` maps every kind through a discovery document served here (no
 *   cluster: kubectl asks an API server only which resources exist);
 * - the SeccompProfile objects `sysgate rollout manifests` writes validate against the operator's
 *   CRD schema (test/fixtures/corpus/reference);
 * - `promtool check config` reads the scrape config with its rule files; Debian's Prometheus is
 *   built without Kubernetes discovery, so kubernetes_sd_configs is swapped for a static target
 *   (the relabelling and the rest are checked as written);
 * - the fleet PromQL of docs/operate.md is evaluated by `promtool test rules` on a three-node fleet.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { runCli } from '../cli/run-cli.js';
import { hasTool } from '../oracle/kernel.js';

const ROOT = resolve(import.meta.dirname, '../..');
const K8S = join(ROOT, 'deploy/kubernetes');
const KUBECTL = '/usr/bin/kubectl';
const enabled = process.env.CI === 'true' || (hasTool('kubectl') && hasTool('promtool'));

type Obj = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
};

const docsOf = (file: string): Obj[] =>
  parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS() as Obj);

/** Run kubectl without blocking this process (it may be serving kubectl's discovery requests). */
async function kubectl(
  args: readonly string[],
): Promise<{ status: number | null; out: string; err: string }> {
  const child = spawn(KUBECTL, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => err.push(b));
  const status = await new Promise<number | null>((ok) => child.on('close', ok));
  return { status, out: Buffer.concat(out).toString(), err: Buffer.concat(err).toString() };
}

/** Discovery documents for the kinds the manifests use, as an API server would list them. */
function discovery(): Record<string, object> {
  const res = (name: string, kind: string, namespaced = true): object => ({
    name,
    singularName: '',
    namespaced,
    kind,
    verbs: ['create', 'get', 'list'],
  });
  const group = (name: string, version: string): object => ({
    name,
    versions: [{ groupVersion: `${name}/${version}`, version }],
    preferredVersion: { groupVersion: `${name}/${version}`, version },
  });
  const spo = 'security-profiles-operator.x-k8s.io';
  return {
    '/api': { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] },
    '/api/v1': {
      kind: 'APIResourceList',
      groupVersion: 'v1',
      resources: [res('namespaces', 'Namespace', false), res('serviceaccounts', 'ServiceAccount')],
    },
    '/apis': {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: [group('apps', 'v1'), group(spo, 'v1beta1')],
    },
    '/apis/apps/v1': {
      kind: 'APIResourceList',
      groupVersion: 'apps/v1',
      resources: [res('daemonsets', 'DaemonSet'), res('deployments', 'Deployment')],
    },
    [`/apis/${spo}/v1beta1`]: {
      kind: 'APIResourceList',
      groupVersion: `${spo}/v1beta1`,
      resources: [res('seccompprofiles', 'SeccompProfile')],
    },
  };
}

let server: Server;
let apiUrl = '';

/** `kubectl create --dry-run=client -o name` against the discovery served here. */
const createNames = (file: string): ReturnType<typeof kubectl> =>
  kubectl([
    '--server',
    apiUrl,
    'create',
    '--dry-run=client',
    '--validate=false',
    '-f',
    file,
    '-o',
    'name',
  ]);

/** Whether kubectl decodes every object of `file` into its types, and keeps every pod field. */
async function checkTyped(file: string): Promise<void> {
  const r = await kubectl([
    'set',
    'env',
    '--local',
    '-f',
    file,
    'SG_CHECK=1',
    '--dry-run=client',
    '-o',
    'json',
  ]);
  const docs = docsOf(file);
  const podTemplates = docs.filter((d) => ['DaemonSet', 'Deployment'].includes(d.kind));
  // Objects without a pod template decode, then `set env` says it cannot change them.
  for (const d of docs.filter((x) => !podTemplates.includes(x)))
    expect(r.err, `${file}: ${d.kind}`).toContain(
      `${d.kind.toLowerCase()}/${d.metadata.name} the object is not a pod or does not have a pod template`,
    );
  expect(r.err, file).not.toContain('unable to decode');
  if (podTemplates.length === 0) return;
  // One JSON object per pod template, one after the other.
  const items = JSON.parse(`[${r.out.replace(/\}\n\{/g, '},{')}]`) as Obj[];
  expect(items).toHaveLength(podTemplates.length);
  items.forEach((got, i) => {
    const spec = (
      got as unknown as { spec: { template: { spec: { containers: { env?: unknown[] }[] } } } }
    ).spec.template.spec;
    for (const c of spec.containers) {
      c.env = (c.env ?? []).filter((e) => (e as { name: string }).name !== 'SG_CHECK');
      if (c.env.length === 0) delete c.env;
    }
    const want = structuredClone(podTemplates[i]);
    // kubectl writes what the API would default, nothing of ours is lost: compare ours inside it.
    expect(got, `${file}: ${want?.kind}/${want?.metadata.name}`).toMatchObject(want as object);
  });
}

describe.skipIf(!enabled)('deploy/kubernetes, checked with kubectl and promtool', () => {
  beforeAll(async () => {
    const docs = discovery();
    server = createServer((q, res) => {
      const body = docs[(q.url ?? '').split('?')[0] ?? ''];
      res.statusCode = body === undefined ? 404 : 200;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(body ?? {}));
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.close();
  });

  test('the monitor DaemonSet: hostPID, only CAP_AUDIT_READ, never privileged, read-only root', async () => {
    const file = join(K8S, 'monitor.yaml');
    await checkTyped(file);
    // The check can fail: a misspelt field (dropped by kubectl's decode), a wrong type.
    const scratch = mkdtempSync(join(tmpdir(), 'sg-k8s-bad-'));
    const text = readFileSync(file, 'utf8');
    for (const [from, to] of [
      ['privileged: false', 'privilegd: false'],
      ['hostPID: true', 'hostPID: "yes"'],
    ] as const) {
      const bad = join(scratch, 'bad.yaml');
      writeFileSync(bad, text.replace(from, to));
      await expect(checkTyped(bad), to).rejects.toThrow();
    }
    const created = await createNames(file);
    expect(created.status, created.err).toBe(0);
    expect(created.out.trim().split('\n')).toEqual([
      'namespace/sysgate',
      'serviceaccount/sysgate-monitor',
      'daemonset.apps/sysgate-monitor',
    ]);
    const ds = docsOf(file).find((d) => d.kind === 'DaemonSet') as unknown as {
      spec: {
        template: {
          metadata: { annotations: Record<string, string> };
          spec: {
            hostPID: boolean;
            serviceAccountName: string;
            containers: {
              args: string[];
              ports: { containerPort: number }[];
              securityContext: Record<string, unknown>;
            }[];
          };
        };
      };
    };
    const pod = ds.spec.template.spec;
    expect(pod.hostPID).toBe(true);
    expect(pod.serviceAccountName).toBe('sysgate-monitor');
    for (const c of pod.containers) {
      expect(c.securityContext).toMatchObject({
        privileged: false,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'], add: ['AUDIT_READ'] },
      });
      expect(c.args.slice(0, 3)).toEqual(['monitor', '--source', 'netlink']);
    }
    const port = String(pod.containers[0]?.ports[0]?.containerPort);
    expect(ds.spec.template.metadata.annotations).toEqual({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': port,
      'prometheus.io/path': '/metrics',
    });
    // The monitor's own options are real ones: its help names each.
    const help = await runCli(['monitor', '--help']);
    for (const a of (pod.containers[0]?.args ?? []).filter((x) => x.startsWith('--')))
      expect(help.stdout, a).toContain(a);
  });

  test('promtool reads the scrape config and its rule files', () => {
    const text = readFileSync(join(K8S, 'prometheus-scrape.yml'), 'utf8');
    const cfg = parseYaml(text) as { scrape_configs: { kubernetes_sd_configs?: unknown }[] };
    expect(cfg.scrape_configs[0]?.kubernetes_sd_configs).toEqual([
      { role: 'pod', namespaces: { names: ['sysgate'] } },
    ]);
    const swapped = text.replace(
      /^ {4}kubernetes_sd_configs:\n(?: {6}.*\n)+/m,
      "    static_configs:\n      - targets: ['127.0.0.1:9469']\n",
    );
    expect(swapped).not.toMatch(/^\s+kubernetes_sd_configs:/m);
    const file = join(K8S, `.check-${process.pid}.yml`);
    writeFileSync(file, swapped);
    try {
      const r = spawnSync('promtool', ['check', 'config', file], { encoding: 'utf8' });
      expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
      expect(r.stdout).toContain('SUCCESS: 1 rule files found');
      // The check can fail: a bad relabel action.
      writeFileSync(file, swapped.replace('action: keep', 'action: kept'));
      expect(spawnSync('promtool', ['check', 'config', file]).status).not.toBe(0);
    } finally {
      spawnSync('rm', ['-f', file]);
    }
  });

  test("docs/operate.md's fleet PromQL is what promtool test rules evaluates, with exact values", () => {
    const docs = readFileSync(join(ROOT, 'docs/operate.md'), 'utf8');
    const queries = [...docs.matchAll(/```promql\n(.+)\n```/g)].map((m) => m[1] ?? '');
    expect(queries.length).toBe(5);
    const file = join(K8S, 'fleet-queries.test.yml');
    const tests = parseYaml(readFileSync(file, 'utf8')) as {
      tests: { promql_expr_test: { expr: string }[] }[];
    };
    expect(tests.tests.flatMap((t) => t.promql_expr_test.map((e) => e.expr))).toEqual(queries);
    const r = spawnSync('promtool', ['test', 'rules', file], { encoding: 'utf8' });
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
    expect(r.stdout).toContain('SUCCESS');
  });

  test('a fleet rollout: rollout manifests objects fit the SPO CRD; the canary Deployments decode', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-k8s-'));
    const profile = join(dir, 'app.json');
    writeFileSync(
      profile,
      JSON.stringify({
        defaultAction: 'SCMP_ACT_ERRNO',
        architectures: ['SCMP_ARCH_X86_64'],
        syscalls: [{ names: ['read', 'write', 'exit_group', 'execve'], action: 'SCMP_ACT_ALLOW' }],
      }),
    );
    const state = join(dir, 'state');
    expect((await runCli(['rollout', 'start', profile, '--state', state])).code).toBe(0);
    const m = await runCli(['rollout', 'manifests', '--state', state, '--name', 'app']);
    expect(m.code, m.stderr).toBe(0);
    const objects = parseAllDocuments(m.stdout).map((d) => d.toJS() as Obj);
    const crd = parseYaml(
      readFileSync(
        join(
          ROOT,
          'test/fixtures/corpus/reference/kubernetes-sigs__security-profiles-operator__deploy_base-crds_crds_seccompprofile.yaml',
        ),
        'utf8',
      ),
    ) as { spec: { versions: { name: string; schema: { openAPIV3Schema: object } }[] } };
    const ajv = new Ajv({ strict: false, allErrors: true });
    const schema = crd.spec.versions.find((v) => v.name === 'v1beta1')?.schema.openAPIV3Schema;
    if (schema === undefined) throw new Error('no v1beta1 schema');
    const valid = ajv.compile(schema);
    expect(objects.map((o) => o.metadata.name)).toEqual(['app-phase-a']);
    for (const o of objects) expect(valid(o), JSON.stringify(valid.errors)).toBe(true);
    expect(valid({ ...objects[0], spec: { defaultAction: 'SCMP_ACT_NONE' } })).toBe(false);
    const file = join(dir, 'spo.yaml');
    writeFileSync(file, m.stdout);
    const created = await createNames(file);
    expect(created.status, created.err).toBe(0);
    expect(created.out.trim()).toBe(
      'seccompprofile.security-profiles-operator.x-k8s.io/app-phase-a',
    );

    const canary = join(K8S, 'rollout-canary.yaml');
    await checkTyped(canary);
    const paths = docsOf(canary).map(
      (d) =>
        (
          d as unknown as {
            spec: {
              template: {
                spec: { securityContext: { seccompProfile: { localhostProfile: string } } };
              };
            };
          }
        ).spec.template.spec.securityContext.seccompProfile.localhostProfile,
    );
    expect(paths).toEqual(['operator/app-phase-a.json', 'operator/app-phase-b.json']);
  });
});
