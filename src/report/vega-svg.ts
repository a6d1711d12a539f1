/** Renders a Vega-Lite spec to an SVG string in Node: no canvas, no DOM, and no network. */
import * as vega from 'vega';
import * as vegaLite from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';

/**
 * A loader that refuses every URL or file: report charts carry their data inline, so any load is
 * a bug, and refusing keeps rendering offline and free of surprises.
 */
const offlineLoader: vega.Loader = {
  load: (uri) => Promise.reject(new Error(`report charts load no data from outside (asked for ${uri})`)),
  sanitize: (uri) => Promise.reject(new Error(`report charts load no data from outside (asked for ${uri})`)),
  http: (uri) => Promise.reject(new Error(`report charts make no HTTP requests (asked for ${uri})`)),
  file: (filename) => Promise.reject(new Error(`report charts read no files (asked for ${filename})`)),
};

/** Compiles `spec` with Vega-Lite and renders it headless with Vega's SVG string renderer. */
export async function renderVegaLiteSvg(spec: TopLevelSpec): Promise<string> {
  const compiled = vegaLite.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', loader: offlineLoader, logLevel: vega.Warn });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
