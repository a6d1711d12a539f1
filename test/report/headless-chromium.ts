/**
 * Drives the system's Chromium (Debian package) over the DevTools protocol on a pipe, with no npm
 * browser package and nothing downloaded: open a file, wait for it to load, evaluate an expression.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';

/** Where Chromium is looked for; CHROMIUM_PATH overrides. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** What loading a page produced, besides the expression's value. */
export interface PageVisit<T> {
  value: T;
  /** URLs the page asked for (the page itself included). */
  requests: string[];
  /** Console and browser log entries of level error or warning (CSP violations land here). */
  problems: string[];
  /** Uncaught exceptions in the page. */
  exceptions: string[];
}

interface Message {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
  sessionId?: string;
}

class DevToolsPipe {
  private nextId = 1;
  private buffer = '';
  private readonly pending = new Map<number, { resolve: (m: Message) => void; reject: (e: Error) => void }>();
  private readonly listeners: ((m: Message) => void)[] = [];

  constructor(
    private readonly input: Writable,
    output: Readable,
  ) {
    output.setEncoding('utf8');
    output.on('data', (chunk: string) => {
      this.buffer += chunk;
      let end: number;
      while ((end = this.buffer.indexOf('\0')) >= 0) {
        const message = JSON.parse(this.buffer.slice(0, end)) as Message;
        this.buffer = this.buffer.slice(end + 1);
        if (message.id !== undefined) {
          const waiter = this.pending.get(message.id);
          this.pending.delete(message.id);
          if (message.error) waiter?.reject(new Error(`DevTools: ${message.error.message}`));
          else waiter?.resolve(message);
        } else {
          for (const listener of this.listeners) listener(message);
        }
      }
    });
  }

  send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    const message: Message = { id, method, params };
    if (sessionId) message.sessionId = sessionId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: (m) => resolve(m.result ?? {}), reject });
      this.input.write(`${JSON.stringify(message)}\0`);
    });
  }

  on(listener: (m: Message) => void): void {
    this.listeners.push(listener);
  }

  failAll(error: Error): void {
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
  }
}

function requireChromium(): void {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}: the HTML report's browser test needs it. ` +
        'Install it with `apt-get update && apt-get install -y chromium` (or set CHROMIUM_PATH).',
    );
  }
}

/**
 * Opens `file` in a fresh headless Chromium profile, waits for the load event, and returns the
 * value of `expression` (a JSON-serialisable result) with the page's requests and problems.
 */
export async function visitFile<T>(file: string, expression: string): Promise<PageVisit<T>> {
  requireChromium();
  const profile = await mkdtemp(path.join(os.tmpdir(), 'kvtier-chromium-'));
  const child: ChildProcess = spawn(
    CHROMIUM_PATH,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
      `--user-data-dir=${profile}`,
      '--remote-debugging-pipe',
      'about:blank',
    ],
    { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const pipe = new DevToolsPipe(child.stdio[3] as Writable, child.stdio[4] as Readable);
  const exited = new Promise<never>((_, reject) => {
    child.once('error', (error) => reject(error));
    child.once('exit', (code, signal) => reject(new Error(`Chromium exited early (code ${code}, signal ${signal}): ${stderr}`)));
  });
  exited.catch((error: Error) => pipe.failAll(error));
  try {
    const requests: string[] = [];
    const problems: string[] = [];
    const exceptions: string[] = [];
    let loaded!: () => void;
    const loadFired = new Promise<void>((resolve) => (loaded = resolve));
    pipe.on((m) => {
      const p = m.params ?? {};
      if (m.method === 'Network.requestWillBeSent') requests.push(String((p.request as { url: string }).url));
      if (m.method === 'Page.loadEventFired') loaded();
      if (m.method === 'Log.entryAdded') {
        const entry = p.entry as { level: string; text: string };
        if (entry.level === 'error' || entry.level === 'warning') problems.push(entry.text);
      }
      if (m.method === 'Runtime.consoleAPICalled' && (p.type === 'error' || p.type === 'warning')) {
        problems.push(JSON.stringify(p.args));
      }
      if (m.method === 'Runtime.exceptionThrown') exceptions.push(JSON.stringify(p.exceptionDetails));
    });
    const run = async (): Promise<PageVisit<T>> => {
      const { targetId } = await pipe.send('Target.createTarget', { url: 'about:blank' });
      const { sessionId } = (await pipe.send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string };
      for (const domain of ['Page', 'Network', 'Runtime', 'Log']) await pipe.send(`${domain}.enable`, {}, sessionId);
      await pipe.send('Page.navigate', { url: pathToFileURL(file).href }, sessionId);
      await loadFired;
      const evaluated = (await pipe.send('Runtime.evaluate', { expression, returnByValue: true }, sessionId)) as {
        result: { value: T };
        exceptionDetails?: unknown;
      };
      if (evaluated.exceptionDetails) throw new Error(`evaluation failed: ${JSON.stringify(evaluated.exceptionDetails)}`);
      return { value: evaluated.result.value, requests, problems, exceptions };
    };
    return await Promise.race([run(), exited]);
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      // Ask politely, then make sure: a stuck browser must not outlive the test.
      const gone = new Promise((resolve) => child.once('exit', resolve));
      pipe.send('Browser.close').catch(() => undefined);
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(timer);
    }
    await rm(profile, { recursive: true, force: true });
  }
}
