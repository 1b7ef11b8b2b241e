/** Whether the optional WebGPU packages are installed: false when they are, else the reason to skip. */
import { createRequire } from 'node:module';

export const webgpuMissing = (() => {
  try {
    createRequire(import.meta.url).resolve('webgpu');
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-webgpu');
    return false as const;
  } catch {
    return 'needs the optional packages webgpu and @tensorflow/tfjs-backend-webgpu (not installed)';
  }
})();
