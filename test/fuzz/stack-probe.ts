// Where is a worker stuck? A synchronous hang or a runaway allocation cannot be interrupted from
// inside, but the inspector can pause a worker's JS from the main thread (V8 delivers the pause as
// an interrupt). The probe pauses the worker, reads its call stack mapped through tsx's inline
// source maps to .ts lines, and resumes it so that Worker.terminate() can end it.

import { Session } from 'node:inspector';
import { SourceMap, type SourceMapPayload } from 'node:module';

interface CallFrame {
  readonly functionName: string;
  readonly location: { readonly scriptId: string; readonly lineNumber: number; readonly columnNumber: number };
}

interface ScriptInfo {
  readonly url: string;
  readonly sourceMapURL: string;
  map?: SourceMap | null;
}

export class StackProbe {
  private readonly session = new Session();
  /** Inspector session id per worker thread id. */
  private readonly workers = new Map<number, string>();
  private readonly scripts = new Map<string, ScriptInfo>();
  private nextId = 1;
  private readonly onPaused = new Map<string, (frames: readonly CallFrame[]) => void>();

  constructor() {
    this.session.connect();
    this.session.on('NodeWorker.attachedToWorker', (m) => {
      const p = m.params as { sessionId: string; workerInfo: { workerId: string; url: string } };
      // A worker's own loader-hooks thread attaches too; only ours runs worker.mjs.
      if (p.workerInfo.url.endsWith('/worker.mjs')) this.workers.set(Number(p.workerInfo.workerId), p.sessionId);
    });
    this.session.on('NodeWorker.receivedMessageFromWorker', (m) => {
      const { sessionId, message } = m.params as { sessionId: string; message: string };
      const msg = JSON.parse(message) as { method?: string; params?: Record<string, unknown> };
      if (msg.method === 'Debugger.scriptParsed') {
        const p = msg.params as { scriptId: string; url: string; sourceMapURL?: string };
        if (/\.ts$/.test(p.url)) this.scripts.set(`${sessionId}:${p.scriptId}`, { url: p.url, sourceMapURL: p.sourceMapURL ?? '' });
      } else if (msg.method === 'Debugger.paused') {
        this.onPaused.get(sessionId)?.((msg.params as { callFrames: CallFrame[] }).callFrames);
      }
    });
    this.session.post('NodeWorker.enable', { waitForDebuggerOnStart: false });
  }

  private send(sessionId: string, method: string): void {
    this.session.post('NodeWorker.sendMessageToWorker', { sessionId, message: JSON.stringify({ id: this.nextId++, method }) });
  }

  private frameName(sessionId: string, f: CallFrame): string {
    const s = this.scripts.get(`${sessionId}:${f.location.scriptId}`);
    const fn = f.functionName || '(anonymous)';
    if (!s) return fn;
    if (s.map === undefined) {
      s.map = null;
      const m = /^data:application\/json;(?:charset=utf-8;)?base64,(.*)$/.exec(s.sourceMapURL);
      if (m) {
        try {
          s.map = new SourceMap(JSON.parse(Buffer.from(m[1]!, 'base64').toString('utf8')) as SourceMapPayload);
        } catch { /* unmapped */ }
      }
    }
    const file = s.url.replace(/^.*?\/((?:src|ops|kernels|test)\/)/, '$1');
    const e = s.map?.findEntry(f.location.lineNumber, f.location.columnNumber) as { originalLine?: number } | undefined;
    const line = e?.originalLine !== undefined ? e.originalLine + 1 : `js${f.location.lineNumber + 1}`;
    return `${fn} (${file}:${line})`;
  }

  /**
   * The call stack of worker `threadId` right now, innermost first, as 'fn (ops/onnx/x.ts:12)';
   * undefined when it could not be had within `waitMs`. The worker is resumed afterwards.
   */
  async stackOf(threadId: number, waitMs = 2000): Promise<string[] | undefined> {
    const sid = this.workers.get(threadId);
    if (!sid) return undefined;
    const frames = await new Promise<readonly CallFrame[] | undefined>((resolve) => {
      const timer = setTimeout(() => { this.onPaused.delete(sid); resolve(undefined); }, waitMs);
      this.onPaused.set(sid, (f) => { clearTimeout(timer); this.onPaused.delete(sid); resolve(f); });
      this.send(sid, 'Debugger.enable');
      this.send(sid, 'Debugger.pause');
    });
    this.send(sid, 'Debugger.resume');
    return frames?.slice(0, 24).map((f) => this.frameName(sid, f));
  }

  forget(threadId: number): void {
    const sid = this.workers.get(threadId);
    this.workers.delete(threadId);
    for (const k of this.scripts.keys()) if (k.startsWith(`${sid}:`)) this.scripts.delete(k);
  }

  close(): void {
    this.session.disconnect();
  }
}
