// A real browser for the test suite: headless Chromium from npm (@sparticuz/chromium carries the
// binary, SwiftShader for WebGL2 and fonts; playwright-core drives it), a page served from a local
// node:http server on 127.0.0.1 with the headers that make it cross-origin isolated (COOP
// same-origin + COEP require-corp: SharedArrayBuffer, hence wasm threads), and tessera bundled for
// the browser by esbuild from the package's browser entry (src/index.ts, never src/node.ts).
//
// The bundle is one flat folder: the page script (test/browser/page.ts, which imports src/index.ts),
// the session worker (src/api/worker-entry.ts) and the threads worker
// (kernels/wasm/threads-worker.js) side by side, because tessera finds its worker scripts with
// `new URL('./worker-entry.js' | './threads-worker.js', import.meta.url)`, which esbuild keeps as
// it is: the URLs resolve beside whichever bundle holds the code.
//
// If Chromium cannot start, startBrowser throws an error that says what is missing; a test file
// calls it in beforeAll, so the tests fail rather than skip.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statfsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Which of @sparticuz/chromium's default arguments are kept. It is tuned for AWS Lambda; here:
 * - dropped '--single-process' (the renderer in the browser process: workers and their shared
 *   memory are what these tests are about, so run Chromium's normal process model);
 * - dropped '--disable-web-security' and '--enable-features=SharedArrayBuffer' (they would give the
 *   page SharedArrayBuffer without cross-origin isolation; the tests must get it the way a user's
 *   site does, from COOP/COEP headers) and '--allow-running-insecure-content';
 * - dropped "--headless='shell'" (playwright-core passes its own headless switch);
 * - kept '--no-sandbox', '--no-zygote', '--disable-setuid-sandbox' (CI runs as root, without user
 *   namespaces), and the graphics switches ('--use-gl=angle', '--use-angle=swiftshader',
 *   '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist', '--in-process-gpu'): WebGL2 on the CPU.
 */
const DROPPED_ARGS = [/^--single-process$/, /^--disable-web-security$/, /^--enable-features=/, /^--allow-running-insecure-content$/, /^--headless/];

/** Bytes the unpacked browser takes in the temporary folder (chromium ~200 MB, SwiftShader, fonts). */
const UNPACKED_BYTES = 260e6;

/**
 * Unpacks the browser once per package version into <tmpdir>/tessera-chromium-<version>/. The
 * package unpacks into os.tmpdir() and trusts any file already there, even half written by another
 * process, so it unpacks here into a private folder (TMPDIR pointed at it for the call) that is
 * then renamed into place in one step; a concurrent test file that lost the race uses the winner's.
 */
async function unpackChromium(): Promise<string> {
  const pkg = JSON.parse(readFileSync(join(root, 'node_modules/@sparticuz/chromium/package.json'), 'utf8')) as { version: string };
  const base = tmpdir();
  const final = join(base, `tessera-chromium-${pkg.version}`);
  const exe = join(final, 'chromium');
  if (existsSync(exe)) return exe;
  const free = statfsSync(base);
  if (free.bavail * free.bsize < UNPACKED_BYTES) {
    throw new Error(`${base} has ${Math.round((free.bavail * free.bsize) / 1e6)} MB free; unpacking Chromium needs about ${UNPACKED_BYTES / 1e6} MB (set TMPDIR elsewhere)`);
  }
  const staging = mkdtempSync(join(base, 'tessera-chromium-unpacking-'));
  const saved = process.env.TMPDIR;
  try {
    process.env.TMPDIR = staging;
    const chromium = (await import('@sparticuz/chromium')).default;
    const unpacked = await chromium.executablePath();
    if (unpacked !== join(staging, 'chromium')) throw new Error(`@sparticuz/chromium unpacked to ${unpacked}, expected ${staging}/chromium`);
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  }
  try {
    renameSync(staging, final);
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(exe)) throw e;
  }
  return exe;
}

/** Shared libraries the binary links that this system lacks (ldd's "not found" lines), for the error message. */
function missingLibraries(exe: string): string {
  try {
    const missing = execFileSync('ldd', [exe], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n').filter((l) => l.includes('not found')).map((l) => l.trim());
    return missing.length ? `; missing shared libraries: ${missing.join(', ')}` : '';
  } catch {
    return '';
  }
}

/** Launches headless Chromium; throws an error naming what is missing when it cannot. */
export async function startBrowser(): Promise<Browser> {
  let exe: string;
  let args: string[];
  try {
    exe = await unpackChromium();
    args = (await import('@sparticuz/chromium')).default.args.filter((a) => !DROPPED_ARGS.some((d) => d.test(a)));
  } catch (e) {
    throw new Error(`browser tests: cannot unpack headless Chromium from @sparticuz/chromium (a dev dependency: run npm ci): ${(e as Error).message}`, { cause: e });
  }
  try {
    const { chromium } = await import('playwright-core');
    return await chromium.launch({ executablePath: exe, args, headless: true, timeout: 60_000 });
  } catch (e) {
    throw new Error(`browser tests: headless Chromium (${exe}) did not start${missingLibraries(exe)}: ${(e as Error).message}`, { cause: e });
  }
}

const TYPES: Record<string, string> = {
  '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.json': 'application/json', '.map': 'application/json',
  '.onnx': 'application/octet-stream', '.npy': 'application/octet-stream', '.pt': 'application/octet-stream',
};

/** The test page without cross-origin isolation. */
const NOT_ISOLATED = '/not-isolated/';

export interface PageServer {
  /** http://127.0.0.1:PORT */
  readonly origin: string;
  close(): Promise<void>;
}

/**
 * Bundles the page (test/browser/page.ts) and tessera's two worker scripts into a temporary
 * folder, and serves them at / with `files` (URL path -> file on disk; absent files are 404s),
 * every response cross-origin isolated; the same page at /not-isolated/ comes without the
 * COOP/COEP headers, as a site that does not send them.
 */
export async function servePage(files: Readonly<Record<string, string>>): Promise<PageServer> {
  const out = mkdtempSync(join(tmpdir(), 'tessera-browser-'));
  await build({
    entryPoints: {
      page: join(root, 'test/browser/page.ts'),
      'worker-entry': join(root, 'src/api/worker-entry.ts'),
      'threads-worker': join(root, 'kernels/wasm/threads-worker.js'),
      // The webgl tests' page script (tessera with gpu.js), added to the page by those tests.
      'webgl-page': join(root, 'test/browser/webgl-page.ts'),
    },
    outdir: out, bundle: true, format: 'esm', platform: 'browser', target: 'es2022', sourcemap: 'linked', logLevel: 'silent',
  });
  const routes = new Map<string, string>(Object.entries(files));
  for (const f of ['page.js', 'worker-entry.js', 'threads-worker.js', 'webgl-page.js']) {
    routes.set(`/${f}`, join(out, f));
    routes.set(`/${f}.map`, join(out, `${f}.map`));
  }
  const html = '<!doctype html><meta charset="utf-8"><title>tessera browser tests</title><script type="module" src="/page.js"></script>';
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path !== NOT_ISOLATED) {
      res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
      res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    }
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    res.setHeader('Cache-Control', 'no-store');
    if (path === '/' || path === NOT_ISOLATED) {
      res.setHeader('Content-Type', 'text/html');
      res.end(html);
      return;
    }
    const file = routes.get(path);
    if (file === undefined || !existsSync(file)) {
      res.statusCode = 404;
      res.end(`not found: ${path}`);
      return;
    }
    res.setHeader('Content-Type', TYPES[extname(file)] ?? 'application/octet-stream');
    res.end(readFileSync(file));
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ok());
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
      rmSync(out, { recursive: true, force: true });
    },
  };
}

/**
 * A page of `server` with the page script loaded (cross-origin isolated unless `isolated` is
 * false); what it logs and throws is kept for error messages.
 */
export async function openPage(browser: Browser, server: PageServer, isolated = true): Promise<{ page: Page; log: string[] }> {
  const page = await browser.newPage();
  const log: string[] = [];
  page.on('console', (m) => log.push(`[console.${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => log.push(`[pageerror] ${e.message}`));
  page.on('requestfailed', (r) => log.push(`[requestfailed] ${r.url()} ${r.failure()?.errorText ?? ''}`));
  await page.goto(`${server.origin}${isolated ? '/' : NOT_ISOLATED}`);
  await page.waitForFunction(() => (globalThis as { tesseraPage?: unknown }).tesseraPage !== undefined, undefined, { timeout: 30_000 })
    .catch((e: Error) => {
      throw new Error(`the test page did not load its script: ${e.message}\n${log.join('\n')}`);
    });
  return { page, log };
}

/** A browser, a server of `files` and a page of it, for one test file: `close()` ends all three. */
export interface TestPage {
  readonly page: Page;
  readonly log: string[];
  close(): Promise<void>;
}

/**
 * Serves `files`, starts Chromium and opens a page (openPage); with `script`, adds that module
 * (a URL the server serves) and waits until it has set `globalThis[script.global]`.
 */
export async function openTestPage(files: Readonly<Record<string, string>>, script?: { readonly url: string; readonly global: string }): Promise<TestPage> {
  const server = await servePage(files);
  let browser: Browser | undefined;
  try {
    browser = await startBrowser();
    const { page, log } = await openPage(browser, server);
    if (script !== undefined) {
      await page.addScriptTag({ url: script.url, type: 'module' });
      await page.waitForFunction((g) => (globalThis as Record<string, unknown>)[g] !== undefined, script.global, { timeout: 30_000 });
    }
    const b = browser;
    return { page, log, close: async () => { await b.close(); await server.close(); } };
  } catch (e) {
    await browser?.close();
    await server.close();
    throw e;
  }
}
