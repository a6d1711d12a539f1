/** A Uint8Array as a Node Buffer over the same bytes, for APIs that take Buffers (no copy). */

/** `bytes` itself when it is a Buffer, else a Buffer view of the same memory. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
