// Modules compiled ahead of time, for hosts that refuse to compile bytes at run time (workerd):
// registered by the application, looked up by compileModule (host.ts). Apart from host.ts so that
// the main entry, which exports registerPrecompiledModules, does not carry the host probes in
// every bundle (test/unit/bundle-budgets.test.ts).

/**
 * Modules compiled ahead of time, by name: where a host refuses to compile bytes at run time
 * (workerd), the same bytes written at build time (scripts/emit-wasm.ts: dist/wasm/NAME.wasm)
 * arrive as WebAssembly.Module values its loader made from the files, and are registered here.
 */
const precompiled = new Map<string, { readonly module: WebAssembly.Module; readonly key: string | undefined }>();

/**
 * Registers modules compiled ahead of time (e.g. `import gemm from 'tessera/wasm/gemm.wasm'` in a
 * Cloudflare worker), by the names in dist/wasm/modules.json, each with its key from that file
 * (a module whose key does not match the bytes this build emits is ignored).
 */
export function registerPrecompiledModules(modules: Readonly<Record<string, WebAssembly.Module | { module: WebAssembly.Module; key: string }>>): void {
  for (const [name, m] of Object.entries(modules)) {
    precompiled.set(name, m instanceof WebAssembly.Module ? { module: m, key: undefined } : { module: m.module, key: m.key });
  }
}

/** The module registered under `name`, with its key, if any. */
export function precompiledModule(name: string): { readonly module: WebAssembly.Module; readonly key: string | undefined } | undefined {
  return precompiled.get(name);
}
