/** Time, injectable so tests can replay recorded requests and move past timeouts. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
