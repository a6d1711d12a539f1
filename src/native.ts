/** Loads the native addon once and exposes its typed surface; says how to fix a failed load. */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NativeAddon } from '../native/index.js';
import { ErrorCode, KvtierError } from './errors.js';

export type { ByteSource, NativeAddon } from '../native/index.js';

const ADDON_PATH = join('build', 'Release', 'kvtier_native.node');

/** The package root: the nearest ancestor of this file that holds binding.gyp (works from src/ and dist/src/). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'binding.gyp'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new KvtierError(ErrorCode.NATIVE_LOAD, 'cannot find the kvtier package root (binding.gyp)');
    dir = parent;
  }
}

function loadAddon(): NativeAddon {
  const root = packageRoot();
  const path = join(root, ADDON_PATH);
  try {
    return createRequire(import.meta.url)(path) as NativeAddon;
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new KvtierError(
      ErrorCode.NATIVE_LOAD,
      `cannot load the kvtier native addon from ${path}: ${reason}\n` +
        `Rebuild it with \`npm run build:native\` (needs python3, make and a C++17 compiler).`,
      { path },
      { cause },
    );
  }
}

/** The native addon, loaded on first import. */
export const native: NativeAddon = loadAddon();
