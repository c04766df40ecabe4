/** Where a decision came from, in words (shared by `explain` and `violations`). */
import type { DecisionOrigin } from '../compile/plan.js';

/** A one-line account of where a decision came from. */
export function describeOrigin(
  origin: DecisionOrigin,
  locate?: (p: string) => { line: number; column: number } | undefined,
  file?: string,
): string {
  switch (origin.kind) {
    case 'rule': {
      const pos = locate?.(origin.pointer);
      return `rule ${origin.pointer}${pos ? ` (${file ?? ''}:${pos.line}:${pos.column})` : ''} for ${origin.name}`;
    }
    case 'default':
      return "the profile's defaultAction";
    case 'enosys-stub':
      return `runc's ENOSYS stub: the number is above the profile's highest syscall (${origin.max})`;
    case 'bad-arch':
      return 'the bad-architecture action: the filter does not cover this ABI';
    default: {
      const never: never = origin;
      return never;
    }
  }
}
