/** Loads the native addon once and exposes its typed surface; says how to fix a failed load. */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NativeAddon } from '../native/index.js';
import { ErrorCode, KvtierError } from './errors.js';

export type { ByteSource, FileMap, NativeAddon } from '../native/index.js';

const ADDON_PATH = join('build', 'Release', 'kvtier_native.node');

/**
 * Environment variable naming another build of the addon to load instead of build/Release
 * (absolute, or relative to the working directory); scripts/asan.sh points it at an ASAN build.
 */
export const NATIVE_PATH_ENV = 'KVTIER_NATIVE_PATH';

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

function addonPath(): string {
  const override = process.env[NATIVE_PATH_ENV];
  return override ? resolve(override) : join(packageRoot(), ADDON_PATH);
}

function loadAddon(path: string): NativeAddon {
  const override = process.env[NATIVE_PATH_ENV];
  try {
    return createRequire(import.meta.url)(path) as NativeAddon;
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    const fix = override
      ? `Unset ${NATIVE_PATH_ENV} to use the default build, or point it at a built kvtier_native.node.`
      : `Rebuild it with \`npm run build:native\` (needs python3, make and a C++17 compiler).`;
    throw new KvtierError(
      ErrorCode.NATIVE_LOAD,
      `cannot load the kvtier native addon from ${path}: ${reason}\n${fix}`,
      { path },
      { cause },
    );
  }
}

/** The file the addon was loaded from (child processes in tests load the same build). */
export const nativePath: string = addonPath();

/** The native addon, loaded on first import. */
export const native: NativeAddon = loadAddon(nativePath);
