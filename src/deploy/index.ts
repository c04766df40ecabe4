/** Public API of the deploy layer: what each platform needs to run a workload under a profile. */
export {
  deploy,
  KUBELET_SECCOMP_ROOT,
  PLATFORMS,
  SWARM_SECCOMP_API,
  type DeployFile,
  type DeployOptions,
  type Deployment,
  type Platform,
} from './deploy.js';
export {
  verifyContainer,
  VERIFY_CHECKS,
  type VerifyCheck,
  type VerifyCheckId,
  type VerifyOptions,
  type VerifyResult,
} from './verify.js';
export {
  ciJob,
  ciSteps,
  CI_REPORTS,
  CI_SYSTEMS,
  type CiOptions,
  type CiStep,
  type CiSystem,
} from './ci.js';
