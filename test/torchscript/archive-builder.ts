// Builds small TorchScript archives in memory (code + a root module with plain attributes), so
// tests can exercise the parser and interpreter on hand-written serialized TorchScript.

import { zipSync } from 'fflate';

type Attr = boolean | string | number | bigint | null;

const enc = new TextEncoder();

function pickleRoot(className: string, attrs: Record<string, Attr>): Uint8Array {
  const out: number[] = [0x80, 2];
  const dot = className.lastIndexOf('.');
  const push = (...b: number[]): void => { out.push(...b); };
  const str = (s: string): void => {
    const b = enc.encode(s);
    push(0x58, b.length & 255, (b.length >> 8) & 255, (b.length >> 16) & 255, b.length >>> 24, ...b);
  };
  push(0x63, ...enc.encode(`${className.slice(0, dot)}\n${className.slice(dot + 1)}\n`));
  push(0x29, 0x81, 0x7d, 0x28); // EMPTY_TUPLE NEWOBJ EMPTY_DICT MARK
  for (const [k, v] of Object.entries(attrs)) {
    str(k);
    if (v === null) push(0x4e);
    else if (typeof v === 'boolean') push(v ? 0x88 : 0x89);
    else if (typeof v === 'string') str(v);
    else if (typeof v === 'bigint') {
      const n = Number(v);
      push(0x4a, n & 255, (n >> 8) & 255, (n >> 16) & 255, (n >>> 24) & 255);
    } else {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setFloat64(0, v, false);
      push(0x47, ...b);
    }
  }
  push(0x75, 0x62, 0x2e); // SETITEMS BUILD STOP
  return new Uint8Array(out);
}

/** code: file path under code/ (e.g. '__torch__.py') -> source. The root class is `rootClass`. */
export function buildArchive(code: Record<string, string>, attrs: Record<string, Attr> = { training: false }, rootClass = '__torch__.M', folder = 'archive', versionFile = 'version'): Uint8Array {
  const files: Record<string, Uint8Array> = {
    [`${folder}/data.pkl`]: pickleRoot(rootClass, attrs),
    [`${folder}/constants.pkl`]: new Uint8Array([0x80, 2, 0x29, 0x2e]),
    [`${folder}/${versionFile}`]: enc.encode('3\n'),
  };
  for (const [path, src] of Object.entries(code)) files[`${folder}/code/${path}`] = enc.encode(src);
  return zipSync(files, { level: 0 });
}
