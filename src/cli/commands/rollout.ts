import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { RuntimeError, UsageError } from '../../document/errors.js';
import { parseMetrics, groupsFromMetrics } from '../../operate/rollout-metrics.js';
import { spoManifests } from '../../operate/rollout-fleet.js';
import {
  checkState,
  evaluateGate,
  gatePlan,
  PHASE_TEXT,
  promote,
  startRollout,
  type AcceptedCall,
  type CriticalMode,
  type GateVerdict,
  type Phase,
  type RolloutEvent,
  type RolloutState,
} from '../../operate/rollout.js';
import {
  verdictFor,
  ViolationCollector,
  type ViolationGroup,
  type ViolationReport,
} from '../../operate/violations.js';
import { resolvedToProfile } from '../../profile/resolve.js';
import type { Profile } from '../../profile/types.js';
import { loadForRunc } from '../../runc/index.js';
import { EXIT, requestExit } from '../exit.js';
import { addHostOptions, hostFromOptions, loadForHost, type HostOptions } from '../host.js';
import { err, out, outJson, toJson, writeOutput } from '../io.js';
import { collectLogs } from '../kernel-logs.js';
import { printTable } from '../violation-table.js';

const STATE = 'rollout.json';
const LOG = 'log.jsonl';
const ORIGINAL = 'profile.json';

interface StartOptions extends HostOptions {
  state: string;
  window: string;
  critical: string;
  json?: boolean;
}

interface EvidenceOptions {
  state: string;
  from?: string[];
  monitor?: string[];
  metricPrefix: string;
  monitorProfile?: string[];
  monitorContainer?: string[];
  json?: boolean;
}

interface PromoteOptions extends EvidenceOptions {
  accept?: string[];
  acceptCritical?: string[];
  reason?: string;
}

interface ManifestOptions {
  state: string;
  name: string;
  apiVersion: string;
  output?: string;
}

/** The state directory's files, read and written atomically; the log is only ever appended to. */
class StateDir {
  constructor(readonly dir: string) {}

  path(name: string): string {
    return join(this.dir, name);
  }

  read(): { state: RolloutState; original: Profile } {
    const file = this.path(STATE);
    if (!existsSync(file))
      throw new UsageError(
        `${this.dir}: no rollout here (no ${STATE}); begin one with 'sysgate rollout start PROFILE --state ${this.dir}'`,
      );
    let value: unknown;
    try {
      value = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new UsageError(`${file}: not JSON (${(e as Error).message})`);
    }
    const state = checkState(value);
    const origFile = this.path(ORIGINAL);
    const original = loadForRunc(origFile, readFileSync(origFile, 'utf8'), {
      libseccomp: state.host.libseccomp,
    }).profile;
    return { state, original };
  }

  /** Store files, then the state, then append the event (the log is the last word). */
  commit(
    files: Readonly<Record<string, string>>,
    state: RolloutState | undefined,
    event: RolloutEvent,
  ): void {
    for (const [name, text] of Object.entries(files)) writeOutput(this.path(name), text);
    if (state !== undefined) writeOutput(this.path(STATE), toJson(state) + '\n');
    this.append(event);
  }

  append(event: RolloutEvent): void {
    const file = this.path(LOG);
    const before = existsSync(file) ? readFileSync(file, 'utf8') : '';
    if (before !== '' && !before.endsWith('\n'))
      throw new RuntimeError(
        'write',
        `${file}: the decision log does not end with a newline; not appending`,
      );
    writeOutput(file, before + JSON.stringify(event) + '\n');
  }
}

function checkCritical(text: string): CriticalMode {
  if (text === 'errno' || text === 'kill') return text;
  throw new UsageError(`--critical must be errno or kill (got '${text}')`);
}

/** The violations since the phase began (logs and monitors), decided with `accepted`. */
async function gatherEvidence(
  opts: EvidenceOptions,
  state: RolloutState,
  original: Profile,
): Promise<{ decided: (accepted: readonly AcceptedCall[]) => ViolationReport; notes: string[] }> {
  const from = opts.from ?? [];
  const monitors = opts.monitor ?? [];
  if (from.length === 0 && monitors.length === 0)
    throw new UsageError(
      'give the evidence: --from LOG (dmesg, journalctl -k, audit.log...) and/or --monitor URL (sysgate monitor)',
    );
  const collector = new ViolationCollector({ sinceMs: Date.parse(state.phaseStartedAt) });
  await collectLogs(from, collector);
  const notes: string[] = [];
  const monitorGroups: ViolationGroup[] = [];
  for (const url of monitors) {
    let text: string;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      text = await res.text();
    } catch (e) {
      throw new RuntimeError(
        'monitor',
        `${url}: cannot read the monitor's metrics (${(e as Error).message})`,
        {
          cause: e,
        },
      );
    }
    const got = groupsFromMetrics(parseMetrics(text, url), url, {
      prefix: opts.metricPrefix,
      ...(opts.monitorProfile !== undefined ? { profile: opts.monitorProfile } : {}),
      ...(opts.monitorContainer !== undefined ? { container: opts.monitorContainer } : {}),
    });
    monitorGroups.push(...got.groups);
    notes.push(
      `${url}: ${got.series} ${opts.metricPrefix}_violations_total series; counters count since the monitor started, so restart it (or use --monitor-profile with the phase's profile label) when the phase begins`,
    );
    if (got.lost > 0) notes.push(`${url}: the monitor lost ${got.lost} records at its source`);
  }
  return {
    decided: (accepted) => {
      const plan = gatePlan(original, state, accepted);
      const r = collector.report(plan);
      if (monitorGroups.length === 0) return r;
      for (const g of monitorGroups) {
        const v = verdictFor(plan, g);
        if (v !== undefined) g.verdict = v;
        else delete g.verdict;
      }
      return { ...r, groups: [...r.groups, ...monitorGroups].sort((a, b) => b.count - a.count) };
    },
    notes,
  };
}

function printGate(gate: GateVerdict): void {
  out(
    `gate: ${gate.pass ? 'PASS' : 'NOT YET'} (${gate.observed.records} records since the phase began, ${gate.observed.heartbeat} heartbeat; window ends ${gate.windowEnds})`,
  );
  for (const r of gate.reasons)
    out(`  - ${r.message}${r.count !== undefined ? ` [${r.count} records]` : ''}`);
  if (gate.observed.suppressed > 0)
    out(
      `  note: the kernel's rate limit dropped ${gate.observed.suppressed} records; they are not counted (use auditd or the monitor's netlink source)`,
    );
  if (gate.acceptable.length > 0) {
    out('acceptable with --accept NAME (risk of allowing it):');
    for (const a of gate.acceptable)
      out(`  ${a.name}  ${a.risk}: ${a.reason}  [${a.count} records]`);
  }
  if (gate.critical.length > 0) {
    out('critical, only with --accept-critical NAME --reason TEXT:');
    for (const a of gate.critical) out(`  ${a.name}  ${a.risk}: ${a.reason}  [${a.count} records]`);
  }
}

/** How to run the profile of `phase`. */
function howToApply(dir: string, phase: Phase, file: string): string[] {
  const path = join(dir, file);
  const lines = [`phase ${phase}: ${PHASE_TEXT[phase]}`, `profile: ${path}`];
  if (phase === 'B')
    lines.push(
      'apply it to the canaries only, e.g.:',
      `  Docker (on canary hosts): docker run --security-opt seccomp=${path} ...`,
      '  Docker (some containers): start only the canary replicas with that --security-opt; the others keep phase A',
      `  Kubernetes: sysgate rollout manifests --state ${dir} | kubectl apply -f - ; then set`,
      '    securityContext.seccompProfile {type: Localhost, localhostProfile: operator/<name>-phase-b.json}',
      '    on a canary Deployment (or pods with a canary label) while the rest keep phase A',
    );
  else
    lines.push(
      phase === 'A' ? 'apply it everywhere, e.g.:' : 'apply it on every host, e.g.:',
      `  Docker: docker run --security-opt seccomp=${path} ...`,
      `  Kubernetes: sysgate rollout manifests --state ${dir} | kubectl apply -f -  (localhostProfile operator/<name>-phase-${phase.toLowerCase()}.json)`,
    );
  return lines;
}

/** `sysgate rollout start|status|promote|manifests`: phased rollout with gates. */
export function register(program: Command): void {
  const rollout = program
    .command('rollout')
    .description(
      'roll a profile out in phases: A audit everywhere, B enforcing on canaries, C enforcing everywhere; each promotion is gated on what the kernel logged',
    )
    .addHelpText(
      'after',
      `
The state directory is the audit trail: ${STATE} (the current phase), ${ORIGINAL} (the enforcing
profile as given), phase-a.json, phase-b.json, phase-c.json (each phase's profile, written when the
phase begins) and ${LOG} (every start, promotion and refused promotion, append-only).

Examples:
  sysgate rollout start app-profile.json --state /var/lib/sysgate/app --window 7d
  sysgate rollout status --state /var/lib/sysgate/app --from /var/log/audit/audit.log
  sysgate rollout status --state /var/lib/sysgate/app --monitor http://127.0.0.1:9469/metrics
  sysgate rollout promote --state /var/lib/sysgate/app --from /var/log/audit/audit.log --accept getrandom
  sysgate rollout manifests --state /var/lib/sysgate/app --name app | kubectl apply -f -`,
    );

  const start = rollout
    .command('start')
    .description('begin phase A: write the audit twin and the phase record')
    .argument('<profile>', 'the enforcing profile (any supported format)')
    .requiredOption('--state <dir>', 'state directory (created; must not hold a rollout)')
    .option('--window <duration>', 'how long each phase is observed: 7d, 24h, 30m, 0s', '7d')
    .option(
      '--critical <mode>',
      'errno: critical calls refused with EPERM and recorded through SECCOMP_FILTER_FLAG_LOG (crun, runc >= 1.2); kill: they kill the process, which the kernel records without the flag (runc 1.1, e.g. Docker on Debian 12)',
      'errno',
    )
    .option('--json', 'print the state as JSON');
  addHostOptions(start, { libseccomp: true }).action((file: string, opts: StartOptions) => {
    const critical = checkCritical(opts.critical);
    const dir = new StateDir(opts.state);
    if (existsSync(dir.path(STATE)))
      throw new UsageError(
        `${opts.state}: a rollout is already here (${STATE}); use another directory`,
      );
    const host = loadForHost(file, opts);
    const t = startRollout({
      profile: resolvedToProfile(host.resolved),
      source: file,
      text: host.text,
      host: { ...hostFromOptions(opts), libseccomp: host.libseccomp },
      window: opts.window,
      critical,
      now: Date.now(),
    });
    try {
      mkdirSync(opts.state, { recursive: true });
    } catch (e) {
      throw new UsageError(`cannot create ${opts.state}: ${(e as Error).message}`);
    }
    dir.commit(t.files, t.state, t.event);
    if (opts.json === true) outJson(t.state);
    else {
      for (const l of howToApply(opts.state, 'A', t.state.files.A ?? '')) out(l);
      out(
        `window: ${t.state.window}, ends ${new Date(Date.parse(t.state.phaseStartedAt) + t.state.windowMs).toISOString()}`,
      );
    }
    for (const n of t.notes) err(`note: ${n}`);
  });

  const evidence = (c: Command): Command =>
    c
      .requiredOption('--state <dir>', 'state directory of the rollout')
      .option(
        '--from <log...>',
        "kernel logs to read ('-' for stdin): dmesg, journalctl -k, audit.log...",
      )
      .option('--monitor <url...>', "a sysgate monitor's /metrics URL")
      .option('--metric-prefix <prefix>', "the monitor's metric prefix", 'seccomp')
      .option('--monitor-profile <label...>', "only the monitor's series with these profile labels")
      .option(
        '--monitor-container <name...>',
        "only the monitor's series of these containers (the canary set)",
      )
      .option('--json', 'print the result as JSON');

  evidence(
    rollout
      .command('status')
      .description("what happened since the phase began, explained, and the gate's verdict"),
  )
    .addHelpText(
      'after',
      '\nExit codes: 0 the gate passes, 1 not yet or failed, 2 bad input, 3 the monitor cannot be read.',
    )
    .action(async (opts: EvidenceOptions) => {
      const dir = new StateDir(opts.state);
      const { state, original } = dir.read();
      const ev = await gatherEvidence(opts, state, original);
      const report = ev.decided(state.accepted);
      const gate = evaluateGate(state, report, Date.now());
      if (opts.json === true) outJson({ state, report, gate });
      else {
        out(`phase ${state.phase}: ${PHASE_TEXT[state.phase]}; since ${state.phaseStartedAt}`);
        out(`profile: ${state.profile.source} (sha256 ${state.profile.sha256})`);
        if (report.groups.length > 0) printTable(report, true);
        printGate(gate);
        for (const n of ev.notes) err(`note: ${n}`);
      }
      if (!gate.pass) requestExit(EXIT.findings);
    });

  evidence(
    rollout
      .command('promote')
      .description('move to the next phase when the gate passes (A -> B -> C)'),
  )
    .option(
      '--accept <name...>',
      'allow these logged calls from the next phase on (their risk is shown)',
    )
    .option('--accept-critical <name...>', 'allow these critical calls (needs --reason)')
    .option('--reason <text>', 'why the critical calls are accepted (written into the profile)')
    .addHelpText(
      'after',
      `
Refused (exit 1, reasons printed) while the window has not elapsed, when nothing was observed, when a
critical call was refused or killed, or when a call outside the profile was logged and not accepted.
Every attempt is written to the decision log.`,
    )
    .action(async (opts: PromoteOptions) => {
      const dir = new StateDir(opts.state);
      const { state, original } = dir.read();
      if (state.phase === 'C')
        throw new UsageError('the rollout is in phase C (everywhere): nothing to promote to');
      const ev = await gatherEvidence(opts, state, original);
      const r = promote(
        state,
        original,
        {
          ...(opts.accept !== undefined ? { accept: opts.accept } : {}),
          ...(opts.acceptCritical !== undefined ? { acceptCritical: opts.acceptCritical } : {}),
          ...(opts.reason !== undefined ? { reason: opts.reason } : {}),
        },
        ev.decided,
        Date.now(),
      );
      if (!r.ok) {
        dir.append(r.event);
        if (opts.json === true) outJson({ promoted: false, gate: r.gate });
        else {
          out(`promotion refused: phase ${state.phase} stays`);
          printGate(r.gate);
        }
        requestExit(EXIT.findings);
        return;
      }
      dir.commit(r.files, r.state, r.event);
      if (opts.json === true) outJson({ promoted: true, state: r.state, gate: r.gate });
      else {
        out(`promoted: phase ${state.phase} -> ${r.state.phase}`);
        for (const l of howToApply(opts.state, r.state.phase, r.state.files[r.state.phase] ?? ''))
          out(l);
      }
      for (const n of r.notes) err(`note: ${n}`);
      for (const n of ev.notes) err(`note: ${n}`);
    });

  rollout
    .command('manifests')
    .description(
      'security-profiles-operator SeccompProfile objects for every phase reached, for a fleet',
    )
    .requiredOption('--state <dir>', 'state directory of the rollout')
    .option(
      '--name <name>',
      'object name prefix (objects are NAME-phase-a, NAME-phase-b...)',
      'sysgate',
    )
    .option('--api-version <v>', 'v1beta1 or v1', 'v1beta1')
    .option('-o, --output <file>', 'write to FILE (atomically) instead of stdout')
    .action((opts: ManifestOptions) => {
      if (opts.apiVersion !== 'v1beta1' && opts.apiVersion !== 'v1')
        throw new UsageError(`--api-version must be v1beta1 or v1 (got '${opts.apiVersion}')`);
      const dir = new StateDir(opts.state);
      const { state } = dir.read();
      const phases: { phase: Phase; profile: Profile }[] = [];
      for (const [phase, file] of Object.entries(state.files) as [Phase, string][]) {
        const p = dir.path(file);
        phases.push({
          phase,
          profile: loadForRunc(p, readFileSync(p, 'utf8'), { libseccomp: state.host.libseccomp })
            .profile,
        });
      }
      writeOutput(
        opts.output ?? '-',
        spoManifests(phases, { name: opts.name, apiVersion: opts.apiVersion, state }),
      );
    });
}
