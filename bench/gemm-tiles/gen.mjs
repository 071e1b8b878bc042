// Tile-size sweep for the float32 GEMM micro-kernel (issue 10): node bench/gemm-tiles/gen.mjs > bench/gemm-tiles/mk.mjs, then
// node bench/gemm-tiles/drv.mjs 4x8 '[[512,512,512],[64,576,3136]]' prints GFLOP/s (CPU time) per M,K,N shape.
// emits micro-kernels for the tile experiment
const tiles = [[4,4],[4,8],[6,8],[8,8],[8,4],[6,4],[2,4],[3,4],[4,2],[4,3],[3,3],[2,6],[2,8]];
let out = '';
for (const [MR, NR] of tiles) {
  const acc = [];
  for (let i=0;i<MR;i++) for (let j=0;j<NR;j++) acc.push(`c${i}_${j}`);
  out += `export function mk${MR}x${NR}(pa, ia, pb, ib, kc, c, ci, ldc, load) {\n`;
  out += `  let ${acc.map(a=>a+' = 0').join(', ')};\n`;
  out += `  for (let p = 0; p < kc; p++) {\n`;
  out += `    ${Array.from({length:NR},(_,j)=>`const b${j} = pb[ib + ${j}]`).join('; ')};\n`;
  for (let i=0;i<MR;i++) {
    out += `    ${i===0?'let ':''}a = pa[ia + ${i}]; ${Array.from({length:NR},(_,j)=>`c${i}_${j} += a * b${j}`).join('; ')};\n`;
  }
  out += `    ia += ${MR}; ib += ${NR};\n  }\n`;
  out += `  if (load) {\n`;
  for (let i=0;i<MR;i++) out += `    ${Array.from({length:NR},(_,j)=>`c[ci + ${j}] += c${i}_${j}`).join('; ')}; ci += ldc;\n`;
  out += `  } else {\n`;
  for (let i=0;i<MR;i++) out += `    ${Array.from({length:NR},(_,j)=>`c[ci + ${j}] = c${i}_${j}`).join('; ')}; ci += ldc;\n`;
  out += `  }\n}\n`;
}
process.stdout.write(out);
