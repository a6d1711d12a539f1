import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DeviceModel, LinkModel } from '../../src/hardware/device.js';
import { TransferQueues } from '../../src/replay/transfer-queues.js';

// Round figures so every finish time can be worked out by hand (bytes/s and seconds).
function device(name: string, read: number, write: number, latencySec: number): DeviceModel {
  return { name, readBytesPerSec: read, writeBytesPerSec: write, latencySec, capacityBytes: 1e12, source: 'test' };
}
function link(name: string, bytesPerSec: number, latencySec: number): LinkModel {
  return { name, bytesPerSec, latencySec, source: 'test' };
}

const hbm = device('hbm', 1000, 1000, 0);
const ddr = device('ddr', 200, 100, 0.01);
const ssd = device('ssd', 50, 25, 0.1);
const hdd = device('hdd', 20, 20, 0.5);
const pcie = link('pcie', 400, 0.001);
const nvme = link('nvme', 100, 0.02);
const sata = link('sata', 40, 0.002);

function fourTiers(): TransferQueues {
  return new TransferQueues([hbm, ddr, ssd, hdd], [pcie, nvme, sata]);
}

describe('TransferQueues', () => {
  it('queues two overlapping loads that share a device and a link', () => {
    const queues = fourTiers();
    // ddr → hbm: min(ddr read 200, pcie 400, hbm write 1000) = 200 B/s; latency max(0.01, 0.001, 0) → 0.51 s.
    expect(queues.load(1, 100, 0)).toBeCloseTo(0.51, 12);
    expect(queues.lastStartSec).toBe(0);
    // Requested at 0.2 while the first holds ddr, pcie (up) and hbm: starts at 0.51.
    expect(queues.load(1, 100, 0.2)).toBeCloseTo(1.02, 12);
    expect(queues.lastStartSec).toBeCloseTo(0.51, 12);

    const snap = queues.snapshot();
    expect(snap.tiers[1]).toMatchObject({ name: 'ddr', device: 'ddr', bytes: 200, transfers: 2 });
    expect(snap.tiers[1]!.busySec).toBeCloseTo(1.02, 12);
    // Service plus queueing: 0.51 + (1.02 − 0.2).
    expect(snap.tiers[1]!.elapsedSec).toBeCloseTo(1.33, 12);
    expect(snap.tiers[0]!.busySec).toBeCloseTo(1.02, 12);
    expect(snap.tiers[2]).toMatchObject({ busySec: 0, bytes: 0, transfers: 0 });
    expect(snap.links[0]).toMatchObject({ name: 'pcie', between: ['hbm', 'ddr'], bytes: 200 });
    expect(snap.links[0]!.up.busySec).toBeCloseTo(1.02, 12);
    expect(snap.links[0]!.down).toEqual({ busySec: 0, bytes: 0, transfers: 0, elapsedSec: 0 });
    expect(snap.gpuLink).toBeUndefined();
    expect(queues.deviceBusySec(1)).toBeCloseTo(1.02, 12);
    expect(queues.deviceBytes(0)).toBe(200);
    expect(queues.deviceElapsedSec(1)).toBeCloseTo(1.33, 12);
    expect(queues.linkBytes(0)).toBe(200);
    expect(queues.linkBusySec(0)).toBeCloseTo(1.02, 12);
    expect(queues.linkBytes(1)).toBe(0);
    expect(queues.gpuLinkBytes()).toBe(0);
    expect(queues.drainSec()).toBeCloseTo(1.02, 12);
  });

  it('runs transfers on disjoint devices and links in parallel', () => {
    const queues = fourTiers();
    // hbm → ddr: min(1000, pcie 400, ddr write 100) = 100 B/s; latency 0.01 → 1.01 s.
    expect(queues.transfer(0, 1, 100, 0)).toBeCloseTo(1.01, 12);
    // ssd → hdd: min(ssd read 50, sata 40, hdd write 20) = 20 B/s; latency max(0.1, 0.002, 0.5) → 2.5 s.
    expect(queues.transfer(2, 3, 40, 0)).toBeCloseTo(2.5, 12);
    expect(queues.lastStartSec).toBe(0);
    expect(queues.drainSec()).toBeCloseTo(2.5, 12);
  });

  it('crosses every link between distant tiers but holds only the two end devices; links are full duplex', () => {
    const queues = fourTiers();
    // hdd → hbm over sata, nvme, pcie: min(20, 40, 100, 400, 1000) = 20 B/s; latency 0.5 → 5.5 s.
    expect(queues.load(3, 100, 0)).toBeCloseTo(5.5, 12);
    // ddr → ssd goes down nvme while the load goes up it; ddr and ssd are free:
    // min(ddr read 200, nvme 100, ssd write 25) = 25 B/s, latency 0.1 → 1 + 2.1.
    expect(queues.transfer(1, 2, 50, 1)).toBeCloseTo(3.1, 12);
    // ddr → hbm needs pcie (up) and hbm, both held by the first load until 5.5: 5.5 + 0.51.
    expect(queues.load(1, 100, 2)).toBeCloseTo(6.01, 12);
    const snap = queues.snapshot();
    expect(snap.links.map((l) => [l.name, l.up.bytes, l.down.bytes])).toEqual([
      ['pcie', 200, 0],
      ['nvme', 100, 50],
      ['sata', 100, 0],
    ]);
    expect(snap.tiers.map((t) => t.bytes)).toEqual([200, 150, 50, 100]);
  });

  it('times loads and stores over a GPU link when tier 0 is host memory', () => {
    const pcieToGpu = link('pcie-gpu', 80, 0.005);
    const queues = new TransferQueues([ddr, ssd], [nvme], { gpuLink: pcieToGpu, tierNames: ['dram', 'flash'] });
    // dram → GPU: min(ddr read 200, gpu link 80) = 80 B/s; latency max(0.01, 0.005) → 1.01 s.
    expect(queues.load(0, 80, 0)).toBeCloseTo(1.01, 12);
    // GPU → flash down the GPU link and nvme: min(80, 100, ssd write 25) = 25 B/s; latency 0.1 → 2.1 s, in parallel.
    expect(queues.store(1, 50, 0)).toBeCloseTo(2.1, 12);
    // flash → GPU waits for the flash device (2.1): min(50, 100, 80) = 50 B/s; latency 0.1 → 2.1 + 1.1.
    expect(queues.load(1, 50, 0.5)).toBeCloseTo(3.2, 12);
    const snap = queues.snapshot();
    expect(snap.tiers.map((t) => t.name)).toEqual(['dram', 'flash']);
    expect(snap.gpuLink).toMatchObject({ name: 'pcie-gpu', between: ['gpu', 'dram'], bytes: 180 });
    expect(snap.gpuLink!.up.bytes).toBe(130);
    expect(snap.gpuLink!.up.busySec).toBeCloseTo(2.11, 12);
    expect(snap.gpuLink!.down.busySec).toBeCloseTo(2.1, 12);
    expect(snap.links[0]).toMatchObject({ name: 'nvme', between: ['dram', 'flash'], bytes: 100 });
    expect(queues.gpuLinkBytes()).toBe(180);
    expect(queues.gpuLinkBusySec()).toBeCloseTo(4.21, 12);
    expect(queues.linkBytes(0)).toBe(100);
  });

  it('treats tier 0 as GPU memory without a GPU link: its hits and stores cost nothing', () => {
    const queues = fourTiers();
    expect(queues.load(0, 1e6, 3)).toBe(3);
    expect(queues.store(0, 1e6, 4)).toBe(4);
    // A store below tier 0 starts from it: hbm → ssd = min(1000, 400, 100, ssd write 25), latency 0.1.
    expect(queues.store(2, 25, 0)).toBeCloseTo(1.1, 12);
    expect(queues.deviceBytes(0)).toBe(25);
    expect(queues.gpuLinkBusySec()).toBe(0);
    expect(() => queues.linkBusySec(3)).toThrow('expected a link index in [0, 2] for `link`, got 3');
  });

  it('moves zero bytes instantly without counting a transfer', () => {
    const queues = fourTiers();
    expect(queues.transfer(0, 3, 0, 7)).toBe(7);
    expect(queues.snapshot().tiers.every((t) => t.transfers === 0)).toBe(true);
  });

  it('rejects bad tiers, sizes, times and configurations', () => {
    const queues = fourTiers();
    expect(() => queues.transfer(1, 1, 10, 0)).toThrow('expected a tier other than fromTier (1) for `toTier`, got 1');
    expect(() => queues.transfer(0, 4, 10, 0)).toThrow('expected a tier index in [0, 3] for `toTier`, got 4');
    expect(() => queues.load(-1, 10, 0)).toThrow('`fromTier`');
    expect(() => queues.load(1.5, 10, 0)).toThrow('`fromTier`');
    expect(() => queues.load(1, -10, 0)).toThrow('expected a non-negative finite number for `bytes`, got -10');
    expect(() => queues.load(0, 10, Number.NaN)).toThrow('expected a finite number for `atSec`, got NaN');
    expect(() => new TransferQueues([hbm, ddr], [])).toThrow(
      'expected 1 links (one between each pair of adjacent tiers) for `links`, got an array of 0',
    );
    expect(() => new TransferQueues([], [])).toThrow('`devices`');
    expect(() => new TransferQueues([device('bad', 0, 1, 0)], [])).toThrow(
      'expected a positive finite number for `devices[0].readBytesPerSec`, got 0',
    );
    expect(() => new TransferQueues([hbm, ddr], [link('neg', 1, -1)])).toThrow(
      '`links[0].latencySec`',
    );
  });

  it('never overlaps two transfers on one device and starts none before it was requested', () => {
    const op = fc.record({
      from: fc.integer({ min: 0, max: 3 }),
      to: fc.integer({ min: 0, max: 3 }),
      bytes: fc.integer({ min: 1, max: 1000 }),
      gapSec: fc.double({ min: 0, max: 5, noNaN: true }),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const queues = fourTiers();
        const lastFinish = [0, 0, 0, 0];
        const busy = [0, 0, 0, 0];
        let atSec = 0;
        for (const { from, to, bytes, gapSec } of ops) {
          atSec += gapSec;
          if (from === to) continue;
          const finish = queues.transfer(from, to, bytes, atSec);
          const start = queues.lastStartSec;
          expect(start).toBeGreaterThanOrEqual(atSec);
          expect(finish).toBeGreaterThan(start);
          for (const tier of [from, to]) {
            expect(start).toBeGreaterThanOrEqual(lastFinish[tier]!);
            lastFinish[tier] = finish;
            busy[tier]! += finish - start;
          }
        }
        for (let tier = 0; tier < 4; tier++) expect(queues.deviceBusySec(tier)).toBeCloseTo(busy[tier]!, 9);
      }),
      { numRuns: 200 },
    );
  });
});
