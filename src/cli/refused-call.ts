/** One line about a refused call, as `doctor` and `drift` print it. */
import type { RefusedCall } from '../diagnose/doctor.js';
import { paint } from './io.js';

/**
 * `  NAME [ABI] (pinned labels: refused values): ACTION, N call(s), risk LEVEL: why`; the ABI is
 * named when `abi` is set (drift judges every ABI; doctor's calls are the host's).
 */
export function refusedCallLine(r: RefusedCall, abi = false): string {
  const values =
    r.pinned.length === 0
      ? ''
      : ` (${r.pinned.map((p) => p.label).join(', ')}: ${r.refusedValues.map((v) => v.join('/')).join(', ')})`;
  const who = r.origin === 'workload' ? `${r.count} call(s)` : `${r.origin}: ${r.reason ?? ''}`;
  return `  ${paint('bold', r.name)}${abi ? ` [${r.abi}]` : ''}${values}: ${r.action}, ${who}, risk ${r.risk}: ${r.riskReason}`;
}
