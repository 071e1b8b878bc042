// Cheap detection of TorchScript archives for format dispatch (InferenceSession.create, the CLI).

import { isZip, ZipArchive } from '../pickle/zip.js';

/** A zip with <folder>/data.pkl and a <folder>/code/ directory: torch.jit.save's layout. */
export function looksLikeTorchScript(bytes: Uint8Array): boolean {
  if (!isZip(bytes)) return false;
  try {
    const names = new ZipArchive(bytes).names();
    const pkl = names.find((n) => /^[^/]+\/data\.pkl$/.test(n));
    if (!pkl) return false;
    const prefix = pkl.slice(0, -'data.pkl'.length);
    return names.some((n) => n.startsWith(`${prefix}code/`));
  } catch {
    return false;
  }
}
