// workerd data modules (see workerd.test.ts): imported as ArrayBuffers.
declare module '*.onnx' { const bytes: ArrayBuffer; export default bytes; }
declare module '*.npy' { const bytes: ArrayBuffer; export default bytes; }
declare module '*.wasm' { const module: WebAssembly.Module; export default module; }
