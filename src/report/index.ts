/** Public API of the report layer: the model of a profile's HTML report and its rendering. */
export {
  reportModel,
  conditionText,
  type ReportInputs,
  type ReportModel,
  type ReportSyscall,
} from './model.js';
export { renderReport, tryBoxBundlePath } from './html.js';
