/** Growth of the typed-array columns kept per id or per slot: one copy into a larger array of the same type. */

/** The typed arrays the columns use. */
export type Column = Uint8Array | Uint16Array | Int32Array | Uint32Array | Float64Array | BigUint64Array;

/** A new array of the same type as `column` with `length` elements: its values first, zeros after. */
export function resized<T extends Column>(column: T, length: number): T {
  const grown = new (column.constructor as new (length: number) => T)(length);
  // `set` takes only the array's own element type; T is one of them, which TypeScript cannot see through the union.
  grown.set(column as never);
  return grown;
}
