/**
 * Draws ranks 1..n with Zipf popularity: rank r has probability proportional to 1 / r^exponent,
 * so a few items get most requests (exponent 1: the top 50 of 500 products get two thirds of the requests).
 * Inverse transform over the cumulative weights, O(log n) a draw.
 * @returns a function giving the next rank, from 1 (most popular) to n
 */
export function zipfSampler(n: number, exponent: number, random: () => number): () => number {
  const cumulative = new Float64Array(n);
  let sum = 0;
  for (let rank = 1; rank <= n; rank++) cumulative[rank - 1] = sum += 1 / Math.pow(rank, exponent);
  return () => {
    const u = random() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cumulative[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  };
}
