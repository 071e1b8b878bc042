// The server's counters in the Prometheus text exposition format (version 0.0.4): infer requests by
// model and status, their latency, and how many requests each session run carried.

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256];

class Histogram {
  readonly counts: number[];
  sum = 0;
  count = 0;
  constructor(readonly buckets: readonly number[]) {
    this.counts = new Array<number>(buckets.length).fill(0);
  }
  observe(v: number): void {
    this.sum += v;
    this.count++;
    for (let i = 0; i < this.buckets.length; i++) if (v <= this.buckets[i]!) this.counts[i]!++;
  }
}

/** A label value escaped as the format asks (backslash, double quote, newline). */
function label(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export class ServerMetrics {
  private readonly requests = new Map<string, { model: string; status: number; n: number }>();
  private readonly latency = new Map<string, Histogram>();
  private readonly batches = new Map<string, Histogram>();
  inflight = 0;

  /** An infer request finished (any status) after `seconds`. */
  request(model: string, status: number, seconds: number): void {
    const key = `${model}\u0000${status}`;
    const r = this.requests.get(key);
    if (r) r.n++;
    else this.requests.set(key, { model, status, n: 1 });
    let h = this.latency.get(model);
    if (!h) this.latency.set(model, (h = new Histogram(LATENCY_BUCKETS)));
    h.observe(seconds);
  }

  /** A session run carried `requests` merged requests. */
  batch(model: string, requests: number): void {
    let h = this.batches.get(model);
    if (!h) this.batches.set(model, (h = new Histogram(BATCH_BUCKETS)));
    h.observe(requests);
  }

  /** The exposition text; `ready` gives each model's readiness. */
  text(ready: readonly { readonly name: string; readonly version: string; readonly ready: boolean }[]): string {
    const lines: string[] = [];
    lines.push('# HELP tessera_inference_requests_total Inference requests by model and HTTP status.');
    lines.push('# TYPE tessera_inference_requests_total counter');
    for (const r of this.requests.values()) lines.push(`tessera_inference_requests_total{model="${label(r.model)}",status="${r.status}"} ${r.n}`);
    histogram(lines, 'tessera_inference_request_duration_seconds', 'Time from receiving an inference request to its response.', this.latency);
    histogram(lines, 'tessera_batch_size', 'Requests merged into one session run.', this.batches);
    lines.push('# HELP tessera_inflight_requests Inference requests being handled now.');
    lines.push('# TYPE tessera_inflight_requests gauge');
    lines.push(`tessera_inflight_requests ${this.inflight}`);
    lines.push('# HELP tessera_model_ready 1 when the model is loaded and serving.');
    lines.push('# TYPE tessera_model_ready gauge');
    for (const m of ready) lines.push(`tessera_model_ready{model="${label(m.name)}",version="${label(m.version)}"} ${m.ready ? 1 : 0}`);
    return `${lines.join('\n')}\n`;
  }
}

function histogram(lines: string[], name: string, help: string, byModel: ReadonlyMap<string, Histogram>): void {
  lines.push(`# HELP ${name} ${help}`);
  lines.push(`# TYPE ${name} histogram`);
  for (const [model, h] of byModel) {
    const m = label(model);
    h.buckets.forEach((b, i) => lines.push(`${name}_bucket{model="${m}",le="${b}"} ${h.counts[i]}`));
    lines.push(`${name}_bucket{model="${m}",le="+Inf"} ${h.count}`);
    lines.push(`${name}_sum{model="${m}"} ${h.sum}`);
    lines.push(`${name}_count{model="${m}"} ${h.count}`);
  }
}
