// The long fuzzer, off CI:  npm run fuzz -- --minutes N [--out DIR] [--seed S]
// Each case is a seed file from corpus.ts with 1-4 mutation steps (mutate.ts), run in a worker
// thread (worker-host.ts) so hangs and memory blow-ups are caught, not fatal. Every failing input
// (bug, timeout, oom, crash) is written to the out folder with a .txt saying what happened and a
// .json recipe (seed + step seeds); each failure class is also minimised by dropping steps.
// A summary is printed every minute and at the end.
//
// Other modes:
//   --replay FILE.json   re-run one saved recipe and print its outcome
//   --input FILE --like SEED   run a file as it is, with the reference inputs of seed SEED (a name
//                        from corpus.ts, e.g. torchscript/feature_for_range.pt); test/fuzz/found/ uses this
//   --formats onnx,pickle   restrict the formats;  --timeout MS (5000)  --heap-mb (1024)  --rss-mb (1536)
//   --keep N             failing inputs kept per class (10); the rest are counted

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { loadCorpus, ROOT, type Seed } from './corpus.js';
import type { Format } from './mutate.js';
import { failureClass } from './outcome.js';
import { Rng } from './rng.js';
import { type CaseResult, type Verdict, WorkerHost } from './worker-host.js';

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '20' },
    out: { type: 'string' },
    seed: { type: 'string' },
    formats: { type: 'string', default: 'onnx,torchscript,pickle' },
    timeout: { type: 'string', default: '5000' },
    'heap-mb': { type: 'string', default: '1024' },
    'rss-mb': { type: 'string', default: '1536' },
    'max-steps': { type: 'string', default: '4' },
    keep: { type: 'string', default: '10' },
    replay: { type: 'string' },
    input: { type: 'string' },
    like: { type: 'string' },
  },
});

const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 13);
const outDir = args.out ?? join(ROOT, 'test/fuzz', `found-${stamp}`);
const masterSeed = args.seed !== undefined ? Number(args.seed) >>> 0 : (Date.now() ^ (process.pid << 16)) >>> 0;
const formats = args.formats.split(',') as Format[];
const keep = Number(args.keep);
const host = new WorkerHost({ timeoutMs: Number(args.timeout), heapMb: Number(args['heap-mb']), rssGrowthMb: Number(args['rss-mb']) });

const EXT: Record<Format, string> = { onnx: 'onnx', torchscript: 'pt', pickle: 'pkl' };

interface Recipe {
  readonly seed: string;
  readonly format: Format;
  readonly steps: readonly number[];
}

interface FailureClass {
  readonly id: string;
  readonly name: string;
  count: number;
  saved: number;
  /** The recipe with the fewest steps that reproduces the class. */
  min: Recipe;
  minimised: boolean;
  /** Whether the minimised recipe failed the same way again (timeouts near the budget may not). */
  reproduced?: boolean;
}

function classOf(r: CaseResult, format: Format): string | undefined {
  if (r.verdict === 'ok' || r.verdict === 'typed') return undefined;
  if (r.outcome) return failureClass(r.outcome);
  // No mutated input came back: the harness's own mutator hung or blew up, not tessera.
  const label = r.bytes ? r.verdict : `harness ${r.verdict} (mutating)`;
  const frame = r.stack?.find((f) => /\((?:src|ops|kernels)\//.test(f)) ?? r.stack?.[0];
  return `${label} ${format}: ${frame ? `in ${frame.replace(/:\d+\)$/, ')')}` : (r.detail ?? '').replace(/\d+/g, 'N')}`;
}

function describe(r: CaseResult, recipe: Recipe, steps: readonly string[], cls: string): string {
  const lines = [
    `class: ${cls}`,
    `verdict: ${r.verdict}${r.outcome ? ` (stage ${r.outcome.stage})` : ''}, ${Math.round(r.ms)} ms`,
    `seed file: ${recipe.seed} (${recipe.format})`,
    `mutation steps (seeds ${JSON.stringify(recipe.steps)}):`,
    ...steps.map((s, i) => `  ${i + 1}. ${s}`),
  ];
  if (r.outcome) lines.push(`heap growth: ${(r.outcome.heapGrowth / 1e6).toFixed(1)} MB, external growth: ${(r.outcome.externalGrowth / 1e6).toFixed(1)} MB`);
  if (r.detail) lines.push(`detail: ${r.detail}`);
  const e = r.outcome?.error;
  if (e) {
    lines.push('', `error: ${e.name}${e.code ? ` [${e.code}]` : ''}: ${e.message}`, e.stack ?? '');
    if (e.cause) lines.push('', `cause: ${e.cause.name}: ${e.cause.message}`, e.cause.stack ?? '');
  }
  if (r.stack) lines.push('', 'worker stack when stopped:', ...r.stack.map((f) => `  at ${f}`));
  return lines.join('\n') + '\n';
}

const classes = new Map<string, FailureClass>();
const seedFailures: string[] = [];
const perFormat = new Map<Format, number>();
const verdicts = new Map<Verdict, number>();
let cases = 0;
const t0 = Date.now();

function slug(s: string): string {
  return s.replace(/[^A-Za-z0-9.]+/g, '-').replace(/^-|-$/g, '').slice(0, 70);
}

function save(cls: FailureClass, name: string, recipe: Recipe, bytes: Uint8Array | undefined, note: string): string {
  const dir = join(outDir, cls.id);
  mkdirSync(dir, { recursive: true });
  if (bytes) writeFileSync(join(dir, `${name}.${EXT[recipe.format]}`), bytes);
  writeFileSync(join(dir, `${name}.json`), JSON.stringify({ ...recipe, class: cls.name }, null, 1) + '\n');
  writeFileSync(join(dir, `${name}.txt`), `${note}\nreplay: npm run fuzz -- --replay ${relative(ROOT, join(dir, `${name}.json`))}\n`);
  return dir;
}

async function runRecipe(recipe: Recipe): Promise<{ r: CaseResult; bytes: Uint8Array | undefined; steps: readonly string[] }> {
  const r = await host.run(recipe.seed, recipe.steps);
  return { r, bytes: r.bytes, steps: r.steps ?? recipe.steps.map((s) => `step seed ${s} (the mutation did not finish)`) };
}

/**
 * Whether a re-run failed the same way. A hang is paused wherever it happens to be, so two runs of
 * one hang stop in different frames: timeouts and ooms match on the verdict alone.
 */
function sameFailure(r: CaseResult, cls: FailureClass): boolean {
  if (r.verdict === 'timeout' || r.verdict === 'oom') return cls.name.startsWith(r.bytes ? `${r.verdict} ` : `harness ${r.verdict}`);
  return classOf(r, cls.min.format) === cls.name;
}

/** Drops steps while the failure stays the same. */
async function minimise(cls: FailureClass): Promise<void> {
  let steps = [...cls.min.steps];
  for (let i = steps.length - 1; i >= 0 && steps.length > 1; i--) {
    const fewer = steps.filter((_, k) => k !== i);
    const { r } = await runRecipe({ ...cls.min, steps: fewer });
    if (sameFailure(r, cls)) steps = fewer;
  }
  cls.min = { ...cls.min, steps };
  cls.minimised = true;
  const again = await runRecipe(cls.min);
  cls.reproduced = sameFailure(again.r, cls);
  if (cls.reproduced) save(cls, 'min', cls.min, again.bytes, describe(again.r, cls.min, again.steps, cls.name));
}

function summary(final: boolean): string {
  const min = (Date.now() - t0) / 60000;
  const fmt = [...perFormat].map(([f, n]) => `${f} ${n}`).join(', ');
  const v = (['ok', 'typed', 'bug', 'timeout', 'oom', 'crash'] as const).map((k) => `${k} ${verdicts.get(k) ?? 0}`).join(', ');
  const lines = [`[fuzz ${min.toFixed(1)} min] ${cases} cases (${fmt}), ${(cases / Math.max(1e-9, min * 60)).toFixed(1)}/s | ${v} | ${classes.size} failure classes, ${host.starts} worker start(s)`];
  if (final || classes.size) {
    for (const c of classes.values()) lines.push(`  ${c.id}  x${c.count}  ${c.name}${final ? `\n        min: ${c.min.seed} steps ${JSON.stringify(c.min.steps)}${c.reproduced ? '' : ' (did not reproduce on re-run: flaky)'}` : ''}`);
  }
  if (seedFailures.length) lines.push('  seeds that fail unmutated (excluded):', ...seedFailures.map((s) => `    ${s}`));
  return lines.join('\n');
}

async function replay(file: string): Promise<void> {
  const recipe = JSON.parse(readFileSync(file, 'utf8')) as Recipe;
  if (!loadCorpus().some((s) => s.name === recipe.seed)) throw new Error(`replay: no seed named '${recipe.seed}' in the corpus`);
  const { r, steps } = await runRecipe(recipe);
  console.log(describe(r, recipe, steps, classOf(r, recipe.format) ?? r.verdict));
}

async function fuzz(): Promise<void> {
  const deadline = t0 + Number(args.minutes) * 60_000;
  const all = loadCorpus().filter((s) => formats.includes(s.format));
  console.log(`fuzz: ${all.length} seed files, master seed ${masterSeed}, out ${relative(ROOT, outDir)}, until ${new Date(deadline).toLocaleTimeString()}`);
  let stop = false;
  process.on('SIGINT', () => { stop = true; });

  // Seeds that fail as they are would drown every mutation of them: report and exclude them.
  // Slow seeds (the 100k-deep hostile pickles take seconds) are picked less often.
  const usable: (readonly [number, Seed])[] = [];
  for (const s of all) {
    const r = await host.run(s.name, []);
    const cls = classOf(r, s.format);
    if (cls) seedFailures.push(`${s.name}: ${cls}`);
    else usable.push([Math.round(100 * Math.min(1, Math.max(0.1, 200 / r.ms))), s]);
  }
  const byFormat = new Map(formats.map((f) => [f, usable.filter(([, s]) => s.format === f)]));
  const live = formats.filter((f) => byFormat.get(f)!.length);

  const rng = new Rng(masterSeed);
  const maxSteps = Number(args['max-steps']);
  let lastReport = t0;
  while (!stop && Date.now() < deadline) {
    const format = rng.pick(live);
    const seed = rng.weighted(byFormat.get(format)!);
    const nSteps = Math.min(maxSteps, rng.weighted([[5, 1], [3, 2], [1, 3], [1, 4]]));
    const recipe: Recipe = { seed: seed.name, format, steps: Array.from({ length: nSteps }, () => rng.u32()) };
    const { r, bytes, steps } = await runRecipe(recipe);
    cases++;
    perFormat.set(format, (perFormat.get(format) ?? 0) + 1);
    verdicts.set(r.verdict, (verdicts.get(r.verdict) ?? 0) + 1);
    const name = classOf(r, format);
    if (name) {
      let cls = classes.get(name);
      if (!cls) {
        cls = { id: `c${String(classes.size + 1).padStart(3, '0')}-${slug(name)}`, name, count: 0, saved: 0, min: recipe, minimised: false };
        classes.set(name, cls);
        console.log(`new failure class ${cls.id}: ${name}\n  from ${recipe.seed}: ${steps.join(' | ')}`);
      }
      cls.count++;
      if (cls.saved < keep) {
        cls.saved++;
        save(cls, `case-${String(cases).padStart(6, '0')}`, recipe, bytes, describe(r, recipe, steps, name));
      }
      if (recipe.steps.length < cls.min.steps.length) { cls.min = recipe; cls.minimised = false; }
      if (!cls.minimised) await minimise(cls);
    }
    if (Date.now() - lastReport >= 60_000) {
      lastReport = Date.now();
      console.log(summary(false));
    }
  }
  const text = summary(true);
  console.log(text);
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'summary.txt'), `${text}\n`);
}

async function runInput(file: string, like: string): Promise<void> {
  const seed = loadCorpus().find((s) => s.name === like);
  if (!seed) throw new Error(`--like: no seed named '${like}' in the corpus`);
  const r = await host.run(seed.name, [], new Uint8Array(readFileSync(file)));
  console.log(describe(r, { seed: seed.name, format: seed.format, steps: [] }, r.steps ?? [], classOf(r, seed.format) ?? r.verdict));
}

try {
  if (args.input) await runInput(args.input, args.like ?? '');
  else if (args.replay) await replay(args.replay);
  else await fuzz();
} finally {
  await host.close();
}
