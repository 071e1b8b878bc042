// The Node entry point: everything in index.ts, plus reading model paths (and their
// external data files) from disk. Deno and Bun resolve this entry too.
//
// A model file is untrusted: its external data locations may name symlinks, devices, folders or
// ranges past the end of a file. Every path is resolved to its real path (symlinks followed) and
// must stay inside the model's real folder; only regular files are opened; the size is checked
// before reading; and only the declared range is read, through a file handle at its offset.

import { constants } from 'node:fs';
import { type FileHandle, open, realpath } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import { InvalidArgumentError, ModelFormatError } from './errors.js';
import { checkLocation } from './formats/onnx/load.js';
import { type ResourceLimits, checkLimit, resolveLimits } from './limits.js';
import { type ByteProgress, fetchLoader, type ModelFile, setFileLoader } from './api/session.js';
import { isMainThread, parentPort, Worker as NodeWorker, workerData } from 'node:worker_threads';
import { setWorkerFactory } from './api/worker-session.js';
import { emitterWorker, setWorkerFactory as setKernelWorkerFactory } from '../kernels/wasm/threads.js';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { setCoreCount } from './runtime/backend.js';

export * from './index.js';
export type { ByteProgress, ModelFile } from './api/session.js';

/**
 * Reads a model file (a regular file of at most limits.maxMemoryBytes) and returns a reader for
 * its external data that refuses anything outside the model's real folder. `progress` hears of
 * the file's size and of its bytes as they are read, and likewise of each external range.
 */
export async function readModelFile(path: string, limits?: Partial<ResourceLimits>, progress?: ByteProgress): Promise<ModelFile> {
  if (typeof path !== 'string' || path === '') throw new InvalidArgumentError(`model path: expected a file path, got ${String(path)}`);
  const resolved = resolveLimits(limits);
  const bytes = await readWholeFile(path, resolved, 'model file', progress);
  let realDir: string | undefined;
  return {
    bytes,
    externalRange: async (loc, offset, length) => {
      checkLocation(loc);
      realDir ??= await realpath(resolve(dirname(path)));
      return readRange(realDir, loc, offset, length, progress);
    },
  };
}

/** What a file system error means for a path the user gave. */
function userPathError(what: string, path: string, e: unknown): InvalidArgumentError {
  const code = (e as NodeJS.ErrnoException)?.code;
  const problem = code === 'ENOENT' ? 'was not found'
    : code === 'EACCES' || code === 'EPERM' ? 'cannot be read (permission denied)'
    : code === 'EISDIR' ? 'is not a regular file (it is a directory)'
    : `cannot be read: ${(e as Error)?.message ?? String(e)}`;
  return new InvalidArgumentError(`${what} '${path}' ${problem}`, { cause: e });
}

// Non-blocking, so that opening a FIFO cannot wait forever for a writer (the handle is refused
// as not a regular file right after).
const READ_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/**
 * The bytes of a file the user named (a model, an input tensor): a regular file of at most
 * limits.maxMemoryBytes. A missing or unreadable path is an InvalidArgumentError whose cause is
 * the file system error.
 */
export async function readRegularFile(path: string, limits?: Partial<ResourceLimits>): Promise<Uint8Array> {
  return readWholeFile(path, resolveLimits(limits), 'file');
}

async function readWholeFile(path: string, limits: ResourceLimits, what = 'model file', progress?: ByteProgress): Promise<Uint8Array> {
  let fh: FileHandle;
  try {
    fh = await open(path, READ_FLAGS);
  } catch (e) {
    throw userPathError(what, path, e);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new InvalidArgumentError(`${what} '${path}' is not a regular file${st.isDirectory() ? ' (it is a directory)' : ''}`);
    checkLimit(limits, 'maxMemoryBytes', st.size, `${what} '${path}'`);
    progress?.expect(st.size);
    return await readAt(fh, 0, st.size, `${what} '${path}'`, progress);
  } finally {
    await fh.close();
  }
}

/** `length` bytes of `loc` (relative to the real folder `realDir`) from `offset`. */
async function readRange(realDir: string, loc: string, offset: number, length: number, progress?: ByteProgress): Promise<Uint8Array> {
  const where = `external data '${loc}'`;
  let target: string;
  try {
    target = await realpath(resolve(realDir, loc));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException)?.code;
    throw new ModelFormatError(`${where} ${code === 'ENOENT' ? 'was not found next to the model' : `could not be resolved (${code ?? String(e)})`}`, { cause: e });
  }
  if (!target.startsWith(realDir + sep)) {
    throw new ModelFormatError(`${where} resolves to '${target}', outside the model's folder '${realDir}'`);
  }
  let fh: FileHandle;
  try {
    fh = await open(target, READ_FLAGS);
  } catch (e) {
    throw new ModelFormatError(`${where} could not be opened: ${(e as Error).message}`, { cause: e });
  }
  try {
    // Checked on the opened handle, so what was checked is what is read.
    const st = await fh.stat();
    if (!st.isFile()) throw new ModelFormatError(`${where}: not a regular file`);
    if (offset + length > st.size) {
      throw new ModelFormatError(`${where}: range offset=${offset} length=${length} lies outside '${loc}' (${st.size} bytes)`);
    }
    progress?.expect(length);
    return await readAt(fh, offset, length, where, progress);
  } finally {
    await fh.close();
  }
}

/** Reads told to `progress` come in pieces of at most this many bytes. */
const PROGRESS_CHUNK = 16 << 20;

async function readAt(fh: FileHandle, offset: number, length: number, where: string, progress?: ByteProgress): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  const chunk = progress ? PROGRESS_CHUNK : length;
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(out, done, Math.min(chunk, length - done), offset + done);
    if (bytesRead === 0) throw new ModelFormatError(`${where}: the file ended after ${done} of ${length} bytes (changed while reading?)`);
    done += bytesRead;
    progress?.read(bytesRead);
  }
  return out;
}

// Paths and file: URLs from disk; http(s) URLs over fetch (Node 20 has it), external data beside them.
setFileLoader((path, limits, progress) => {
  if (/^https?:\/\//i.test(path)) return fetchLoader(path, limits, progress);
  if (/^file:/i.test(path)) {
    let local: string;
    try {
      local = fileURLToPath(path);
    } catch (e) {
      throw new InvalidArgumentError(`model path: '${path}' is not a file URL this host can open: ${(e as Error).message}`, { cause: e });
    }
    return readModelFile(local, limits, progress);
  }
  return readModelFile(path, limits, progress);
});

// Session workers (InferenceSession.create(model, { worker: true })). Node 20 has no global
// Worker: a worker_threads Worker runs this file, which gives the session's worker script the web
// worker interface it speaks (postMessage, addEventListener('message')) and then imports it.
const WORKER_SCRIPT = 'tessera.workerScript';
if (typeof (globalThis as { Worker?: unknown }).Worker !== 'function') {
  // From TypeScript sources (vitest) a worker thread cannot load .ts files: it runs the build in dist/.
  const bootstrap = import.meta.url.endsWith('.ts') ? new URL('../dist/src/node.js', import.meta.url) : new URL(import.meta.url);
  setWorkerFactory((script, events) => {
    const w = new NodeWorker(bootstrap, { workerData: { [WORKER_SCRIPT]: script.href } });
    w.on('message', (m) => events.message(m));
    w.on('error', (e) => events.error(e));
    w.on('messageerror', (e) => events.error(e));
    w.on('exit', (code) => events.error(new Error(`the worker thread exited with code ${code}`)));
    return {
      postMessage: (m, transfer) => w.postMessage(m, transfer as never),
      terminate: () => void w.terminate(),
      ref: () => w.ref(),
      unref: () => w.unref(),
    };
  });
}
const script = isMainThread ? undefined : (workerData as Record<string, unknown> | null)?.[WORKER_SCRIPT];
if (typeof script === 'string' && parentPort) {
  const port = parentPort;
  Object.assign(globalThis, {
    postMessage: (m: unknown, transfer?: never[]) => port.postMessage(m, transfer),
    addEventListener: (type: string, listener: (e: { data: unknown }) => void) => {
      if (type === 'message') port.on('message', (data) => listener({ data }));
    },
  });
  void import(script);
}

// Node 20 has no navigator.hardwareConcurrency: the default intraOpNumThreads asks the OS.
setCoreCount(() => availableParallelism());

// Node has no global Worker: WebAssembly thread pools start worker_threads (unref'd once ready).
setKernelWorkerFactory((url) => emitterWorker(new NodeWorker(url)));
