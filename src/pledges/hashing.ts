// Near-duplicate lookup for 64-bit dHashes without comparing against every pledge.
//
// The hash is cut into DHASH_BANDS bands of DHASH_BAND_BITS bits and each pledge is indexed under
// every (band position, band value). If two hashes differ in at most DHASH_MAX_DISTANCE bits,
// spread over DHASH_BANDS bands, then by pigeonhole some band differs in at most
// floor(DHASH_MAX_DISTANCE / DHASH_BANDS) bits: with 6 over 4 bands, in at most 1 bit. So looking up
// each band's exact value plus its 16 one-bit neighbours (4 × 17 = 68 keys, one round trip) is
// guaranteed to find every match. 16-bit bands keep buckets tiny (65,536 values per band, about
// 1.5 entries each at 100,000 pledges), where 8 bands of 8 bits would need no neighbours but
// would put ~400 entries in every bucket and rewrite that list on each submission.

export const DHASH_MAX_DISTANCE = 6;
export const DHASH_BITS = 64;
export const DHASH_BANDS = 4;
export const DHASH_BAND_BITS = DHASH_BITS / DHASH_BANDS;
/** Bits that may differ inside the best-matching band. */
export const DHASH_PROBE_RADIUS = Math.floor(DHASH_MAX_DISTANCE / DHASH_BANDS);

const HEX_PER_BAND = DHASH_BAND_BITS / 4;
const POPCOUNT = [0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4];

if (DHASH_BAND_BITS % 4 !== 0 || DHASH_BAND_BITS > 30 || DHASH_PROBE_RADIUS > 1) {
  // Radius 2 would mean 137 probes per band: change the band layout instead.
  throw new Error('dHash banding constants are inconsistent');
}

/** Hamming distance between two equal-length hex strings. */
export function hammingHex(a: string, b: string): number {
  if (a.length !== b.length) throw new RangeError('hashes differ in length');
  let d = 0;
  for (let i = 0; i < a.length; i++) {
    d += POPCOUNT[parseInt(a[i] ?? '0', 16) ^ parseInt(b[i] ?? '0', 16)] ?? 0;
  }
  return d;
}

export function dhashBands(dhash: string): string[] {
  const bands: string[] = [];
  for (let i = 0; i < DHASH_BANDS; i++) bands.push(dhash.slice(i * HEX_PER_BAND, (i + 1) * HEX_PER_BAND));
  return bands;
}

function bandHex(value: number): string {
  return value.toString(16).padStart(HEX_PER_BAND, '0');
}

/** The (band index, band value) pairs a hash is indexed under: exactly one per band. */
export function dhashIndexEntries(dhash: string): Array<{ band: number; value: string }> {
  return dhashBands(dhash).map((value, band) => ({ band, value }));
}

/** Every (band index, band value) a hash within DHASH_MAX_DISTANCE could be indexed under. */
export function dhashProbes(dhash: string): Array<{ band: number; value: string }> {
  const probes: Array<{ band: number; value: string }> = [];
  dhashBands(dhash).forEach((hex, band) => {
    const v = parseInt(hex, 16);
    probes.push({ band, value: hex });
    if (DHASH_PROBE_RADIUS >= 1) {
      for (let bit = 0; bit < DHASH_BAND_BITS; bit++) probes.push({ band, value: bandHex(v ^ (1 << bit)) });
    }
  });
  return probes;
}
