/**
 * Per-account, per-operation token buckets (spec README "Rate limits"): a bucket holds `qps` tokens and
 * refills at `qps` per second, so short bursts up to one second's budget pass. Budgets of different
 * accounts are independent. Buckets idle for a minute are dropped to keep memory bounded.
 */
export interface Throttle {
  take(accountId: string, action: string, qps: number, now: number): boolean;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

export function createThrottle(): Throttle {
  const buckets = new Map<string, Bucket>();
  let lastSweep = 0;
  return {
    take(accountId, action, qps, now) {
      if (now - lastSweep > 60_000) {
        for (const [key, bucket] of buckets) if (now - bucket.updatedAt > 60_000) buckets.delete(key);
        lastSweep = now;
      }
      const key = `${accountId}\u0000${action}`;
      let bucket = buckets.get(key);
      if (bucket === undefined) buckets.set(key, (bucket = { tokens: qps, updatedAt: now }));
      bucket.tokens = Math.min(qps, bucket.tokens + ((now - bucket.updatedAt) / 1000) * qps);
      bucket.updatedAt = now;
      if (bucket.tokens < 1) return false;
      bucket.tokens -= 1;
      return true;
    },
  };
}
