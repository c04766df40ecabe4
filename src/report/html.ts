/**
 * The report as one self-contained HTML file: inline CSS, the model as JSON, and the bundled try box
 * (dist/report/try-box.js, built by scripts/bundle-report.mjs). No network, no CDN: it opens from disk.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RuntimeError } from '../document/errors.js';
import type { ReportModel } from './model.js';

/** Where the bundle is: beside this module in dist/, or dist/report/ of the checkout when run from src/. */
export function tryBoxBundlePath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const beside = join(here, 'try-box.js');
  if (existsSync(beside)) return beside;
  return join(here, '../../dist/report/try-box.js');
}

const esc = (s: string): string =>
  s
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');

/** JSON safe inside a <script> element. */
const scriptJson = (v: unknown): string => JSON.stringify(v).replaceAll('<', '\\u003c');

const pct = (x: number | null): string => (x === null ? '-' : `${(x * 100).toFixed(1)}%`);

const CSS = `
:root{--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--ok:#1a7f37;--bad:#cf222e;--warn:#9a6700;--bg:#fff;--accent:#0969da}
*{box-sizing:border-box}body{font:15px/1.5 system-ui,sans-serif;color:var(--fg);background:var(--bg);margin:0}
main{max-width:1100px;margin:0 auto;padding:1rem 1.5rem 3rem}h1{font-size:1.5rem;margin:.5rem 0}
h2{font-size:1.15rem;border-bottom:1px solid var(--line);padding-bottom:.2rem;margin-top:2rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{text-align:left;padding:.25rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
th{font-weight:600}code,pre{font:13px/1.4 ui-monospace,monospace}pre{background:#f6f8fa;padding:.5rem;overflow:auto}
.risk-critical{color:var(--bad);font-weight:600}.risk-high{color:var(--bad)}.risk-medium{color:var(--warn)}
.sev-error{color:var(--bad);font-weight:600}.sev-warning{color:var(--warn)}.muted{color:var(--muted)}
.names{display:flex;flex-wrap:wrap;gap:.25rem .75rem;list-style:none;padding:0}.names li{white-space:nowrap}
.cond{font-style:italic}.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:.5rem;background:#fff;padding:.25rem}
form{display:flex;gap:.5rem;flex-wrap:wrap;align-items:end}label{display:flex;flex-direction:column;font-size:.85rem}
input,select,button{font:inherit;padding:.3rem .5rem}input[name=call]{min-width:24rem}
:focus-visible{outline:3px solid var(--accent);outline-offset:1px}.verdict{font-weight:600}.error{color:var(--bad)}
details summary{cursor:pointer}svg text{font-size:11px;fill:var(--fg)}rect{fill:var(--muted)}.bar-errno,.bar-kill_process,.bar-kill_thread,.bar-trap{fill:var(--bad)}.bar-log{fill:var(--warn)}
@media print{form,.skip{display:none}details{display:block}details>*{display:block}main{max-width:none}}
`;

/** The violations section: a table of groups and, when records have times, each group's span on one time axis (SVG). */
function violationsSection(v: NonNullable<ReportModel['violations']>): string {
  const timed = v.groups.filter((g) => g.firstMs !== undefined && g.lastMs !== undefined);
  const t0 = Math.min(...timed.map((g) => g.firstMs ?? 0));
  const t1 = Math.max(...timed.map((g) => g.lastMs ?? 0));
  const W = 600;
  const x = (t: number): number => (t1 === t0 ? 0 : ((t - t0) / (t1 - t0)) * (W - 8));
  const bars = timed
    .map((g, k) => {
      const a = x(g.firstMs ?? t0);
      const b = Math.max(a + 4, x(g.lastMs ?? t0) + 4);
      return `<rect x="${a.toFixed(1)}" y="${k * 14 + 2}" width="${(b - a).toFixed(1)}" height="10" class="bar-${esc(g.action.toLowerCase())}"><title>${esc(`${g.who} ${g.syscall} ${g.action} x${g.count}`)}</title></rect><text x="${W + 6}" y="${k * 14 + 11}">${esc(g.syscall)} ${esc(g.action)}</text>`;
    })
    .join('');
  const chart =
    timed.length === 0
      ? ''
      : `<figure><svg role="img" aria-label="first to last record of each group" width="${W + 220}" height="${timed.length * 14 + 20}" viewBox="0 0 ${W + 220} ${timed.length * 14 + 20}">${bars}<text x="0" y="${timed.length * 14 + 16}">${esc(new Date(t0).toISOString())}</text><text x="${W - 180}" y="${timed.length * 14 + 16}">${esc(new Date(t1).toISOString())}</text></svg><figcaption class="muted">From the first to the last record of each group.</figcaption></figure>`;
  const rows = v.groups
    .map(
      (g) =>
        `<tr><td>${esc(g.who)}</td><td><code>${esc(g.syscall)}</code> <span class="muted">${esc(g.abi)}</span></td><td>${esc(g.action)}</td><td>${g.count}</td><td class="risk-${esc(g.risk)}">${esc(g.risk)}</td><td>${esc(g.profile ?? '')}</td><td>${esc(g.change ?? '')}</td></tr>`,
    )
    .join('');
  return `<section aria-labelledby="h-violations"><h2 id="h-violations">Violations in the kernel logs</h2>
<p>${v.records} seccomp records${v.suppressed > 0 ? `; the kernel's rate limit dropped ${v.suppressed} more` : ''}.</p>${chart}
<table><thead><tr><th scope="col">container / process</th><th scope="col">syscall</th><th scope="col">outcome</th><th scope="col">records</th><th scope="col">risk</th><th scope="col">this profile</th><th scope="col">smallest change</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

/** Render the model. Throws `RuntimeError` when the try box bundle was not built. */
export function renderReport(m: ReportModel): string {
  const bundle = tryBoxBundlePath();
  if (!existsSync(bundle))
    throw new RuntimeError(
      'build',
      `the report's try box is not built (${bundle}): run npm run build`,
    );
  const js = readFileSync(bundle, 'utf8').replaceAll('</script', '<\\/script');
  const score = m.score
    .map(
      (s) =>
        `<tr><td>${esc(s.abi)}</td><td>${s.allowed}</td><td>${s.conditional}</td><td>${s.refused}</td><td>${s.against.reachable}</td><td><strong>${pct(s.reduction)}</strong></td></tr>`,
    )
    .join('');
  const categories = m.categories
    .map(
      (c) =>
        `<details open><summary><strong>${esc(c.label)}</strong> <span class="muted">(${c.syscalls.length})</span></summary><ul class="names">${c.syscalls
          .map(
            (s) =>
              `<li><code class="risk-${s.risk}">${esc(s.name)}</code>${s.exposure === 'conditional' ? ' <span class="cond">(some arguments)</span>' : ''}${s.usedBy.length > 0 ? ` <span class="muted">${esc(s.usedBy.join(', '))} &times;${s.count}</span>` : ''}</li>`,
          )
          .join('')}</ul></details>`,
    )
    .join('');
  const args =
    m.argumentRules.length === 0
      ? '<p class="muted">No argument rules.</p>'
      : `<ul>${m.argumentRules.map((r) => `<li><code>${esc(r.text)}</code> <span class="muted">${esc(r.pointer)}${r.line === undefined ? '' : `, line ${r.line}`}</span></li>`).join('')}</ul>`;
  const refusals = `<table><thead><tr><th scope="col">syscall</th><th scope="col">risk</th><th scope="col">why it stays refused</th></tr></thead><tbody>${m.refusals
    .map(
      (r) =>
        `<tr><td><code>${esc(r.name)}</code></td><td class="risk-${r.risk}">${r.risk}</td><td>${esc(r.reason)}</td></tr>`,
    )
    .join('')}</tbody></table>`;
  const lint =
    m.lint.length === 0
      ? '<p>No findings.</p>'
      : `<table><thead><tr><th scope="col">severity</th><th scope="col">rule</th><th scope="col">where</th><th scope="col">message</th></tr></thead><tbody>${m.lint
          .map(
            (f) =>
              `<tr><td class="sev-${f.severity}">${f.severity}</td><td><code>${esc(f.rule)}</code></td><td>${f.line}:${f.column} <code>${esc(f.pointer)}</code></td><td>${esc(f.message)}</td></tr>`,
          )
          .join('')}</tbody></table>`;
  const diff =
    m.diff === undefined
      ? ''
      : `<section aria-labelledby="h-diff"><h2 id="h-diff">Against ${esc(m.diff.against)}</h2>${
          m.diff.differences.length === 0
            ? '<p>Same decisions on every ABI.</p>'
            : `<table><thead><tr><th scope="col">ABI</th><th scope="col">syscall</th><th scope="col">baseline</th><th scope="col">this profile</th><th scope="col">change</th><th scope="col">where</th></tr></thead><tbody>${m.diff.differences
                .map(
                  (d) =>
                    `<tr><td>${esc(d.abi)}</td><td><code>${esc(d.syscall)}</code></td><td>${esc(d.old)}</td><td>${esc(d.new)}</td><td>${esc(d.change)}</td><td>${esc(d.where)}</td></tr>`,
                )
                .join('')}</tbody></table>`
        }</section>`;
  const violations = m.violations === undefined ? '' : violationsSection(m.violations);
  const abiOptions = m.host.abis
    .map((a) => `<option${a === m.host.arch ? ' selected' : ''}>${esc(a)}</option>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>sysgate report: ${esc(m.title)}</title><style>${CSS}</style></head>
<body><a class="skip" href="#try">Skip to the try box</a><main>
<h1>Seccomp profile <code>${esc(m.title)}</code></h1>
<p class="muted">Default action ${esc(m.defaultAction)}; decided for ${esc(m.host.arch)} (${esc(m.host.abis.join(', '))}), libseccomp ${esc(m.host.libseccomp)}; generated ${esc(m.generated)} by sysgate.</p>
<section aria-labelledby="h-score"><h2 id="h-score">Attack surface</h2>
<table><thead><tr><th scope="col">ABI</th><th scope="col">allowed</th><th scope="col">some arguments</th><th scope="col">refused</th><th scope="col">reachable under ${esc(m.score[0]?.against.label ?? '')}</th><th scope="col">reduction</th></tr></thead><tbody>${score}</tbody></table></section>
<section aria-labelledby="h-allowed"><h2 id="h-allowed">Allowed syscalls by category</h2>${categories}</section>
<section aria-labelledby="h-args"><h2 id="h-args">Argument rules</h2>${args}</section>
<section aria-labelledby="h-refused"><h2 id="h-refused">Dangerous calls it refuses</h2>${refusals}</section>
<section aria-labelledby="h-lint"><h2 id="h-lint">Lint findings</h2>${lint}</section>
${diff}
${violations}
<section id="try" aria-labelledby="h-try"><h2 id="h-try">Try a syscall</h2>
<p class="muted">Answered in this page by sysgate's compiler and emulator, as <code>sysgate explain</code> answers.</p>
<form id="try-form"><label>ABI<select name="abi">${abiOptions}</select></label>
<label>syscall and arguments<input name="call" autocomplete="off" placeholder="socket AF_INET SOCK_STREAM 0"></label>
<button type="submit">Explain</button></form>
<div id="try-output" tabindex="-1" aria-live="polite"></div></section>
</main>
<script type="application/json" id="sysgate-data">${scriptJson(m)}</script>
<script>${js}</script>
</body></html>
`;
}
