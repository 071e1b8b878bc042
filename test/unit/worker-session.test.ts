// Issue 11, "a run() that never blocks": InferenceSession.create(model, { worker: true }) loads and
// runs the model in a worker (worker_threads here, through the Node entry's factory; the worker
// runs the build in dist/). The event loop stays free during a run, results equal an in-thread
// session's bit for bit, runs stop with AbortError through a signal or RunOptions.terminate and
// the session runs correctly after, and failures arrive as the same typed errors as in-thread.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../../src/node.js'; // registers the worker_threads factory (Node 20 has no global Worker)
import {
  AbortError, InferenceSession, InvalidArgumentError, ModelFormatError, ResourceLimitError, RunCancelledError,
  ShapeError, Tensor, TorchScriptError, UnsupportedOpError, WorkerError, parseNpy, setWorkerFactory,
} from '../../src/index.js';
// The class is not a value export of the main entry (it loads when worker: true asks for it).
import { WorkerSession } from '../../src/api/worker-session.js';
import { op } from '../../ops/op-def.js';
import { writeModel } from '../helpers/onnx-writer.js';

const FLOAT = 1;
const INT64 = 7;
const digits = new URL('../../spec-models/digits/', import.meta.url);
const read = (f: string) => new Uint8Array(readFileSync(new URL(f, digits)));
const onnxBytes = read('digits_cnn_opset17.onnx');
const images = parseNpy(read('test_images.npy'));

/** `copies` copies of the 360 digit images as one batch: 8 copies run for about a second here. */
function batch(copies: number): Record<string, Tensor> {
  const src = images.data as Float32Array;
  const data = new Float32Array(src.length * copies);
  for (let i = 0; i < copies; i++) data.set(src, i * src.length);
  return { image: new Tensor('float32', data, [images.dims[0]! * copies, ...images.dims.slice(1)]) };
}

const sameBits = (a: Tensor, b: Tensor) => {
  expect(b.dims).toEqual(a.dims);
  expect(b.type).toBe(a.type);
  const x = a.data as Float32Array;
  const y = b.data as Float32Array;
  expect(y.length).toBe(x.length);
  let differ = 0;
  for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) differ++;
  expect(differ).toBe(0);
};

/** The error a promise rejects with (fails the test when it resolves). */
async function rejection(p: Promise<unknown>): Promise<Error> {
  const r = await p.then(() => undefined, (e: unknown) => e as Error);
  if (r === undefined) throw new Error('expected the promise to reject');
  return r;
}

describe('worker sessions: the same surface, the same results', () => {
  let session: WorkerSession;
  let inThread: InferenceSession;
  beforeAll(async () => {
    session = await InferenceSession.create(onnxBytes, { worker: true });
    inThread = await InferenceSession.create(onnxBytes);
  });
  afterAll(() => session.release());

  it('has the in-thread session\'s names and metadata', () => {
    expect(session).toBeInstanceOf(WorkerSession);
    expect(session.worker).toBe(true);
    expect(session.format).toBe('onnx');
    expect(session.inputNames).toEqual(inThread.inputNames);
    expect(session.outputNames).toEqual(inThread.outputNames);
    expect(session.inputMetadata).toEqual(inThread.inputMetadata);
    expect(session.outputMetadata).toEqual(inThread.outputMetadata);
  });

  it('the event loop keeps running during a worker run, and not during an in-thread one', async () => {
    const feeds = batch(8);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    try {
      let t0 = performance.now();
      await inThread.run(feeds);
      const blockedMs = performance.now() - t0;
      const blockedTicks = ticks;
      ticks = 0;
      t0 = performance.now();
      await session.run(feeds);
      const ms = performance.now() - t0;
      // An in-thread run holds the thread: no tick runs until it returns (the measure can fail).
      expect(blockedMs).toBeGreaterThan(100);
      expect(blockedTicks).toBeLessThanOrEqual(1);
      // A 5 ms timer on a shared 2-core machine: ask for a fifth of the ideal count.
      expect(ms).toBeGreaterThan(100);
      expect(ticks).toBeGreaterThanOrEqual(Math.max(10, Math.floor(ms / 5 / 5)));
    } finally {
      clearInterval(timer);
    }
  }, 60_000);

  it('outputs equal an in-thread session\'s bit for bit; feeds are left as they were', async () => {
    const feeds = batch(1);
    const before = (feeds.image!.data as Float32Array).slice();
    const got = await session.run(feeds);
    sameBits((await inThread.run(feeds)).logits!, got.logits!);
    expect(Object.keys(got)).toEqual(['logits']);
    sameBits(new Tensor('float32', before, feeds.image!.dims), feeds.image!);
    // run(feeds, fetches, options) like onnxruntime-web
    sameBits((await inThread.run(feeds)).logits!, (await session.run(feeds, ['logits'], {})).logits!);
  });

  it('runs called together queue up and each gets its own result', async () => {
    const a = batch(1);
    const b = { image: new Tensor('float32', (a.image!.data as Float32Array).map((x) => x * 0.5), a.image!.dims) };
    const [ra, rb] = await Promise.all([session.run(a), session.run(b)]);
    sameBits((await inThread.run(a)).logits!, ra.logits!);
    sameBits((await inThread.run(b)).logits!, rb.logits!);
  });

  it('a TorchScript model runs in a worker with the in-thread results', async () => {
    const ts = await InferenceSession.create(read('digits_cnn_script.pt'), { worker: true });
    try {
      const local = await InferenceSession.create(read('digits_cnn_script.pt'));
      expect(ts.format).toBe('torchscript');
      expect(ts.inputNames).toEqual(local.inputNames);
      expect(ts.outputNames).toEqual(local.outputNames);
      const feeds = { [local.inputNames[0]!]: batch(1).image! };
      const want = await local.run(feeds);
      const got = await ts.run(feeds);
      expect(Object.keys(got)).toEqual(Object.keys(want));
      for (const k of Object.keys(want)) sameBits(want[k]!, got[k]!);
    } finally {
      await ts.release();
    }
  });

  it('a model path works, with its external data read in ranges for the worker', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-worker-'));
    writeFileSync(join(dir, 'w.bin'), new Uint8Array(new Float32Array([9, 9, 1.5, -2.25]).buffer));
    writeFileSync(join(dir, 'm.onnx'), writeModel({
      graph: {
        // y is the weight itself: the worker must not give away its storage with the first result.
        nodes: [{ op: 'Identity', inputs: ['w'], outputs: ['y'] }],
        inputs: [],
        outputs: [{ name: 'y', elemType: FLOAT }],
        initializers: [{ name: 'w', dataType: FLOAT, dims: [2], external: { location: 'w.bin', offset: 8, length: 8 } }],
      },
    }));
    const s = await InferenceSession.create(join(dir, 'm.onnx'), { worker: true });
    try {
      expect(Array.from((await s.run({})).y!.data as Float32Array)).toEqual([1.5, -2.25]);
      expect(Array.from((await s.run({})).y!.data as Float32Array)).toEqual([1.5, -2.25]);
    } finally {
      await s.release();
    }
    // externalData as a function is served by this thread too.
    const bytes = readFileSync(join(dir, 'm.onnx'));
    const asked: string[] = [];
    const f = await InferenceSession.create(new Uint8Array(bytes), {
      worker: true, externalData: (loc) => { asked.push(loc); return new Uint8Array(readFileSync(join(dir, loc))); },
    });
    try {
      expect(Array.from((await f.run({})).y!.data as Float32Array)).toEqual([1.5, -2.25]);
      expect(asked).toEqual(['w.bin']);
    } finally {
      await f.release();
    }
  });
});

describe('worker sessions: stopping a run', () => {
  let session: WorkerSession;
  let want: Tensor;
  const feeds = batch(8);
  beforeAll(async () => {
    session = await InferenceSession.create(onnxBytes, { worker: true });
    want = (await (await InferenceSession.create(onnxBytes)).run(feeds)).logits!;
  }, 60_000);
  afterAll(() => session.release());

  const expectAbort = (e: Error) => {
    expect(e).toBeInstanceOf(AbortError);
    expect(e).toBeInstanceOf(RunCancelledError); // the former name is the same class
    expect(e.name).toBe('AbortError');
    expect((e as AbortError).code).toBe('CANCELLED');
  };

  it('an AbortSignal fired mid-run stops it between nodes; the next run is right', async () => {
    const c = new AbortController();
    const t0 = performance.now();
    const p = session.run(feeds, { signal: c.signal });
    setTimeout(() => c.abort(), 30);
    const e = await rejection(p);
    expectAbort(e);
    expect(e.message).toMatch(/(node '.*' \(\w+\)|graph '.*'): the run was cancelled/);
    expect(performance.now() - t0).toBeLessThan(5000);
    sameBits(want, (await session.run(feeds)).logits!);
  }, 60_000);

  it('RunOptions.terminate set mid-run stops it; terminate: true stops it before it starts', async () => {
    const options = { terminate: false };
    const p = session.run(feeds, options);
    setTimeout(() => { options.terminate = true; }, 30);
    const e = await rejection(p);
    expectAbort(e);
    expect(e.message).toMatch(/RunOptions\.terminate/);
    expectAbort(await rejection(session.run(feeds, { terminate: true })));
    sameBits(want, (await session.run(feeds)).logits!);
  }, 60_000);

  it('an aborted signal, and an abort while queued, reject at once without the worker', async () => {
    const c = new AbortController();
    c.abort(new Error('user left'));
    const e = await rejection(session.run(feeds, { signal: c.signal }));
    expectAbort(e);
    expect(e.message).toMatch(/before it started \(user left\)/);
    const first = session.run(feeds);
    const q = new AbortController();
    const queued = session.run(feeds, { signal: q.signal });
    q.abort();
    expectAbort(await rejection(queued));
    sameBits(want, (await first).logits!);
  }, 60_000);

  it('without SharedArrayBuffer, a stopped run ends its worker and the next run loads the model again', async () => {
    const g = globalThis as { SharedArrayBuffer?: unknown };
    const shared = g.SharedArrayBuffer;
    delete g.SharedArrayBuffer;
    let s: WorkerSession;
    try {
      s = await InferenceSession.create(onnxBytes, { worker: true });
    } finally {
      g.SharedArrayBuffer = shared;
    }
    try {
      const c = new AbortController();
      const p = s.run(feeds, { signal: c.signal });
      setTimeout(() => c.abort(), 30);
      const e = await rejection(p);
      expectAbort(e);
      expect(e.message).toMatch(/its worker was stopped/);
      sameBits(want, (await s.run(feeds)).logits!);
    } finally {
      await s.release();
    }
  }, 60_000);

  it('in-thread sessions take terminate too (ONNX and TorchScript)', async () => {
    const local = await InferenceSession.create(onnxBytes);
    expectAbort(await rejection(local.run(batch(1), { terminate: true })));
    expect(() => local.runSync(batch(1), { terminate: true })).toThrow(AbortError);
    sameBits((await local.run(batch(1))).logits!, (await local.run(batch(1), { terminate: false })).logits!);
    const ts = await InferenceSession.create(read('digits_cnn_script.pt'));
    expectAbort(await rejection(ts.run({ [ts.inputNames[0]!]: batch(1).image! }, { terminate: true })));
    await expect(local.run(batch(1), { terminate: 1 as unknown as boolean })).rejects.toThrow(/options.terminate must be a boolean/);
  });
});

describe('worker sessions: errors', () => {
  const reshape = writeModel({
    graph: {
      nodes: [{ name: 'flatten_it', op: 'Reshape', inputs: ['x', 'shape'], outputs: ['y'] }],
      inputs: [{ name: 'x', elemType: FLOAT, shape: ['n'] }, { name: 'shape', elemType: INT64, shape: [1] }],
      outputs: [{ name: 'y', elemType: FLOAT }],
    },
  });

  it('a node that fails in the worker gives the in-thread error: same class, same message naming node and op', async () => {
    const feeds = { x: new Tensor('float32', [1, 2, 3, 4, 5, 6], [6]), shape: new Tensor('int64', [7n], [1]) };
    const local = await rejection((await InferenceSession.create(reshape)).run(feeds));
    const s = await InferenceSession.create(reshape, { worker: true });
    try {
      const e = await rejection(s.run(feeds));
      expect(e.constructor).toBe(local.constructor);
      expect(e.message).toBe(local.message);
      expect(e.message).toMatch(/node 'flatten_it' \(Reshape\)/);
      // and the session still runs
      const ok = await s.run({ x: feeds.x, shape: new Tensor('int64', [6n], [1]) });
      expect(Array.from(ok.y!.data as Float32Array)).toEqual([1, 2, 3, 4, 5, 6]);
      // a fed tensor of the wrong type or shape: as in-thread
      const bad = await rejection(s.run({ x: feeds.x, shape: new Tensor('int64', [6n, 1n], [2]) }));
      expect(bad).toBeInstanceOf(ShapeError);
      expect(bad.message).toMatch(/input 'shape'/);
      expect(await rejection(s.run({ x: feeds.x }))).toBeInstanceOf(InvalidArgumentError);
      await expect(s.run(feeds, ['nope'])).rejects.toThrow(/'nope' is not an output/);
    } finally {
      await s.release();
    }
  });

  it('a run over its time limit is a ResourceLimitError naming the limit (a graph of a few long nodes too)', async () => {
    const local = await rejection((await InferenceSession.create(onnxBytes)).run(batch(2), { timeoutMs: 1 }));
    expect(local).toBeInstanceOf(ResourceLimitError);
    const s = await InferenceSession.create(onnxBytes, { worker: true });
    try {
      const e = await rejection(s.run(batch(8), { timeoutMs: 1 }));
      expect(e).toBeInstanceOf(ResourceLimitError);
      expect((e as ResourceLimitError).limit).toBe('timeoutMs');
      expect((e as ResourceLimitError).max).toBe(1);
    } finally {
      await s.release();
    }
  }, 60_000);

  it('load failures are typed: a bad file, unsupported ops (listed), a TorchScript raise with its Python class', async () => {
    expect(await rejection(InferenceSession.create(new Uint8Array([1, 2, 3, 4]), { worker: true }))).toBeInstanceOf(ModelFormatError);
    const unknown = writeModel({
      graph: {
        nodes: [{ name: 'mystery', op: 'NoSuchOp', inputs: ['x'], outputs: ['y'] }],
        inputs: [{ name: 'x', elemType: FLOAT, shape: [1] }], outputs: [{ name: 'y', elemType: FLOAT }],
      },
    });
    const e = await rejection(InferenceSession.create(unknown, { worker: true }));
    expect(e).toBeInstanceOf(UnsupportedOpError);
    expect((e as UnsupportedOpError).ops.join()).toMatch(/NoSuchOp/);
    const ts = await InferenceSession.create(new URL('../../spec-models/torchscript/feature_assert_raise.pt', import.meta.url).pathname, { worker: true });
    try {
      const raised = await rejection(ts.run({ x: new Tensor('float32', new Float32Array(12), [3, 4]), n: new Tensor('int64', [200n], []) }));
      expect(raised).toBeInstanceOf(TorchScriptError);
      expect((raised as TorchScriptError).pythonClass).toBe('builtins.ValueError');
      expect(raised.message).toMatch(/n too large: 200/);
    } finally {
      await ts.release();
    }
  });

  it('options a worker cannot take are refused up front', async () => {
    const custom = op({ name: 'Twice', domain: 'test', since: 1, run: ([x]) => [x!] });
    await expect(InferenceSession.create(onnxBytes, { worker: true, customOps: [custom] })).rejects.toThrow(/customOps cannot be sent to a worker/);
    await expect(InferenceSession.create(onnxBytes, { worker: 'yes' as unknown as true })).rejects.toThrow(InvalidArgumentError);
  });

  it('a runtime without workers gets a WorkerError saying why', async () => {
    const previous = setWorkerFactory(undefined);
    try {
      const e = await rejection(InferenceSession.create(onnxBytes, { worker: true }));
      expect(e).toBeInstanceOf(WorkerError);
      expect(e.name).toBe('WorkerError');
      expect(e.message).toMatch(/no global Worker.*workerd/);
    } finally {
      setWorkerFactory(previous);
    }
  });

  it('a worker script that cannot be loaded is a WorkerError at create', async () => {
    const e = await rejection(InferenceSession.create(onnxBytes, { worker: { url: new URL('./fixtures/no-such-worker.mjs', import.meta.url) } }));
    expect(e).toBeInstanceOf(WorkerError);
    expect(e.message).toMatch(/could not be started from .*no-such-worker\.mjs/);
  });

  it('a worker that crashes fails its run with a WorkerError; the session refuses later runs clearly', async () => {
    const s = await InferenceSession.create(onnxBytes, { worker: { url: new URL('./fixtures/crashing-worker.mjs', import.meta.url) } });
    const x = { x: new Tensor('float32', [1], [1]) };
    const e = await rejection(s.run(x));
    expect(e).toBeInstanceOf(WorkerError);
    expect(e.message).toMatch(/crashed: .*the fixture worker fell over/);
    const later = await rejection(s.run(x));
    expect(later).toBeInstanceOf(WorkerError);
    expect(later.message).toMatch(/failed earlier .*create a new session/);
  });

  it('release() ends the worker: a pending run rejects, later runs are refused', async () => {
    const s = await InferenceSession.create(onnxBytes, { worker: true });
    const pending = s.run(batch(8));
    await new Promise((r) => setTimeout(r, 20));
    await s.release();
    expect(await rejection(pending)).toBeInstanceOf(InvalidArgumentError);
    const e = await rejection(s.run(batch(1)));
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect(e.message).toMatch(/released/);
    await s.release(); // twice is fine
  });
});
