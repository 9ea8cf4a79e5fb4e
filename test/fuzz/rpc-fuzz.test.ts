import http from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operations } from '../../src/api/ops/index.js';
import { testDialects } from '../support/dialects.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { lostOrChangedRows, type Snapshot, snapshotTables } from './db-snapshot.js';
import { mutationArb, rawCase } from './fuzz-garbage.js';
import { sendRaw } from './fuzz-http.js';
import { exercise, type FuzzCase, FuzzStats, type FuzzTarget } from './fuzz-run.js';
import { seedFleet } from './fuzz-seed.js';
import { type IdentifierPools, isReadOnly, signedCaseFor } from './fuzz-signed.js';
import { PROTOCOL_EDGE_CASES } from './protocol-edge-cases.js';

/**
 * Generated requests against a whole Flotilla over loopback HTTP: correctly signed calls of every Action in
 * the registry with hostile parameters, signed calls broken in one way, and unsigned garbage. Nothing may
 * answer 5xx, crash, hang, or answer outside the Alibaba envelope (rpc-protocol §9); data that existed
 * before must come out byte for byte the same. FLOTILLA_FUZZ_SEED replays a run.
 */
const RUNS: Record<string, number> = { sqlite: Number(process.env.FLOTILLA_FUZZ_RUNS ?? 10_000), postgres: 5_000 };
const BATCH = 8;
const seed = process.env.FLOTILLA_FUZZ_SEED === undefined ? Date.now() : Number(process.env.FLOTILLA_FUZZ_SEED);

for (const dialect of testDialects()) {
  describe(`RPC fuzzing (${dialect})`, () => {
    let server: TestServer;
    let target: FuzzTarget;
    let before: Snapshot;
    let pools: IdentifierPools;

    beforeAll(async () => {
      server = await startTestServer(dialect);
      const protectedIds = await seedFleet(server, 'keep');
      const { accounts } = server.service.services;
      const accountId = (await accounts.resolveKey(server.key.accessKeyId))!.accountId;
      const instanceIds = (await accounts.listInstances(accountId)).map((i) => i.instanceId);
      before = await snapshotTables(server.service.storage.db);
      // Created after the snapshot: the fuzzer may change or delete these.
      const mutable = await seedFleet(server, 'play');
      pools = { mutable: { ...mutable, instanceId: instanceIds }, protectedIds: { ...protectedIds, instanceId: instanceIds } };
      target = {
        port: Number(new URL(server.url).port),
        host: server.endpoint,
        key: server.key,
        // fifo keeps every pooled socket busy, so few sit idle long enough for the server to close them.
        agent: new http.Agent({ keepAlive: true, maxSockets: BATCH, scheduling: 'fifo' }),
      };
    });

    afterAll(async () => {
      target?.agent.destroy();
      await server?.stop();
    });

    it('answers protocol-level garbage with an Alibaba envelope', async () => {
      for (const edge of PROTOCOL_EDGE_CASES) {
        const res = await sendRaw(target.port, edge.bytes(target.host));
        expect(res, edge.name).toBeDefined();
        expect(res!.status, edge.name).toBe(edge.status);
        const body = JSON.parse(res!.body.toString('utf8')) as Record<string, unknown>;
        expect(body, edge.name).toMatchObject({ Code: edge.code, RequestId: expect.stringMatching(/^[0-9A-F-]{36}$/) });
      }
    });

    it(`survives ${RUNS[dialect]} generated requests with data intact`, async () => {
      const stats = new FuzzStats();
      const signed = fc.oneof(...operations.map((op) => signedCaseFor(op, pools)));
      const cases: fc.Arbitrary<FuzzCase> = fc.oneof(
        { weight: 6, arbitrary: signed },
        { weight: 2, arbitrary: fc.record({ kind: fc.constant('mutated' as const), base: signed, mutation: mutationArb() }) },
        { weight: 2, arbitrary: rawCase },
      );
      const started = Date.now();
      // Batches of concurrent requests: the server sees overlapping work, and 2 cores get through 10k in time.
      await fc.assert(
        fc.asyncProperty(fc.array(cases, { minLength: BATCH, maxLength: BATCH }), async (batch) => {
          const settled = await Promise.allSettled(batch.map((c) => exercise(target, c, stats)));
          const failed = settled.find((r) => r.status === 'rejected');
          if (failed) throw failed.reason;
        }),
        { numRuns: Math.ceil(RUNS[dialect]! / BATCH), seed, endOnFailure: process.env.FLOTILLA_FUZZ_SHRINK !== '1' },
      );
      const seconds = (Date.now() - started) / 1000;
      console.info(
        `[fuzz ${dialect}] seed ${seed}: ${stats.requests} requests in ${seconds.toFixed(1)} s; by kind ${JSON.stringify(Object.fromEntries(stats.byKind))}; ` +
          `answers ${JSON.stringify(Object.fromEntries([...stats.byCode].sort((a, b) => b[1] - a[1]).slice(0, 25)))}`,
      );

      expect(stats.requests).toBeGreaterThanOrEqual(RUNS[dialect]!);
      // Every operation's handler ran at least once: the generated parameters reach the operations.
      const missed = operations.map((op) => op.action).filter((a) => !stats.reached.has(a));
      expect(missed).toEqual([]);

      const health = await fetch(`${server.url}/healthz`);
      expect(health.status).toBe(200);

      const after = await snapshotTables(server.service.storage.db);
      expect(lostOrChangedRows(before, after)).toEqual([]);
      // The fuzzer did write: rows it created are there beside the untouched ones.
      const grew = [...after].some(([table, rows]) => rows.size > (before.get(table)?.size ?? 0) && table !== 'api_nonce');
      expect(grew).toBe(true);
    }, 180_000);

    it('keeps read-only operations apart from the rows under protection', () => {
      // Only these may see the protected identifiers; a mistake here would make the data check meaningless.
      const readOnly = operations.filter((op) => isReadOnly(op.action)).map((op) => op.action);
      expect(readOnly.every((a) => !/^(Create|Update|Delete|Register|Save|Batch(Add|Delete|Register|Update)|Disable|Enable|Set|Reset)/.test(a))).toBe(true);
    });
  });
}
