// The Deno and Bun hosts' own logic, in Node with stand-ins for Deno.serve and Bun.serve: options
// checked with errors naming the host, and shutdown (by call, AbortSignal or signal) stopping the
// listener before closing the server, once. deno-bun-serve.test.ts runs them in the real runtimes.

import { afterEach, describe, expect, it } from 'vitest';
import { serveWithBun, serveWithDeno } from '../../src/index.js';
import type { ServedHandler } from '../../src/serve/host.js';

const g = globalThis as { Deno?: unknown; Bun?: unknown };
afterEach(() => { delete g.Deno; delete g.Bun; });

/** A handler recording what the host did to it. */
function recordingHandler(events: string[]): ServedHandler {
  return {
    handle: async (r) => { events.push(`handle ${new URL(r.url).pathname}`); return new Response('ok'); },
    ready: async () => { events.push('ready'); },
    close: async () => { events.push('close'); },
  };
}

function fakeDeno(events: string[]) {
  const listeners = new Map<string, () => void>();
  let handler: ((r: Request) => Promise<Response>) | undefined;
  const deno = {
    options: undefined as undefined | Record<string, unknown>,
    serve(options: { port: number; hostname: string; onListen?: (a: { port: number; hostname: string }) => void }, h: (r: Request) => Promise<Response>) {
      deno.options = options;
      handler = h;
      queueMicrotask(() => options.onListen?.({ port: options.port === 0 ? 43210 : options.port, hostname: options.hostname }));
      return { addr: { port: 0, hostname: '' }, finished: Promise.resolve(), shutdown: async () => { events.push('stop listening'); } };
    },
    addSignalListener(s: string, f: () => void) {
      if (s === 'SIGTERM' && deno.noSigterm) throw new TypeError('Windows only supports ctrl-c (SIGINT) and ctrl-break (SIGBREAK)');
      listeners.set(s, f);
    },
    removeSignalListener(s: string, f: () => void) { if (listeners.get(s) === f) listeners.delete(s); },
    noSigterm: false,
    listeners,
    request: (path: string) => handler!(new Request(`http://x${path}`)),
  };
  return deno;
}

describe('serve hosts (with stand-ins for the runtimes)', () => {
  it('refuse to start outside their runtime, naming it', async () => {
    const h = recordingHandler([]);
    await expect(serveWithDeno(h)).rejects.toThrow(/serveWithDeno: no Deno\.serve here/);
    await expect(serveWithBun(h)).rejects.toThrow(/serveWithBun: no Bun\.serve here/);
  });

  it('check the port and Bun\'s idle timeout before the runtime sees them', async () => {
    g.Deno = fakeDeno([]);
    g.Bun = { serve: () => { throw new Error('not reached'); } };
    const h = recordingHandler([]);
    await expect(serveWithDeno(h, { port: 70000 })).rejects.toThrow(/serveWithDeno: port must be an integer in 0\.\.65535, got 70000/);
    await expect(serveWithBun(h, { port: -1 })).rejects.toThrow(/serveWithBun: port must be/);
    await expect(serveWithBun(h, { idleTimeoutSeconds: 300 })).rejects.toThrow(/serveWithBun: idleTimeoutSeconds must be an integer in 0\.\.255, got 300/);
  });

  it('Deno: serve the handler, load at start, and shut down once (listener first, then the server) on SIGTERM', async () => {
    const events: string[] = [];
    const deno = fakeDeno(events);
    g.Deno = deno;
    const host = await serveWithDeno(recordingHandler(events), { port: 0, hostname: '127.0.0.1' });
    expect([host.port, host.hostname]).toEqual([43210, '127.0.0.1']);
    expect(deno.options).toMatchObject({ port: 0, hostname: '127.0.0.1' });
    expect(await (await deno.request('/v2/health/live')).text()).toBe('ok');
    expect([...deno.listeners.keys()].sort()).toEqual(['SIGINT', 'SIGTERM']);
    deno.listeners.get('SIGTERM')!();
    deno.listeners.get('SIGINT')?.();
    await host.finished;
    await host.shutdown();
    expect(events).toEqual(['ready', 'handle /v2/health/live', 'stop listening', 'close']);
    expect(deno.listeners.size).toBe(0);
  });

  it('Deno: listens to the signals the platform has (no SIGTERM on Windows), and shuts down on an AbortSignal', async () => {
    const events: string[] = [];
    const deno = fakeDeno(events);
    deno.noSigterm = true;
    g.Deno = deno;
    const ac = new AbortController();
    const host = await serveWithDeno(recordingHandler(events), { port: 8123, signal: ac.signal });
    expect([...deno.listeners.keys()]).toEqual(['SIGINT']);
    ac.abort();
    await host.finished;
    expect(events).toEqual(['ready', 'stop listening', 'close']);
  });

  it('Bun: serve with the idle timeout, stop gracefully (not closing active connections), then close the server', async () => {
    const events: string[] = [];
    let options: Record<string, unknown> | undefined;
    g.Bun = {
      serve(o: Record<string, unknown>) {
        options = o;
        return { port: 40404, hostname: '127.0.0.1', stop: async (force?: boolean) => { events.push(`stop ${force}`); } };
      },
    };
    const host = await serveWithBun(recordingHandler(events), { port: 0, hostname: '127.0.0.1', handleSignals: false });
    expect(options).toMatchObject({ port: 0, hostname: '127.0.0.1', idleTimeout: 255 });
    expect(host.port).toBe(40404);
    const res = await (options!.fetch as (r: Request) => Promise<Response>)(new Request('http://x/v2'));
    expect(await res.text()).toBe('ok');
    await Promise.all([host.shutdown(), host.shutdown()]);
    expect(events).toEqual(['ready', 'handle /v2', 'stop false', 'close']);
  });
});
