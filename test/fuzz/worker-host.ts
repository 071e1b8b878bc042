// Runs fuzz cases in a worker thread and survives what they do to it: a case that does not answer
// within its time budget is a `timeout`, one that pushes the worker past its heap limit or the
// process past an RSS budget is an `oom`, a worker that dies otherwise is a `crash`. In those cases
// the worker's stack is read through the inspector (StackProbe), the worker is terminated and a
// fresh one is started for the next case.

import { Worker } from 'node:worker_threads';
import type { Outcome } from './outcome.js';
import { StackProbe } from './stack-probe.js';

export type Verdict = 'ok' | 'typed' | 'bug' | 'timeout' | 'oom' | 'crash';

export interface CaseResult {
  readonly verdict: Verdict;
  readonly ms: number;
  /** Set when the worker answered. */
  readonly outcome?: Outcome;
  /** The worker's stack when it was stopped (timeout, oom), innermost first. */
  readonly stack?: readonly string[];
  readonly detail?: string;
  /** The mutated input and what each step did; absent when the mutation itself never finished. */
  readonly bytes?: Uint8Array;
  readonly steps?: readonly string[];
}

export interface WorkerHostOptions {
  readonly timeoutMs: number;
  /** V8 old-generation limit of the worker. */
  readonly heapMb: number;
  /** Growth of the whole process's RSS over its level when the worker became ready. */
  readonly rssGrowthMb: number;
}

interface Pending {
  readonly id: number;
  mutated?: { readonly bytes: Uint8Array; readonly steps: readonly string[] };
  finish(r: Omit<CaseResult, 'ms'> & { ms?: number }): void;
}

const MB = 1024 * 1024;

export class WorkerHost {
  private worker: Worker | undefined;
  private ready: Promise<void> | undefined;
  private pending: Pending | undefined;
  private rssBase = 0;
  private nextId = 1;
  private readonly probe = new StackProbe();
  /** Workers started, including the first. */
  starts = 0;

  constructor(private readonly options: WorkerHostOptions) {}

  private start(): Promise<void> {
    this.starts++;
    const w = new Worker(new URL('./worker.mjs', import.meta.url), {
      execArgv: [],
      resourceLimits: { maxOldGenerationSizeMb: this.options.heapMb },
      stdout: true,
      stderr: true,
    });
    w.stdout.resume(); // a model's prints are not the fuzzer's output
    w.stderr.resume();
    this.worker = w;
    return new Promise<void>((resolve, reject) => {
      w.on('message', (m: { ready?: boolean; id?: number; mutated?: Pending['mutated']; outcome?: Outcome }) => {
        if (m.ready) {
          this.rssBase = process.memoryUsage.rss();
          resolve();
        } else if (this.pending && m.id === this.pending.id) {
          if (m.mutated) this.pending.mutated = m.mutated;
          else this.pending.finish({ verdict: m.outcome!.kind, outcome: m.outcome!, ms: m.outcome!.ms });
        }
      });
      w.on('error', (e: Error & { code?: string }) => {
        const oom = e.code === 'ERR_WORKER_OUT_OF_MEMORY';
        if (this.pending) this.pending.finish({ verdict: oom ? 'oom' : 'crash', detail: oom ? `${e.code}: ${e.message}` : (e.stack ?? `${e.name}: ${e.message}`) });
        else reject(e);
      });
      w.on('exit', (code) => {
        if (this.worker === w) { this.worker = undefined; this.ready = undefined; this.probe.forget(w.threadId); }
        this.pending?.finish({ verdict: 'crash', detail: `worker exited with code ${code}` });
      });
    });
  }

  private async kill(): Promise<void> {
    const w = this.worker;
    if (!w) return;
    this.worker = undefined;
    this.ready = undefined;
    this.probe.forget(w.threadId);
    w.removeAllListeners('message');
    w.removeAllListeners('exit');
    w.removeAllListeners('error');
    w.on('error', () => {});
    await Promise.race([w.terminate(), new Promise((r) => setTimeout(r, 5000))]);
  }

  /** Mutates seed file `seed` with `steps` and runs it, in the worker; never throws for anything the case does. */
  async run(seed: string, steps: readonly number[], bytes?: Uint8Array): Promise<CaseResult> {
    this.ready ??= this.start();
    await this.ready;
    const w = this.worker!;
    const id = this.nextId++;
    return new Promise<CaseResult>((resolve) => {
      let done = false;
      let timer: NodeJS.Timeout | undefined;
      let memTimer: NodeJS.Timeout | undefined;
      const t0 = performance.now();
      const stopWith = async (verdict: 'timeout' | 'oom', detail: string): Promise<void> => {
        if (done) return;
        clearTimeout(timer);
        clearInterval(memTimer);
        const stack = await this.probe.stackOf(w.threadId, 1500);
        pending.finish({ verdict, detail, ...(stack ? { stack } : {}) });
      };
      const pending: Pending = {
        id,
        finish: (r) => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          clearInterval(memTimer);
          this.pending = undefined;
          const result: CaseResult = { ...r, ms: r.ms ?? performance.now() - t0, ...pending.mutated };
          if (r.verdict === 'timeout' || r.verdict === 'oom' || r.verdict === 'crash') void this.kill().then(() => resolve(result));
          else resolve(result);
        },
      };
      this.pending = pending;
      timer = setTimeout(() => void stopWith('timeout', `no answer within ${this.options.timeoutMs} ms`), this.options.timeoutMs);
      memTimer = setInterval(() => {
        const growth = process.memoryUsage.rss() - this.rssBase;
        if (growth > this.options.rssGrowthMb * MB) void stopWith('oom', `process RSS grew by ${Math.round(growth / MB)} MB (limit ${this.options.rssGrowthMb} MB)`);
      }, 100);
      w.postMessage({ id, seed, steps, ...(bytes ? { bytes } : {}) });
    });
  }

  async close(): Promise<void> {
    await this.kill();
    this.probe.close();
  }
}
