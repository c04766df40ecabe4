import { describe, expect, test } from 'vitest';
import { namedArg, scanArgs, stripComments } from './tokenize.js';

describe('scanArgs', () => {
  // Real argument lists from the corpus that defeat naive splitting on ", " or ") = ".
  const cases: { text: string; args: string[] }[] = [
    { text: ') = 0', args: [] },
    { text: 'NULL) = 0x1cc47000', args: ['NULL'] },
    {
      text: 'AT_FDCWD, "/tmp/st-h4e3ylg6/data, \\"quoted\\".txt", O_RDONLY) = 3',
      args: ['AT_FDCWD', '"/tmp/st-h4e3ylg6/data, \\"quoted\\".txt"', 'O_RDONLY'],
    },
    {
      text: '"/usr/bin/git", ["git", "commit", "-m", "msg, with \\"quotes\\""], 0x7ffc /* 35 vars */) = 0',
      args: [
        '"/usr/bin/git"',
        '["git", "commit", "-m", "msg, with \\"quotes\\""]',
        '0x7ffc /* 35 vars */',
      ],
    },
    {
      text: '3</tmp/we ird/a\\76b\\"c(d)>, "x", 1) = 1',
      args: ['3</tmp/we ird/a\\76b\\"c(d)>', '"x"', '1'],
    },
    { text: '3</dev/null<char 1:3>>, 0) = 0', args: ['3</dev/null<char 1:3>>', '0'] },
    {
      text: '7<UNIX-STREAM:[92971->92967,"/tmp/x/sock"]>, 0) = 0',
      args: ['7<UNIX-STREAM:[92971->92967,"/tmp/x/sock"]>', '0'],
    },
    {
      text: '{st_mode=S_IFREG|0644, st_size=3980, ...}, 1<<CAP_CHOWN) = 0',
      args: ['{st_mode=S_IFREG|0644, st_size=3980, ...}', '1<<CAP_CHOWN'],
    },
    {
      text: 'child_stack=NULL, flags=CLONE_NEWUTS|SIGCHLD) = 5',
      args: ['child_stack=NULL', 'flags=CLONE_NEWUTS|SIGCHLD'],
    },
    {
      text: '5960, [{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL) = 5960',
      args: ['5960', '[{WIFEXITED(s) && WEXITSTATUS(s) == 0}]', '0', 'NULL'],
    },
    { text: '"a)b(" /* odd ) */, 2', args: ['"a)b(" /* odd ) */', '2'] },
  ];
  test.each(cases)('$text', ({ text, args }) => {
    const r = scanArgs(text, 0);
    expect(r.args).toEqual(args);
    if (text.includes(') = ')) expect(text.slice(r.end)).toMatch(/^ = /);
  });

  test('an unterminated list reports end -1', () => {
    expect(scanArgs('AT_FDCWD, "/etc/ld.so', 0).end).toBe(-1);
  });
});

describe('stripComments and namedArg', () => {
  test.each([
    ['0x10 /* AF_NETLINK */', '0x10'],
    ['0x24000000 /* CLONE_NEWUTS|CLONE_NEWPID */|17 /* SIGCHLD */', '0x24000000 |17'],
    ['"/* not a comment */"', '"/* not a comment */"'],
  ])('%s', (input, expected) => {
    expect(stripComments(input)).toBe(expected);
  });
  test('named', () => {
    expect(namedArg('flags=CLONE_VM|SIGCHLD')).toEqual({
      name: 'flags',
      value: 'CLONE_VM|SIGCHLD',
    });
    expect(namedArg('"a=b"')).toBeUndefined();
    expect(namedArg('0x1')).toBeUndefined();
  });
});
