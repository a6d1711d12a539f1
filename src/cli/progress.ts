/** A progress bar on stderr for long work; silent when stderr is not a terminal or with --quiet. */

/** Reports progress as (done, total). */
export type ProgressReporter = (done: number, total: number) => void;

const WIDTH = 30;

/** A reporter that draws `label [#####-----] 42%`, redrawing at most every 100 ms. */
export function progressBar(label: string, enabled: boolean): { report: ProgressReporter; done(): void } {
  const stream = process.stderr;
  if (!enabled || !stream.isTTY) return { report: () => {}, done: () => {} };
  let last = 0;
  const draw = (done: number, total: number) => {
    const share = total > 0 ? Math.min(1, done / total) : 1;
    const filled = Math.round(share * WIDTH);
    stream.write(`\r${label} [${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${(share * 100).toFixed(0)}%`);
  };
  return {
    report(done, total) {
      const now = Date.now();
      if (now - last < 100 && done < total) return;
      last = now;
      draw(done, total);
    },
    done() {
      stream.write('\r\x1b[2K');
    },
  };
}
