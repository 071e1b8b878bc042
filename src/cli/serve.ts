// `tessera serve MODEL_OR_DIR [--port 8000] ...`: the Open Inference Protocol handler
// (src/serve/handler.ts) behind Node's HTTP server. A folder serves every ONNX and TorchScript
// model in it, each named for its file's stem unless tessera-serve.json names it.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readdir, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { Readable } from 'node:stream';
import { InferenceSession } from '../api/session.js';
import { looksLikeTorchFile } from '../formats/pickle/index.js';
import { looksLikeTorchScript } from '../formats/torchscript/index.js';
import { readRegularFile } from '../node.js'; // also installs the model path reader and the worker factory
import { type InferenceServer, type ModelSource, type ServeOptions, createInferenceServer } from '../serve/handler.js';
import { UsageError, type Io } from './io.js';
import { parseBytes } from './run.js';

export interface ServeArgs {
  readonly path: string;
  readonly port: number;
  readonly host: string;
  readonly worker: boolean;
  readonly providers?: string[];
  readonly options: Omit<ServeOptions, 'models'>;
}

function count(flag: string, v: string | undefined, min: number): number {
  if (v === undefined || !/^[0-9]+$/.test(v) || Number(v) < min) throw new UsageError(`${flag} needs a whole number >= ${min}, got '${v ?? ''}'`);
  return Number(v);
}

export function parseServeArgs(args: readonly string[]): ServeArgs {
  let path: string | undefined;
  let port = 8000;
  let host = '127.0.0.1';
  let worker = true;
  let providers: string[] | undefined;
  const options: { -readonly [K in keyof Omit<ServeOptions, 'models'>]: ServeOptions[K] } = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    switch (a) {
      case '--port': port = count(a, args[++i], 0); if (port > 65535) throw new UsageError('--port must be at most 65535'); break;
      case '--host': host = args[++i] ?? ''; if (!host) throw new UsageError('--host needs an address, such as 0.0.0.0'); break;
      case '--max-batch': options.maxBatch = count(a, args[++i], 1); break;
      case '--batch-delay-ms': options.batchDelayMs = count(a, args[++i], 0); break;
      case '--max-body-bytes': options.maxBodyBytes = parseBytes(a, args[++i]); break;
      case '--timeout-ms': options.timeoutMs = count(a, args[++i], 1); break;
      case '--concurrency': options.maxConcurrency = count(a, args[++i], 1); break;
      case '--no-worker': worker = false; break;
      case '--worker': worker = true; break;
      case '--ep': {
        const v = args[++i];
        if (!v) throw new UsageError('--ep needs a backend name or list, such as wasm, cpu or wasm,cpu');
        providers = v.split(',').map((x) => x.trim()).filter((x) => x !== '');
        break;
      }
      default:
        if (a.startsWith('-')) throw new UsageError(`serve: unknown option '${a}'`);
        if (path !== undefined) throw new UsageError('serve takes one MODEL file or folder');
        path = a;
    }
  }
  if (path === undefined) throw new UsageError('serve needs a MODEL file or a folder of models');
  return { path, port, host, worker, providers, options };
}

const MODEL_EXTENSIONS = new Set(['.onnx', '.pt', '.pth', '.zip']);

/** tessera-serve.json in a model folder: `{ "models": { "FILE": { "name": "...", "version": "..." } } }`. */
const CONFIG_FILE = 'tessera-serve.json';

interface FileConfig { readonly name?: string; readonly version?: string }

async function readConfig(dir: string): Promise<ReadonlyMap<string, FileConfig>> {
  let text: string;
  try {
    text = new TextDecoder().decode(await readRegularFile(join(dir, CONFIG_FILE)));
  } catch (e) {
    if ((e as { cause?: { code?: string } }).cause?.code === 'ENOENT') return new Map();
    throw e;
  }
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${join(dir, CONFIG_FILE)} is not valid JSON: ${(e as Error).message}`);
  }
  const models = (config as { models?: unknown } | null)?.models;
  if (models === null || typeof models !== 'object' || Array.isArray(models)) {
    throw new UsageError(`${join(dir, CONFIG_FILE)}: expected { "models": { "FILE": { "name": "...", "version": "..." } } }`);
  }
  const out = new Map<string, FileConfig>();
  for (const [file, c] of Object.entries(models as Record<string, unknown>)) {
    const { name, version } = (c ?? {}) as Record<string, unknown>;
    if ((name !== undefined && typeof name !== 'string') || (version !== undefined && typeof version !== 'string')) {
      throw new UsageError(`${join(dir, CONFIG_FILE)}: models["${file}"] takes a string "name" and "version"`);
    }
    out.set(file, { name, version });
  }
  return out;
}

/**
 * The models a path names: the file, or every ONNX / TorchScript file in the folder (torch.save
 * pickles, which hold weights and not a runnable model, are skipped with a note).
 */
export async function modelSources(path: string, load: (file: string) => Promise<InferenceSession | import('../api/worker-session.js').WorkerSession>, io: Io): Promise<ModelSource[]> {
  const info = await stat(path).catch((e: unknown) => {
    throw new UsageError(`serve: cannot read '${path}': ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  });
  const stem = (f: string): string => basename(f, extname(f));
  if (!info.isDirectory()) return [{ name: stem(path), load: () => load(path) }];
  const config = await readConfig(path);
  const sources: ModelSource[] = [];
  const seen = new Map<string, string>();
  for (const entry of (await readdir(path, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    if (!entry.isFile() || !MODEL_EXTENSIONS.has(extname(entry.name).toLowerCase())) continue;
    const file = join(path, entry.name);
    if (extname(entry.name).toLowerCase() !== '.onnx') {
      const head = await readRegularFile(file);
      if (!looksLikeTorchScript(head)) {
        if (looksLikeTorchFile(head)) io.out(`tessera serve: skipping ${entry.name}: a torch.save pickle (weights), not a TorchScript model`);
        else io.out(`tessera serve: skipping ${entry.name}: not a TorchScript archive`);
        continue;
      }
    }
    const c = config.get(entry.name);
    const name = c?.name ?? stem(entry.name);
    const key = `${name}\u0000${c?.version ?? ''}`;
    if (seen.has(key)) throw new UsageError(`serve: ${seen.get(key)} and ${entry.name} would both be model '${name}'; name one in ${CONFIG_FILE}`);
    seen.set(key, entry.name);
    sources.push({ name, ...(c?.version === undefined ? {} : { version: c.version }), load: () => load(file) });
  }
  if (sources.length === 0) throw new UsageError(`serve: no .onnx or TorchScript (.pt, .pth, .zip) model in '${path}'`);
  return sources;
}

/** A Node request as a fetch Request (the body streamed, not buffered here: the handler limits it). */
function toRequest(req: IncomingMessage, origin: string): Request {
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) headers.append(k, x);
    else headers.set(k, v);
  }
  const method = req.method ?? 'GET';
  const hasBody = method !== 'GET' && method !== 'HEAD';
  return new Request(new URL(req.url ?? '/', origin), {
    method, headers,
    ...(hasBody ? { body: Readable.toWeb(req) as ReadableStream<Uint8Array>, duplex: 'half' } : {}),
  } as RequestInit);
}

async function writeResponse(req: IncomingMessage, res: ServerResponse, response: Response): Promise<void> {
  const body = req.method === 'HEAD' ? undefined : new Uint8Array(await response.arrayBuffer());
  const headers: Record<string, string> = {};
  response.headers.forEach((v, k) => { headers[k] = v; });
  if (body) headers['content-length'] = String(body.length);
  // A body left unread (a 413, an early error): this connection cannot carry another request.
  if (!req.complete) headers.connection = 'close';
  res.writeHead(response.status, headers);
  res.end(body);
}

export interface RunningServer {
  readonly server: InferenceServer;
  readonly http: Server;
  readonly url: string;
  readonly models: readonly ModelSource[];
  /** Stops listening, lets in-flight requests finish, releases the sessions. */
  close(): Promise<void>;
}

/** Starts the HTTP server on `args.port` (0: any free port) and resolves once it listens. */
export async function startServer(args: ServeArgs, io: Io): Promise<RunningServer> {
  const load = (file: string) => InferenceSession.create(file, {
    ...(args.worker ? { worker: true as const } : {}),
    ...(args.providers ? { executionProviders: args.providers } : {}),
  });
  const models = await modelSources(args.path, load, io);
  const server = createInferenceServer({ ...args.options, models });
  const origin = `http://${args.host.includes(':') ? `[${args.host}]` : args.host}`;
  const http = createServer((req, res) => {
    void (async () => {
      const response = await server.handle(toRequest(req, origin));
      await writeResponse(req, res, response);
    })().catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: `internal error: ${(e as Error)?.message ?? String(e)}` }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(args.port, args.host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const address = http.address();
  const port = typeof address === 'object' && address ? address.port : args.port;
  const url = `${origin}:${port}`;
  let closed: Promise<void> | undefined;
  return {
    server, http, url, models,
    close: () => closed ??= (async () => {
      const stopped = new Promise<void>((resolve) => http.close(() => resolve()));
      await server.close(); // in-flight requests finish; new ones get 503
      http.closeIdleConnections();
      await stopped;
    })(),
  };
}

/** `tessera serve`: runs until SIGINT or SIGTERM, then finishes what is in flight and exits. */
export async function serveCommand(argv: readonly string[], io: Io): Promise<void> {
  const args = parseServeArgs(argv);
  const running = await startServer(args, io);
  io.out(`tessera serve: listening on ${running.url} (Open Inference Protocol v2)`);
  await running.server.ready();
  for (const m of running.models) {
    const path = `/v2/models/${encodeURIComponent(m.name)}${m.version === undefined ? '' : `/versions/${encodeURIComponent(m.version)}`}`;
    const res = await running.server.handle(new Request(`${running.url}${path}/ready`));
    const why = res.ok ? '' : (await running.server.handle(new Request(`${running.url}${path}`)).then((r) => r.json()) as { error?: string }).error;
    io.out(`tessera serve: model '${m.name}'${m.version === undefined ? '' : ` version '${m.version}'`} ${res.ok ? 'ready' : `NOT READY: ${why}`}`);
  }
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      // A second signal (a supervisor passing its own on) does not cut the first one's drain short.
      if (stopping) return;
      stopping = true;
      io.out(`tessera serve: ${signal}: finishing requests in flight`);
      void running.close().then(resolve);
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
  io.out('tessera serve: stopped');
}
