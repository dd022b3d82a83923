/** The production Clock and Ids: wall time and cryptographic randomness. */
import { createIds } from "../engine/ids";
import type { Clock, Ids } from "../engine/ports";

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

const buffer = new Uint32Array(64);
let next = buffer.length;

/** A uniform number in [0, 1) from the platform's CSPRNG. */
export function cryptoRandom(): number {
  if (next >= buffer.length) {
    crypto.getRandomValues(buffer);
    next = 0;
  }
  return (buffer[next++] ?? 0) / 4294967296;
}

export const systemIds: Ids = createIds(() => Date.now(), cryptoRandom);
