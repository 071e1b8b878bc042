// The hostile regression corpus of issue 9 (made by make-corpus.ts, listed in corpus/cases.json):
// every case runs in its own process (run-case.mjs) against the BUILT package, two at a time, and
// must give its expected outcome under the default limits, in under a second of its own time and
// under 512 MB of peak RSS. `npm test` builds dist/ before vitest runs; vitest alone needs
// `npm run build` first.
//
// Time: the child measures the case alone (after node has started and loaded the package). The
// bar is its CPU time (all threads, GC included) under 1000 ms, which the load of other processes
// on a shared machine does not inflate; its wall time must stay under WALL_MS (3000 ms unless
// HOSTILE_WALL_MS says otherwise), which catches a case that blocks instead of computing.

import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { buildCorpus, type Case, CORPUS_DIR, type ErrorSpec, type OutputSpec } from './make-corpus.js';

const ROOT = join(import.meta.dirname, '..', '..');
const RUNNER = join(import.meta.dirname, 'run-case.mjs');
const DIST_ENTRY = join(ROOT, 'dist', 'src', 'node.js');
const KILL_MS = 10_000;
const CPU_MS = 1000;
const WALL_MS = Number(process.env.HOSTILE_WALL_MS ?? 3000);
const RSS_KIB = 512 * 1024;
const PARALLEL = 2;

interface ErrorOut { name: string; code?: string; limit?: string; value?: number; max?: number; message: string }
interface Result {
  case: string;
  stage: string;
  outcome: { error: ErrorOut } | { ok: { outputs?: Record<string, OutputSpec & { size?: number }>; value?: unknown } };
  scan?: unknown;
  scanMs?: number;
  ms: number;
  cpuMs: number;
  maxRssKiB: number;
}

const { cases } = JSON.parse(readFileSync(join(CORPUS_DIR, 'cases.json'), 'utf8')) as { cases: Case[] };

/** Why the built package cannot be used, or undefined when it can. */
function distProblem(): string | undefined {
  if (!existsSync(DIST_ENTRY)) return `dist/ is missing (${DIST_ENTRY}): run \`npm run build\` first`;
  const built = statSync(DIST_ENTRY).mtimeMs;
  let newest = { path: '', mtime: 0 };
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) {
        const m = statSync(p).mtimeMs;
        if (m > newest.mtime) newest = { path: p, mtime: m };
      }
    }
  };
  for (const d of ['src', 'ops', 'kernels']) walk(join(ROOT, d));
  if (newest.mtime > built) return `dist/ is older than ${newest.path}: run \`npm run build\` first`;
  return undefined;
}
const problem = distProblem();

/** At most PARALLEL children at once. */
let running = 0;
const waiting: (() => void)[] = [];
async function slot<T>(f: () => Promise<T>): Promise<T> {
  if (running >= PARALLEL) await new Promise<void>((r) => waiting.push(r));
  running++;
  try {
    return await f();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

function runCase(name: string): Promise<Result> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [RUNNER, name], { cwd: ROOT, timeout: KILL_MS, killSignal: 'SIGKILL', maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err && (err as { killed?: boolean }).killed) {
        reject(new Error(`case ${name}: killed after ${KILL_MS} ms (a hang or a runaway)\n${stderr.slice(-2000)}`));
        return;
      }
      const last = stdout.trim().split('\n').at(-1) ?? '';
      let parsed: (Result & { setupError?: string }) | undefined;
      try {
        parsed = JSON.parse(last) as Result & { setupError?: string };
      } catch {
        // reported below
      }
      if (!parsed || parsed.setupError || err) {
        reject(new Error(`case ${name}: the runner failed (${err?.message ?? 'no JSON'}) ${parsed?.setupError ?? ''}\n${stdout.slice(-2000)}\n${stderr.slice(-2000)}`));
        return;
      }
      resolve(parsed);
    });
  });
}

const summary: string[] = [];
const gaps: string[] = [];

function outcomeText(r: Result): string {
  if ('error' in r.outcome) {
    const e = r.outcome.error;
    return `${r.stage}: ${e.name}${e.limit ? `(${e.limit})` : ''}${r.scan !== undefined ? `, scan ${String(r.scan)}` : ''}`;
  }
  return `${r.stage}: ok${r.scan !== undefined ? `, scan ${String(r.scan)}` : ''}`;
}

function checkError(x: typeof expect, c: Case, r: Result, want: ErrorSpec): void {
  const what = `${c.name}: ${JSON.stringify(r.outcome)}`;
  x('error' in r.outcome, `${what}\nexpected ${want.name}`).toBe(true);
  const e = (r.outcome as { error: ErrorOut }).error;
  x(e.name, what).toBe(want.name);
  x(e.code, what).toBe(want.code);
  x(r.stage, what).toBe(want.stage);
  if (want.limit !== undefined) {
    if (c.knownGap?.check === 'limit') {
      if (e.limit === want.limit) gaps.push(`${c.name}: the limit gap has closed; remove its knownGap`);
    } else {
      x(e.limit, what).toBe(want.limit);
      x(typeof e.max === 'number' && e.max > 0 && typeof e.value === 'number' && e.value > e.max, `${what}\nvalue must exceed max`).toBe(true);
    }
  }
  x(e.message, what).toMatch(new RegExp(want.message));
}

describe('hostile corpus (issue 9)', () => {
  afterAll(() => {
    const lines = [...summary].sort();
    console.log(`hostile corpus: ${lines.length} case(s)  [case | outcome | wall ms | cpu ms | peak RSS MB]\n${lines.join('\n')}${gaps.length ? `\nknown gaps:\n  ${gaps.join('\n  ')}` : ''}`);
  });

  it('dist/ is built and current (npm test builds it; with vitest alone, run `npm run build` first)', () => {
    if (problem) throw new Error(problem);
  });

  it('the committed corpus is what make-corpus.ts writes, and stays well under 1 MB', () => {
    const { cases: built, files } = buildCorpus();
    expect(JSON.parse(JSON.stringify(built))).toEqual(cases);
    const onDisk = readdirSync(CORPUS_DIR).filter((f) => f !== 'cases.json').sort();
    expect(onDisk).toEqual([...files.keys()].sort());
    let total = statSync(join(CORPUS_DIR, 'cases.json')).size;
    for (const [name, bytes] of files) {
      const raw = readFileSync(join(CORPUS_DIR, name));
      total += raw.length;
      const committed = name.endsWith('.gz') ? gunzipSync(raw) : raw;
      expect(Buffer.compare(committed, bytes), `${name} differs from what make-corpus.ts writes`).toBe(0);
    }
    expect(total).toBeLessThan(512 * 1024);
  }, 60_000);

  it('every issue 9 file finding (1-7, 9, 10) has cases; finding 8 is API misuse, left to the unit tests', () => {
    const findings = new Set(cases.map((c) => c.finding));
    for (const f of [1, 2, 3, 4, 5, 6, 7, 9, 10]) expect(findings.has(f), `finding ${f}`).toBe(true);
  });

  for (const c of cases) {
    it.concurrent(`${c.name} (${c.finding === null ? c.origin : `finding ${c.finding}`}): ${c.what}`, async ({ expect: x }) => {
      if (problem) throw new Error(problem);
      const r = await slot(() => runCase(c.name));
      const mb = (r.maxRssKiB / 1024).toFixed(0);
      summary.push(`${c.name.padEnd(56)} | ${outcomeText(r).padEnd(52)} | ${String(r.ms).padStart(7)} | ${String(r.cpuMs).padStart(7)} | ${mb.padStart(4)}`
        + `${c.knownGap ? `  [known gap: ${c.knownGap.check}]` : ''}`);

      const e = c.expect;
      if ('error' in e) checkError(x, c, r, e.error);
      else if ('ok' in e) {
        x(r.outcome, `${c.name}: ${JSON.stringify(r.outcome).slice(0, 2000)}`).toEqual({ ok: { outputs: e.ok.outputs } });
      } else {
        if ('error' in e.torchLoad) checkError(x, c, r, e.torchLoad.error);
        else x(r.outcome, c.name).toEqual({ ok: { value: e.torchLoad.value } });
        x(r.scan, `${c.name}: scanPickle's verdict`).toBe(e.scan);
      }

      x(r.maxRssKiB, `${c.name}: peak RSS ${mb} MB`).toBeLessThan(RSS_KIB);
      if (c.knownGap?.check === 'time') {
        gaps.push(`${c.name}: ${r.ms} ms wall, ${r.cpuMs} ms cpu${r.cpuMs < CPU_MS && r.ms < WALL_MS ? ' - now under the bar: remove its knownGap' : ''} (${c.knownGap.note})`);
      } else {
        x(r.cpuMs, `${c.name}: ${r.cpuMs} ms of CPU time`).toBeLessThan(CPU_MS);
        x(r.ms, `${c.name}: ${r.ms} ms of wall time`).toBeLessThan(WALL_MS);
      }
    }, 60_000);
  }
});
