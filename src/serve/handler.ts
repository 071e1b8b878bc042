// An Open Inference Protocol (KServe v2 / Triton) server as one web-standard request handler,
// Request -> Response, for any host that speaks fetch's types: Node (src/cli/serve.ts), Deno.serve,
// Bun.serve, Cloudflare's workerd. Models come only from the sources the host configured: a request
// names a model, never a path.
//
//   GET  /v2/health/live | /v2/health/ready | /v2 | /metrics
//   GET  /v2/models/{name}[/versions/{v}]        model metadata
//   GET  /v2/models/{name}[/versions/{v}]/ready
//   POST /v2/models/{name}[/versions/{v}]/infer  JSON tensors, or the binary tensor data extension

import type { InferenceSession } from '../api/session.js';
import type { WorkerSession } from '../api/worker-session.js';
import { concatBytes } from '../bytes.js';
import type { DataType } from '../dtypes.js';
import { VERSION } from '../env.js';
import { AbortError, InvalidArgumentError, ResourceLimitError, ShapeError, TesseraError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { ModelRunner, type ServedSession } from './batcher.js';
import { inferResponse, parseInferRequest } from './infer.js';
import { ServerMetrics } from './metrics.js';
import { ProtocolError, protocolDataType } from './tensors.js';

export { ProtocolError } from './tensors.js';
export type { ServedSession } from './batcher.js';

/** A model the server offers: its name (and version) in URLs, and how to load it (called once). */
export interface ModelSource {
  name: string;
  version?: string;
  load(): Promise<InferenceSession | WorkerSession>;
}

export interface ServeOptions {
  models: ModelSource[];
  /** Largest request body accepted, in bytes (default 64 MiB); larger ones get 413. */
  maxBodyBytes?: number;
  /** Per-request time limit from arrival to response, in ms (default 30 000); past it, 504. */
  timeoutMs?: number;
  /** Inference requests handled at once (default 256); more wait for a slot, up to 4x as many, then 503. */
  maxConcurrency?: number;
  /** Most rows (along the leading batch dimension) one merged run takes (default 32; 1 turns batching off). */
  maxBatch?: number;
  /** How long the first queued request waits for others to join its run, in ms (default 0: only those already queued). */
  batchDelayMs?: number;
}

export interface InferenceServer {
  handle(request: Request): Promise<Response>;
  /** Resolves once every model's load has settled; a model that failed leaves the server not ready (it does not reject). */
  ready(): Promise<void>;
  /** Stops taking inference requests (503), lets those in flight finish, then releases the sessions. */
  close(): Promise<void>;
  /** The Prometheus text format of /metrics. */
  metrics(): string;
}

interface ServedModel {
  readonly name: string;
  readonly version: string | undefined;
  state: 'loading' | 'ready' | 'failed' | 'closed';
  failure?: string;
  runner?: ModelRunner;
}

const DEFAULTS = { maxBodyBytes: 64 * 2 ** 20, timeoutMs: 30_000, maxConcurrency: 256, maxBatch: 32, batchDelayMs: 0 };

function positiveInteger(options: ServeOptions, key: keyof typeof DEFAULTS, min: number): number {
  const v = options[key];
  if (v === undefined) return DEFAULTS[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
    throw new InvalidArgumentError(`createInferenceServer: options.${key} must be an integer >= ${min}, got ${String(v)}`);
  }
  return v;
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}

function errorResponse(status: number, message: string, headers: Record<string, string> = {}): Response {
  return json(status, { error: message }, headers);
}

/** The protocol status for an error a run threw. */
function statusOf(e: unknown): number {
  if (e instanceof ProtocolError) return e.status;
  if (e instanceof AbortError) return 504;
  if (e instanceof InvalidArgumentError || e instanceof ShapeError || e instanceof ResourceLimitError) return 400;
  return 500;
}

function describe(e: unknown): string {
  if (e instanceof ProtocolError) return e.message;
  if (e instanceof TesseraError) return `${e.name}: ${e.message}`;
  return (e as Error)?.message ?? String(e);
}

export function createInferenceServer(options: ServeOptions): InferenceServer {
  if (options === null || typeof options !== 'object' || !Array.isArray(options.models)) {
    throw new InvalidArgumentError('createInferenceServer: options.models must be an array of { name, version?, load() }');
  }
  const maxBodyBytes = positiveInteger(options, 'maxBodyBytes', 1);
  const timeoutMs = positiveInteger(options, 'timeoutMs', 1);
  const maxConcurrency = positiveInteger(options, 'maxConcurrency', 1);
  const batch = { maxBatch: positiveInteger(options, 'maxBatch', 1), batchDelayMs: positiveInteger(options, 'batchDelayMs', 0) };
  const metrics = new ServerMetrics();

  const models: ServedModel[] = [];
  const byName = new Map<string, ServedModel[]>();
  options.models.forEach((source, i) => {
    if (source === null || typeof source !== 'object' || typeof source.name !== 'string' || source.name === '' || source.name.includes('/')
      || typeof source.load !== 'function' || (source.version !== undefined && (typeof source.version !== 'string' || source.version === '' || source.version.includes('/')))) {
      throw new InvalidArgumentError(`createInferenceServer: options.models[${i}] must be { name, version?, load() } with a non-empty name and version without '/'`);
    }
    const same = byName.get(source.name) ?? [];
    if (same.some((m) => m.version === source.version)) {
      throw new InvalidArgumentError(`createInferenceServer: model '${source.name}'${source.version === undefined ? '' : ` version '${source.version}'`} is configured twice`);
    }
    const m: ServedModel = { name: source.name, version: source.version, state: 'loading' };
    models.push(m);
    byName.set(source.name, [...same, m]);
  });

  const loads = options.models.map(async (source, i) => {
    const m = models[i]!;
    try {
      const session = await source.load();
      if (m.state === 'closed') {
        await session.release();
        return;
      }
      m.runner = new ModelRunner(session, batch, (n) => metrics.batch(m.name, n));
      m.state = 'ready';
    } catch (e) {
      if (m.state === 'closed') return;
      m.state = 'failed';
      m.failure = describe(e);
    }
  });
  const allLoaded = Promise.all(loads).then(() => undefined);

  // Admission: at most maxConcurrency infer requests at once; the next ones wait in order.
  let active = 0;
  const waiting: { resolve(): void; done: boolean }[] = [];
  const maxWaiting = 4 * maxConcurrency;
  let closing = false;
  let inflight = 0;
  let drained: (() => void) | undefined;

  function release(): void {
    active--;
    while (waiting.length) {
      const w = waiting.shift()!;
      if (w.done) continue;
      w.done = true;
      active++;
      w.resolve();
      return;
    }
  }

  /** Waits for a slot until `deadline`; false when the wait timed out. */
  async function admit(deadline: number): Promise<boolean> {
    if (active < maxConcurrency) {
      active++;
      return true;
    }
    if (waiting.length >= maxWaiting) throw new ProtocolError(503, `the server is busy (${active} requests running, ${waiting.length} waiting); retry later`);
    return new Promise<boolean>((resolve) => {
      const w = { resolve: () => resolve(true), done: false };
      waiting.push(w);
      setTimeout(() => {
        if (w.done) return;
        w.done = true;
        resolve(false);
      }, Math.max(0, deadline - Date.now()));
    });
  }

  /** The model a URL names: by name, and by version when given (else the last configured version). */
  function find(name: string, version: string | undefined): ServedModel {
    const list = byName.get(name);
    if (!list) throw new ProtocolError(404, `unknown model '${name}'`);
    if (version === undefined) return list[list.length - 1]!;
    const m = list.find((x) => x.version === version);
    if (!m) throw new ProtocolError(404, `model '${name}' has no version '${version}' (versions: ${list.map((x) => x.version ?? '(none)').join(', ')})`);
    return m;
  }

  function notReady(m: ServedModel): ProtocolError {
    const what = `model '${m.name}'${m.version === undefined ? '' : ` version '${m.version}'`}`;
    if (m.state === 'failed') return new ProtocolError(503, `${what} is not ready: it failed to load: ${m.failure}`);
    if (m.state === 'closed') return new ProtocolError(503, `${what} is not ready: the server is shutting down`);
    return new ProtocolError(503, `${what} is not ready: it is still loading`);
  }

  function metadata(m: ServedModel): Response {
    if (m.state !== 'ready') throw notReady(m);
    const s = m.runner!.session;
    const tensor = (v: ServedSession['inputMetadata'][number]) => ({
      name: v.name,
      // TorchScript declares neither type nor shape: FP32 of any shape is what such models take.
      datatype: (v.type !== undefined && protocolDataType(v.type as DataType)) || 'FP32',
      shape: v.shape === undefined ? [-1] : v.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : -1)),
    });
    return json(200, {
      name: m.name,
      versions: byName.get(m.name)!.flatMap((x) => (x.version === undefined ? [] : [x.version])),
      platform: s.format === 'onnx' ? 'tessera_onnx' : 'tessera_torchscript',
      inputs: s.inputMetadata.map(tensor),
      outputs: s.outputMetadata.map(tensor),
    });
  }

  async function infer(request: Request, m: ServedModel, started: number): Promise<Response> {
    if (closing) throw new ProtocolError(503, 'the server is shutting down');
    if (m.state !== 'ready') throw notReady(m);
    const deadline = started + timeoutMs;
    const body = await readBody(request, maxBodyBytes);
    if (!(await admit(deadline))) throw new ProtocolError(504, `model '${m.name}': no slot freed within the ${timeoutMs} ms timeout`);
    try {
      const runner = m.runner!;
      const s = runner.session;
      const parsed = parseInferRequest(body, request.headers.get('inference-header-content-length'), {
        inputs: s.inputMetadata, outputNames: s.outputNames, maxElements: s.limits.maxTensorElements,
      });
      const job = runner.submit(parsed.feeds, deadline);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          job.cancel();
          reject(new ProtocolError(504, `model '${m.name}': the request took longer than the ${timeoutMs} ms timeout`));
        }, Math.max(0, deadline - Date.now()));
      });
      let results: Record<string, Tensor>;
      try {
        results = await Promise.race([job.promise, timedOut]);
      } finally {
        clearTimeout(timer);
      }
      return inferResponse(m.name, m.version, parsed.id, parsed.outputs, results);
    } finally {
      release();
    }
  }

  async function route(request: Request, started: number): Promise<{ response: Response; model?: string }> {
    const url = new URL(request.url);
    let segments: string[];
    try {
      segments = url.pathname.replace(/\/+$/, '').split('/').slice(1).map(decodeURIComponent);
    } catch {
      throw new ProtocolError(400, `the path '${url.pathname}' is not valid percent-encoding`);
    }
    const method = request.method.toUpperCase();
    const only = (allowed: 'GET' | 'POST'): void => {
      if (method !== allowed && !(allowed === 'GET' && method === 'HEAD')) {
        throw new ProtocolError(405, `${method} ${url.pathname}: use ${allowed}`);
      }
    };
    const path = segments.join('/');
    if (path === 'v2/health/live') {
      only('GET');
      return { response: json(200, { live: true }) };
    }
    if (path === 'v2/health/ready') {
      only('GET');
      const ready = !closing && models.length > 0 && models.every((m) => m.state === 'ready');
      return { response: json(ready ? 200 : 503, { ready }) };
    }
    if (path === 'v2') {
      only('GET');
      return { response: json(200, { name: 'tessera', version: VERSION, extensions: ['binary_tensor_data', 'parameters'] }) };
    }
    if (path === 'metrics') {
      only('GET');
      return { response: new Response(metricsText(), { status: 200, headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' } }) };
    }
    if (segments[0] === 'v2' && segments[1] === 'models' && segments.length >= 3) {
      const name = segments[2]!;
      let rest = segments.slice(3);
      let version: string | undefined;
      if (rest[0] === 'versions') {
        if (rest.length < 2) throw new ProtocolError(404, `no route for ${url.pathname}`);
        version = rest[1];
        rest = rest.slice(2);
      }
      const m = find(name, version);
      if (rest.length === 0) {
        only('GET');
        return { response: metadata(m), model: m.name };
      }
      if (rest.length === 1 && rest[0] === 'ready') {
        only('GET');
        const ready = !closing && m.state === 'ready';
        return { response: json(ready ? 200 : 503, { name: m.name, ready }), model: m.name };
      }
      if (rest.length === 1 && rest[0] === 'infer') {
        only('POST');
        return { response: await inferCounted(request, m, started), model: m.name };
      }
    }
    throw new ProtocolError(404, `no route for ${request.method} ${url.pathname}`);
  }

  /** An inference request, counted in the metrics and among those close() waits for. */
  async function inferCounted(request: Request, m: ServedModel, started: number): Promise<Response> {
    inflight++;
    metrics.inflight = inflight;
    let status = 500;
    try {
      const response = await infer(request, m, started).catch((e: unknown) => errorResponse(statusOf(e), describe(e)));
      status = response.status;
      return response;
    } finally {
      inflight--;
      metrics.inflight = inflight;
      metrics.request(m.name, status, (Date.now() - started) / 1000);
      if (inflight === 0) drained?.();
    }
  }

  function metricsText(): string {
    return metrics.text(models.map((m) => ({ name: m.name, version: m.version ?? '', ready: !closing && m.state === 'ready' })));
  }

  return {
    async handle(request: Request): Promise<Response> {
      const started = Date.now();
      try {
        const { response } = await route(request, started);
        return response;
      } catch (e) {
        const status = statusOf(e);
        return errorResponse(status, describe(e), status === 405 ? { allow: 'GET, POST' } : {});
      }
    },
    ready: () => allLoaded,
    metrics: metricsText,
    async close(): Promise<void> {
      if (closing) return;
      closing = true;
      if (inflight > 0) await new Promise<void>((resolve) => { drained = resolve; });
      await Promise.all(models.map(async (m) => {
        const runner = m.runner;
        m.state = 'closed';
        if (!runner) return;
        await runner.idle();
        await runner.session.release();
      }));
    },
  };
}

/** The body, refused with 413 as soon as it passes `max` bytes (declared or read). */
async function readBody(request: Request, max: number): Promise<Uint8Array> {
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > max) {
    throw new ProtocolError(413, `the request body is ${declared} bytes, over the limit of ${max}`);
  }
  if (request.body === null) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > max) {
      void reader.cancel().catch(() => {});
      throw new ProtocolError(413, `the request body is over the limit of ${max} bytes`);
    }
    chunks.push(value);
  }
  return concatBytes(chunks);
}
