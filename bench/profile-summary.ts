// Summarises a V8 .cpuprofile by self time per function:
//   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/run.ts --only resnet18@224 --runtimes tessera
//   npx tsx bench/profile-summary.ts /tmp/prof/CPU.*.cpuprofile [--top 15]

import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const args = process.argv.slice(2);
const topAt = args.indexOf('--top');
const top = topAt >= 0 ? Number(args.splice(topAt, 2)[1]) : 15;
if (!args.length) throw new Error('usage: tsx bench/profile-summary.ts FILE.cpuprofile... [--top N]');

for (const file of args) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    total += dt;
    const f = byId.get(id)!.callFrame;
    let where = f.url;
    if (where.startsWith('file://')) where = relative(process.cwd(), fileURLToPath(where));
    const key = `${f.functionName || '(anonymous)'}  ${where ? `${where}:${f.lineNumber + 1}` : ''}`.trim();
    self.set(key, (self.get(key) ?? 0) + dt);
  });
  console.log(`\n${file}: ${(total / 1e6).toFixed(2)} s sampled; top ${top} by self time`);
  const rows = [...self].sort((a, b) => b[1] - a[1]).slice(0, top);
  for (const [key, us] of rows) {
    console.log(`${(us / 1e3).toFixed(0).padStart(8)} ms ${((100 * us) / total).toFixed(1).padStart(5)}%  ${key}`);
  }
}
