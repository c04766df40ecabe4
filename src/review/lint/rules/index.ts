/**
 * The rule registry: every lint rule, in report order. Add one import and one entry per rule; the
 * meta-test (registry.test.ts) checks each has docs/rules/ID.md and a case table its own rule passes.
 */
import type { LintRule } from '../types.js';
import { argIndexArity } from './arg-index-arity.js';
import { argValueWidth } from './arg-value-width.js';
import { clone3Allowed } from './clone3-allowed.js';
import { clone3Errno } from './clone3-errno.js';
import { criticalAllowed } from './critical-allowed.js';
import { defaultAllow } from './default-allow.js';
import { denyListNewSyscalls } from './deny-list-new-syscalls.js';
import { dialectLoss } from './dialect-loss.js';
import { duplicateSyscall } from './duplicate-syscall.js';
import { entrypointBlocked } from './entrypoint-blocked.js';
import { epermDefault } from './eperm-default.js';
import { errnoRetIgnored } from './errno-ret-ignored.js';
import { errnoZero } from './errno-zero.js';
import { filterNeverMatches } from './filter-never-matches.js';
import { highRiskAllowed } from './high-risk-allowed.js';
import { hostAbiBadArch } from './host-abi-bad-arch.js';
import { ineffectiveCondition } from './ineffective-condition.js';
import { ioUringAllowed } from './io-uring-allowed.js';
import { killThread } from './kill-thread.js';
import { logDefault } from './log-default.js';
import { mediumRiskAllowed } from './medium-risk-allowed.js';
import { modernSiblings } from './modern-siblings.js';
import { namespaceCreation } from './namespace-creation.js';
import { notOnArch } from './not-on-arch.js';
import { personalityUnfiltered } from './personality-unfiltered.js';
import { ptraceMinKernel } from './ptrace-min-kernel.js';
import { runcDropped } from './runc-dropped.js';
import { runtimePostLoad } from './runtime-post-load.js';
import { sameIndexArgs } from './same-index-args.js';
import { schema } from './schema.js';
import { shadowed } from './shadowed.js';
import { silentlyIgnored } from './silently-ignored.js';
import { socketFamily } from './socket-family.js';
import { socketcallBypass } from './socketcall-bypass.js';
import { traceNotify } from './trace-notify.js';
import { unconfinedEquivalent } from './unconfined-equivalent.js';

/** Every rule, sorted by id (SARIF's ruleIndex is the position here). */
export const LINT_RULES: readonly LintRule[] = [
  argIndexArity,
  argValueWidth,
  clone3Allowed,
  clone3Errno,
  criticalAllowed,
  defaultAllow,
  denyListNewSyscalls,
  dialectLoss,
  duplicateSyscall,
  entrypointBlocked,
  epermDefault,
  errnoRetIgnored,
  errnoZero,
  filterNeverMatches,
  highRiskAllowed,
  hostAbiBadArch,
  ineffectiveCondition,
  ioUringAllowed,
  killThread,
  logDefault,
  mediumRiskAllowed,
  modernSiblings,
  namespaceCreation,
  notOnArch,
  personalityUnfiltered,
  ptraceMinKernel,
  runcDropped,
  runtimePostLoad,
  sameIndexArgs,
  schema,
  shadowed,
  silentlyIgnored,
  socketFamily,
  socketcallBypass,
  traceNotify,
  unconfinedEquivalent,
];
