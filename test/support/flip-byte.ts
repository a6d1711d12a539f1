/** Damage for corruption tests: flip a byte of a file on disk. */
import { readFile, writeFile } from 'node:fs/promises';

/** Flips one byte of a file at `offset` (XOR 0x5a), rewriting the file; it must not be open for writing. */
export async function flipByte(path: string, offset: number): Promise<void> {
  const data = await readFile(path);
  data[offset] = data[offset]! ^ 0x5a;
  await writeFile(path, data);
}
