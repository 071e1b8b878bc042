// Dynamic batching, as Triton's dynamic batcher does it: requests to one model wait in a queue; when
// the model is free, the queued requests whose inputs agree in everything but the leading (batch)
// dimension are concatenated along it, run once (up to maxBatch rows, waiting at most batchDelayMs
// for more to arrive), and each request gets its own rows of every output back.

import type { InferenceSession } from '../api/session.js';
import type { WorkerSession } from '../api/worker-session.js';
import type { DataType, TensorData } from '../dtypes.js';
import { Tensor } from '../tensor.js';

/** What a served model runs on: a session on this thread or in a worker. */
export type ServedSession = InferenceSession | WorkerSession;

interface Job {
  readonly feeds: Record<string, Tensor>;
  /** Rows along dim 0, and what must match for two jobs to share a run; undefined: runs alone. */
  readonly rows: number;
  readonly key: string | undefined;
  readonly arrived: number;
  readonly deadline: number;
  readonly resolve: (outputs: Record<string, Tensor>) => void;
  readonly reject: (e: unknown) => void;
  /** Given up on by its request (timed out): dropped from the queue, its result ignored. */
  cancelled: boolean;
  /** The event loop ran once since this job reached the head of the queue (see pump). */
  yielded: boolean;
}

export interface BatchOptions {
  readonly maxBatch: number;
  readonly batchDelayMs: number;
}

/** True when every input and output declares a leading dimension that is not a fixed number. */
export function hasFreeBatchDim(session: ServedSession): boolean {
  if (session.format !== 'onnx') return false; // TorchScript declares no shapes
  const free = (m: { readonly shape?: readonly (number | string | null)[] }): boolean =>
    m.shape !== undefined && m.shape.length > 0 && typeof m.shape[0] !== 'number';
  return session.inputMetadata.length > 0 && session.inputMetadata.every(free) && session.outputMetadata.every(free);
}

/** Runs one model's requests one session run at a time, merging them when it can. */
export class ModelRunner {
  private readonly queue: Job[] = [];
  private busy = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private idleWaiters: (() => void)[] = [];
  readonly batchable: boolean;

  constructor(
    readonly session: ServedSession,
    private readonly options: BatchOptions,
    private readonly onRun: (requests: number) => void,
  ) {
    this.batchable = options.maxBatch > 1 && hasFreeBatchDim(session);
  }

  /** Queues a run of `feeds` (every output comes back); `deadline` is a Date.now() time. */
  submit(feeds: Record<string, Tensor>, deadline: number): { promise: Promise<Record<string, Tensor>>; cancel(): void } {
    let job!: Job;
    const promise = new Promise<Record<string, Tensor>>((resolve, reject) => {
      const { rows, key } = this.batchable ? batchKey(feeds) : { rows: 0, key: undefined };
      job = { feeds, rows, key, arrived: Date.now(), deadline, resolve, reject, cancelled: false, yielded: false };
    });
    this.queue.push(job);
    this.pump();
    return { promise, cancel: () => { job.cancelled = true; } };
  }

  /** Resolves when no request is queued or running. */
  idle(): Promise<void> {
    if (!this.busy && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    if (this.busy) return;
    while (this.queue.length && this.queue[0]!.cancelled) this.queue.shift();
    const first = this.queue[0];
    if (!first) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
      return;
    }
    const taken = this.gather(first);
    const rows = taken.reduce((n, j) => n + j.rows, 0);
    const wait = first.arrived + this.options.batchDelayMs - Date.now();
    if (first.key !== undefined && rows < this.options.maxBatch && (wait > 0 || !first.yielded)) {
      // Give later requests a moment to join, as batchDelayMs allows; and always one turn of the
      // event loop, so that requests already received are queued before the run starts (a session
      // on this thread blocks the loop while it runs, and nothing would ever join it).
      first.yielded = true;
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.pump();
      }, Math.max(0, wait));
      return;
    }
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    for (const j of taken) this.queue.splice(this.queue.indexOf(j), 1);
    this.busy = true;
    void this.runJobs(taken).finally(() => {
      this.busy = false;
      this.pump();
    });
  }

  /** `first` and the queued jobs that may share its run, in arrival order, up to maxBatch rows. */
  private gather(first: Job): Job[] {
    const taken = [first];
    if (first.key === undefined) return taken;
    let rows = first.rows;
    for (const j of this.queue) {
      if (j === first || j.cancelled || j.key !== first.key) continue;
      if (rows + j.rows > this.options.maxBatch) break;
      taken.push(j);
      rows += j.rows;
    }
    return taken;
  }

  private async runJobs(jobs: Job[]): Promise<void> {
    const live = jobs.filter((j) => !j.cancelled);
    if (live.length === 0) return;
    if (live.length === 1) {
      await this.runAlone(live[0]!);
      return;
    }
    this.onRun(live.length);
    let outputs: Record<string, Tensor>;
    try {
      outputs = await this.session.run(concatFeeds(live), { timeoutMs: remaining(live) });
    } catch {
      // One request may carry what fails the merged run: each runs alone and gets its own answer.
      for (const j of live) await this.runAlone(j);
      return;
    }
    const parts = splitOutputs(outputs, live.map((j) => j.rows));
    if (!parts) {
      // The model's outputs do not follow its inputs' batch dimension: no merging for this one.
      for (const j of live) await this.runAlone(j);
      return;
    }
    live.forEach((j, i) => j.resolve(parts[i]!));
  }

  private async runAlone(job: Job): Promise<void> {
    if (job.cancelled) return;
    this.onRun(1);
    try {
      job.resolve(await this.session.run(job.feeds, { timeoutMs: remaining([job]) }));
    } catch (e) {
      job.reject(e);
    }
  }
}

/** Milliseconds until the last of the jobs' deadlines (at least 1: a run is never started with none). */
function remaining(jobs: readonly Job[]): number {
  return Math.max(1, Math.max(...jobs.map((j) => j.deadline)) - Date.now());
}

/** Rows and the merge key of a request's feeds: every input's type and dims after the first, which must agree. */
function batchKey(feeds: Record<string, Tensor>): { rows: number; key: string | undefined } {
  const names = Object.keys(feeds).sort();
  let rows = -1;
  const parts: string[] = [];
  for (const name of names) {
    const t = feeds[name]!;
    if (t.dims.length === 0) return { rows: 0, key: undefined };
    if (rows === -1) rows = t.dims[0]!;
    else if (t.dims[0] !== rows) return { rows: 0, key: undefined };
    parts.push(`${name}\u0000${t.type}\u0000${t.dims.slice(1).join('x')}`);
  }
  if (rows <= 0) return { rows: 0, key: undefined };
  return { rows, key: parts.join('\u0001') };
}

/** Each input of the jobs concatenated along dim 0 (the jobs share a key, so the rest of the dims agree). */
function concatFeeds(jobs: readonly Job[]): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  const total = jobs.reduce((n, j) => n + j.rows, 0);
  for (const name of Object.keys(jobs[0]!.feeds)) {
    const first = jobs[0]!.feeds[name]!;
    const dims = [total, ...first.dims.slice(1)];
    if (Array.isArray(first.data)) {
      out[name] = new Tensor(first.type, jobs.flatMap((j) => j.feeds[name]!.data as string[]), dims);
      continue;
    }
    const length = jobs.reduce((n, j) => n + (j.feeds[name]!.data as ArrayLike<number>).length, 0);
    const data = new (first.data.constructor as new (n: number) => Exclude<TensorData, string[]>)(length);
    let at = 0;
    for (const j of jobs) {
      const part = j.feeds[name]!.data as Exclude<TensorData, string[]>;
      (data as Float32Array).set(part as Float32Array, at);
      at += part.length;
    }
    out[name] = new Tensor(first.type as DataType, data, dims);
  }
  return out;
}

/** Every output cut back into each job's rows (copies); undefined when an output's dim 0 is not the total. */
function splitOutputs(outputs: Record<string, Tensor>, rows: readonly number[]): Record<string, Tensor>[] | undefined {
  const total = rows.reduce((a, b) => a + b, 0);
  const parts: Record<string, Tensor>[] = rows.map(() => ({}));
  for (const [name, t] of Object.entries(outputs)) {
    if (t.dims.length === 0 || t.dims[0] !== total) return undefined;
    const per = total > 0 ? t.data.length / total : 0; // array slots per row
    let at = 0;
    rows.forEach((r, i) => {
      const slice = t.data.slice(at * per, (at + r) * per) as TensorData;
      parts[i]![name] = new Tensor(t.type, slice, [r, ...t.dims.slice(1)]);
      at += r;
    });
  }
  return parts;
}
