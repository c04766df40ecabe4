import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parseAuditLine } from './audit.js';
import { containerCgroup, containerOf, isLogLine, journalMessage } from './kernlog.js';

const KERNLOG = resolve(import.meta.dirname, '../../test/fixtures/kernlog');
const lines = (f: string): string[] =>
  readFileSync(resolve(KERNLOG, f), 'utf8')
    .split('\n')
    .filter((l) => l !== '');

describe('isLogLine', () => {
  test.each(['dmesg.txt', 'dmesg-T.txt', 'kmsg.txt'])(
    'nearly every line of %s has a log shape',
    (f) => {
      const ls = lines(f);
      // Only the kernel's own continuation lines (indented text, kmsg ` KEY=VALUE`) have none.
      const misses = ls.filter((l) => !isLogLine(l));
      expect(misses.every((l) => l.startsWith(' '))).toBe(true);
      expect(misses.length).toBeLessThan(ls.length / 4);
    },
  );

  test.each([
    ['Dec  4 18:44:47 host kernel: audit: type=1326 audit(1.2:3): x', true],
    ['2026-12-04T18:44:47+0000 host kernel: [  1.0] usb 1-1: new device', true],
    ['-- Boot 0123456789abcdef --', true],
    ['{"__CURSOR":"s=1","MESSAGE":"x"}', true],
    ['type=SECCOMP msg=audit(11/23/26 17:12:25.321:1189) : auid=unset', true],
    ['node=web1 type=SECCOMP msg=audit(1795453945.321:1190): auid=4294967295', true],
    ['----', true],
    ['openat(AT_FDCWD, "/etc/passwd", O_RDONLY) = 3', false],
    ['1234  19:11:35.123 read(3, "", 4096) = 0', false],
    ['+++ exited with 0 +++', false],
  ])('%s -> %s', (l, want) => {
    expect(isLogLine(l)).toBe(want);
  });
});

describe('journalMessage', () => {
  test('a kernel-transport entry: message, time and cgroup', () => {
    const m = journalMessage(
      JSON.stringify({
        __REALTIME_TIMESTAMP: '1796409887335123',
        _TRANSPORT: 'kernel',
        MESSAGE: 'audit: type=1326 audit(1796409887.335:119243): pid=1 comm="a b" code=0x0',
        _SYSTEMD_CGROUP: '/system.slice/docker-' + 'ab'.repeat(32) + '.scope',
      }),
    );
    expect(m).toEqual({
      text: 'audit: type=1326 audit(1796409887.335:119243): pid=1 comm="a b" code=0x0',
      timeMs: 1796409887335,
      cgroup: '/system.slice/docker-' + 'ab'.repeat(32) + '.scope',
    });
  });

  test('an audit-transport entry becomes audit[PID]: SECCOMP ..., which the record parser reads', () => {
    const line = JSON.stringify({
      _TRANSPORT: 'audit',
      _PID: '4242',
      _AUDIT_TYPE: '1326',
      _AUDIT_TYPE_NAME: 'SECCOMP',
      MESSAGE:
        'SECCOMP auid=4294967295 uid=0 gid=0 ses=4294967295 pid=4242 comm="sh" exe="/bin/sh" sig=0 arch=c000003e syscall=165 compat=0 ip=0x7f code=0x50000',
      CONTAINER_NAME: 'web',
    });
    expect(parseAuditLine(line, 7)).toMatchObject({
      line: 7,
      pid: 4242,
      syscall: 165,
      code: 0x50000,
      comm: 'sh',
      container: 'web',
    });
  });

  test('a MESSAGE journald stored as bytes (not UTF-8) is decoded', () => {
    const text =
      'audit: type=1326 audit(1.5:9): pid=3 comm=\u00ff sig=0 arch=c000003e syscall=0 code=0x7ffc0000';
    const m = journalMessage(JSON.stringify({ MESSAGE: [...Buffer.from(text, 'latin1')] }));
    expect(m?.text).toBe(text);
  });

  test('a cut JSON line holding a record is a warning, any other cut line is no record', () => {
    expect(parseAuditLine('{"MESSAGE":"audit: type=1326 audit(1.2:3): pid=1 sysc', 3)).toEqual({
      line: 3,
      message: 'cut journal entry',
    });
    expect(parseAuditLine('{"MESSAGE":"usb 1-1', 4)).toBeUndefined();
  });
});

describe('containerOf', () => {
  const id = '0123456789abcdef'.repeat(4);
  test.each([
    [`/system.slice/docker-${id}.scope`, '0123456789ab'],
    [`0::/docker/${id}`, '0123456789ab'],
    [`/kubepods.slice/kubepods-besteffort.slice/cri-containerd-${id}.scope`, '0123456789ab'],
    [`/machine.slice/libpod-${id}.scope`, '0123456789ab'],
    ['/user.slice/user-0.slice/session-1.scope', undefined],
    [`exe="/var/lib/docker/overlay2/${id}/merged/bin/sh"`, undefined],
  ])('%s -> %s', (text, want) => {
    expect(containerOf(text)).toBe(want);
  });
});

describe('containerCgroup (/proc/PID/cgroup of each runtime)', () => {
  const id = '0123456789abcdef'.repeat(4);
  const pod = '5f0c3a43-9f7e-4a44-8b4e-2f1c0e6a7b10';
  test.each([
    ['docker, cgroupfs v1', `12:pids:/docker/${id}\n0::/docker/${id}\n`, 'docker', undefined],
    ['docker, systemd v2', `0::/system.slice/docker-${id}.scope\n`, 'docker', undefined],
    ['containerd (ctr)', `0::/default/${id}\n`, 'containerd', undefined],
    ['containerd, nerdctl', `0::/containerd/default/${id}\n`, 'containerd', undefined],
    [
      'CRI containerd, systemd',
      `0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${pod.replaceAll('-', '_')}.slice/cri-containerd-${id}.scope\n`,
      'containerd',
      pod,
    ],
    ['CRI, cgroupfs', `0::/kubepods/burstable/pod${pod}/${id}\n`, 'containerd', pod],
    [
      'CRI-O',
      `0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${pod.replaceAll('-', '_')}.slice/crio-${id}.scope\n`,
      'cri-o',
      pod,
    ],
    ['podman, systemd', `0::/machine.slice/libpod-${id}.scope/container\n`, 'podman', undefined],
    ['podman, cgroupfs', `0::/libpod_parent/libpod-${id}\n`, 'podman', undefined],
  ])('%s', (_, text, runtime, podUid) => {
    expect(containerCgroup(text)).toEqual({ runtime, id, ...(podUid ? { podUid } : {}) });
  });

  test.each([
    ['a host process', '0::/user.slice/user-0.slice/session-1.scope\n'],
    ['the root cgroup', '0::/\n'],
    ['an id too short', `0::/docker/${id.slice(1)}\n`],
  ])('%s: none', (_, text) => {
    expect(containerCgroup(text)).toBeUndefined();
  });
});
