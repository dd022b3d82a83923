/**
 * The suite's only source of randomness: a seeded PRNG (mulberry32), so that a seed fixes the plan
 * (which runs, which messages, which kill moment after what) and a failure can be replayed with
 * `--seed N`. Timing on a loaded machine still varies; the seed fixes every choice the suite makes.
 */
export function createRng(seed) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const rng = {
    next,
    /** An integer in [min, max], both included. */
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (items) => items[Math.floor(next() * items.length)],
    /** A key of `weights` ({name: weight}), drawn in proportion to its weight. */
    weighted: (weights) => {
      const entries = Object.entries(weights).filter(([, w]) => w > 0);
      const total = entries.reduce((sum, [, w]) => sum + w, 0);
      let r = next() * total;
      for (const [key, w] of entries) {
        r -= w;
        if (r < 0) return key;
      }
      return entries.at(-1)[0];
    },
    /** An independent stream derived from this one (so adding draws in one place does not shift another). */
    fork: () => createRng(Math.floor(next() * 4294967296)),
  };
  return rng;
}
