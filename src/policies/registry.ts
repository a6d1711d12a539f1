/** The policy registry: maps case-insensitive names to factories, so configs name a policy by string. */
import { ErrorCode, KvtierError, invalidArgument } from '../errors.js';
import { createArc } from './arc.js';
import { createFifo } from './fifo.js';
import { createLfu } from './lfu.js';
import { createLru } from './lru.js';
import { createOpt } from './opt.js';
import type { EvictionPolicy, PolicyContext, PolicyFactory, PolicyOptions } from './policy.js';
import { createPrefixLru } from './prefix-lru.js';
import { createS3Fifo } from './s3fifo.js';
import { createTtl } from './ttl.js';

const FACTORIES: ReadonlyMap<string, PolicyFactory> = new Map<string, PolicyFactory>([
  ['arc', createArc],
  ['fifo', createFifo],
  ['lfu', createLfu],
  ['lru', createLru],
  ['opt', createOpt],
  ['prefix-lru', createPrefixLru],
  ['s3fifo', createS3Fifo],
  ['ttl', createTtl],
]);

/** Every registered policy name, lower case, sorted. */
export function policyNames(): string[] {
  return [...FACTORIES.keys()].sort();
}

/** Whether `name` (any case) names a registered policy. */
export function isPolicyName(name: string): boolean {
  return typeof name === 'string' && FACTORIES.has(name.toLowerCase());
}

/**
 * Builds the policy called `name` (case-insensitive) for one tier. Throws ERR_CONFIG for an
 * unknown name, listing the valid ones, and whatever the policy's own factory throws for a
 * context or options it cannot use (e.g. `opt` without `context.nextUse`).
 */
export function createPolicy(name: string, context: PolicyContext, options?: PolicyOptions): EvictionPolicy {
  if (typeof name !== 'string') throw invalidArgument('name', 'a policy name (string)', name);
  const factory = FACTORIES.get(name.toLowerCase());
  if (factory === undefined) {
    const valid = policyNames();
    throw new KvtierError(
      ErrorCode.CONFIG,
      `unknown eviction policy ${JSON.stringify(name)}; valid policies: ${valid.join(', ')}`,
      { name, valid },
    );
  }
  return factory(context, options);
}
