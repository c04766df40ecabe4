/**
 * JUnit XML for suite results (the subset CI systems read: testsuites > testsuite > testcase with
 * failure), one `testsuite` per engine run, case kinds as class names.
 */
import type { SuiteResult } from './suite-run.js';

/** Escape text for XML attributes and content (and drop characters XML 1.0 forbids). */
export function xmlEscape(text: string): string {
  return text
    .replace(/[^\t\n\r\u0020-\ud7ff\ue000-\ufffd]/gu, '')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;');
}

/** Seconds with millisecond precision, as JUnit's `time` attribute. */
function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

/** Render one or more suite runs as a JUnit XML document. */
export function toJunit(results: readonly SuiteResult[]): string {
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const tests = results.reduce((n, r) => n + r.cases.length, 0);
  const failures = results.reduce((n, r) => n + r.failed, 0);
  const time = results.reduce((n, r) => n + r.durationMs, 0);
  lines.push(
    `<testsuites name="sysgate" tests="${tests}" failures="${failures}" errors="0" time="${seconds(time)}">`,
  );
  for (const r of results) {
    lines.push(
      `  <testsuite name="${xmlEscape(`${r.suite} [${r.engine}]`)}" tests="${r.cases.length}" failures="${r.failed}" errors="0" skipped="0" time="${seconds(r.durationMs)}">`,
      `    <properties>`,
      `      <property name="engine" value="${xmlEscape(r.engine)}"/>`,
      `      <property name="profile" value="${xmlEscape(r.profile)}"/>`,
      `    </properties>`,
    );
    for (const c of r.cases) {
      const open = `    <testcase classname="${xmlEscape(`${r.engine}.${c.kind}`)}" name="${xmlEscape(c.name)}" time="${seconds(c.durationMs)}"`;
      if (c.passed) {
        lines.push(`${open}/>`);
        continue;
      }
      const message = `expected ${c.expected}; got ${c.actual}`;
      lines.push(
        `${open}>`,
        `      <failure message="${xmlEscape(message)}" type="${c.kind}">${xmlEscape(
          [
            message,
            c.model === undefined ? '' : `model: ${c.model}`,
            c.detail ?? '',
            `at ${c.pointer}`,
          ]
            .filter((s) => s !== '')
            .join('\n'),
        )}</failure>`,
        `    </testcase>`,
      );
    }
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>', '');
  return lines.join('\n');
}
