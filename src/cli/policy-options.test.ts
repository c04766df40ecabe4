import { describe, expect, test } from 'vitest';
import { UsageError } from '../document/errors.js';
import { defaultNeverAllow } from '../kb/index.js';
import { parseDenyList, parseSocketFamilies } from './policy-options.js';

const DEFAULT = [...defaultNeverAllow()];
const sorted = (names: readonly string[]): string[] => [...new Set(names)].sort();

describe('parseDenyList', () => {
  test.each<[string, readonly string[], readonly string[]]>([
    ['none empties the list', ['none'], []],
    ['default is the knowledge base list', ['default'], DEFAULT],
    ['bare names replace it', ['mkdir', 'rmdir'], ['mkdir', 'rmdir']],
    ['comma-separated', ['mkdir,rmdir'], ['mkdir', 'rmdir']],
    ['+NAME adds to the default', ['+io_uring_setup'], sorted([...DEFAULT, 'io_uring_setup'])],
    [
      '-NAME takes out of the default',
      ['-personality'],
      DEFAULT.filter((n) => n !== 'personality'),
    ],
    [
      '+ and - after a comma',
      ['+kcmp,-personality'],
      sorted([...DEFAULT, 'kcmp']).filter((n) => n !== 'personality'),
    ],
    [
      'default with a bare name keeps the default',
      ['default', 'kcmp'],
      sorted([...DEFAULT, 'kcmp']),
    ],
    ['bare names with +NAME: no default', ['mkdir', '+rmdir'], ['mkdir', 'rmdir']],
  ])('%s', (_what, values, want) => {
    expect(parseDenyList(values)).toEqual(want);
  });

  test.each<[readonly string[], RegExp]>([
    [['ptarce'], /'ptarce' is not a syscall name \(did you mean ptrace\?\)/],
    [['+nope_at_all'], /'\+nope_at_all' is not a syscall name/],
    [['none', 'ptrace'], /--deny none stands alone/],
    [['-mkdir'], /mkdir is not on the never-allow list/],
    [[''], /--deny needs a name/],
  ])('%j is a usage error', (values, msg) => {
    expect(() => parseDenyList(values)).toThrow(UsageError);
    expect(() => parseDenyList(values)).toThrow(msg);
  });
});

describe('parseSocketFamilies', () => {
  test.each<[readonly string[], readonly bigint[]]>([
    [['AF_UNIX'], [1n]],
    [['unix'], [1n]],
    [['PF_INET6'], [10n]],
    [['af_local'], [1n]],
    [
      ['AF_UNIX,AF_INET', 'inet6'],
      [1n, 2n, 10n],
    ],
    [
      ['1', '0x10'],
      [1n, 16n],
    ],
    [['AF_INET', '2'], [2n]],
    [['none'], []],
  ])('%j', (values, want) => {
    expect(parseSocketFamilies(values)).toEqual(want);
  });

  test.each<[readonly string[], RegExp]>([
    [['AF_UNX'], /unknown address family 'AF_UNX' \(did you mean AF_UNIX\?\)/],
    [['256'], /256 is not an address family/],
    [['none,unix'], /none stands alone/],
    [[','], /needs a family/],
  ])('%j is a usage error', (values, msg) => {
    expect(() => parseSocketFamilies(values)).toThrow(UsageError);
    expect(() => parseSocketFamilies(values)).toThrow(msg);
  });
});
