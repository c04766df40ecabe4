import { describe, expect, test } from 'vitest';
import { Registry, Counter } from 'prom-client';
import { groupsFromMetrics, parseMetrics } from './rollout-metrics.js';

describe('parseMetrics', () => {
  test('what prom-client writes reads back exactly (labels with quotes, backslashes, newlines)', async () => {
    const reg = new Registry();
    const c = new Counter({
      name: 'seccomp_violations_total',
      help: 'h',
      labelNames: ['container', 'syscall', 'arch', 'action'],
      registers: [reg],
    });
    const odd = 'we"ird\\name\nx';
    c.inc({ container: odd, syscall: 'mount', arch: 'x86_64', action: 'ERRNO' }, 1000);
    c.inc({ container: 'b', syscall: 'getpid', arch: 'x86_64', action: 'LOG' }, 7);
    const s = parseMetrics(await reg.metrics());
    expect(s.map((x) => [x.labels.container, x.labels.syscall, x.value])).toEqual([
      [odd, 'mount', 1000],
      ['b', 'getpid', 7],
    ]);
  });

  test.each([
    ['a 1', { name: 'a', value: 1 }],
    ['a{} 2 1700000000000', { name: 'a', value: 2, timestampMs: 1700000000000 }],
    ['a{x="1",} +Inf', { name: 'a', value: Infinity }],
    ['  a:b_c{ x = "y" } 1e3', { name: 'a:b_c', value: 1000 }],
  ])('%j', (line, want) => {
    expect(parseMetrics(line)[0]).toMatchObject(want);
  });

  test.each([
    ['a{x="1"', /unterminated|expected/],
    ['a{x=1} 1', /expected '"'/],
    ['a{x="\\q"} 1', /bad escape/],
    ['a{x="1",x="2"} 1', /given twice/],
    ['a one', /bad value/],
    ['a 1 2 3', /expected a value/],
    ['{x="1"} 1', /metric name/],
  ])('%j is refused with its line', (line, re) => {
    expect(() => parseMetrics(`# c\n${line}`, 'm')).toThrow(re);
    expect(() => parseMetrics(`# c\n${line}`, 'm')).toThrow(/^m:2: /);
  });
});

describe('groupsFromMetrics', () => {
  const text = [
    'seccomp_violations_total{container="web",profile="p1",syscall="mount",arch="x86_64",action="ERRNO"} 4',
    'seccomp_violations_total{container="web",profile="p2",syscall="getpid",arch="x86_64",action="LOG"} 2',
    'seccomp_violations_total{container="db",profile="p1",syscall="#999",arch="x86_64",action="LOG"} 0',
    'seccomp_monitor_records_lost_total{source="kmsg"} 5',
    'other_violations_total{syscall="read"} 9',
  ].join('\n');
  test('series become groups named and numbered from their arch; lost records summed', () => {
    const r = groupsFromMetrics(parseMetrics(text), 'u');
    expect(r.series).toBe(3);
    expect(r.lost).toBe(5);
    expect(r.groups.map((g) => [g.syscall, g.nr, g.action, g.count])).toEqual([
      ['mount', 165, 'ERRNO', 4],
      ['getpid', 39, 'LOG', 2],
    ]);
  });
  test('selection by profile label and prefix', () => {
    expect(groupsFromMetrics(parseMetrics(text), 'u', { profile: ['p2'] }).groups).toHaveLength(1);
    expect(
      groupsFromMetrics(parseMetrics(text), 'u', { prefix: 'other' }).groups.map((g) => g.syscall),
    ).toEqual(['read']);
  });
});
