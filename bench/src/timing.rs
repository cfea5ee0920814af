//! Timing: repeated measurements, their order statistics, the SHA-256 baseline, a
//! deterministic sampler, and how durations and rates are written.
//!
//! Medians rather than means: a benchmark on a shared machine sees occasional stalls (a
//! page-cache flush, another process), and one stall should move a mean but not a median.
//! Tail latency is reported separately as a percentile, where stalls belong.

use std::hint::black_box;
use std::time::{Duration, Instant};

use sha2::{Digest as _, Sha256};

/// Durations of repeated runs of one measurement, kept sorted.
#[derive(Clone, Debug)]
pub struct Samples(Vec<Duration>);

impl Samples {
    /// Sorts `durations`. There must be at least one.
    pub fn new(mut durations: Vec<Duration>) -> Samples {
        assert!(
            !durations.is_empty(),
            "a measurement needs at least one run"
        );
        durations.sort_unstable();
        Samples(durations)
    }

    /// Number of runs.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always false: a `Samples` holds at least one run.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The median (the mean of the two middle runs when their number is even).
    pub fn median(&self) -> Duration {
        let n = self.0.len();
        if n % 2 == 1 {
            self.0[n / 2]
        } else {
            (self.0[n / 2 - 1] + self.0[n / 2]) / 2
        }
    }

    /// The `p`-th percentile by the nearest-rank method (`p` in `(0, 100]`): the smallest run
    /// that at least `p` % of the runs do not exceed.
    pub fn percentile(&self, p: f64) -> Duration {
        let n = self.0.len();
        let rank = ((p / 100.0) * n as f64).ceil() as usize;
        self.0[rank.clamp(1, n) - 1]
    }

    /// The fastest run.
    pub fn min(&self) -> Duration {
        self.0[0]
    }

    /// The slowest run.
    pub fn max(&self) -> Duration {
        self.0[self.0.len() - 1]
    }

    /// The sum of all runs.
    pub fn total(&self) -> Duration {
        self.0.iter().sum()
    }

    /// The runs of both, as one measurement: a baseline measured at the start and at the
    /// end of a benchmark and pooled spans the whole run, so a disturbance during one of
    /// the two moves the median less.
    pub fn pooled(&self, other: &Samples) -> Samples {
        Samples::new(self.0.iter().chain(&other.0).copied().collect())
    }
}

/// Runs `f` `runs` times and times each run. The result of every run goes through
/// [`black_box`], so the work cannot be optimized away, and is dropped after the clock
/// stops.
pub fn repeat<T>(runs: usize, mut f: impl FnMut() -> T) -> Samples {
    let durations = (0..runs.max(1))
        .map(|_| {
            let started = Instant::now();
            let out = black_box(f());
            let took = started.elapsed();
            drop(out);
            took
        })
        .collect();
    Samples::new(durations)
}

/// Measures `a` and `b` in alternation, `rounds` times each, and pools each one's runs.
/// A disturbance that lasts a while (another process compiling, say) then falls on both
/// measurements instead of on whichever happened to be running, which keeps their ratio
/// honest on a shared machine.
pub fn interleaved(
    rounds: usize,
    mut a: impl FnMut() -> Samples,
    mut b: impl FnMut() -> Samples,
) -> (Samples, Samples) {
    let (mut all_a, mut all_b) = (a(), b());
    for _ in 1..rounds {
        all_a = all_a.pooled(&a());
        all_b = all_b.pooled(&b());
    }
    (all_a, all_b)
}

/// Raw SHA-256 throughput on inputs of one size: the baseline of the ledger benchmark.
#[derive(Clone, Debug)]
pub struct HashBaseline {
    /// Bytes hashed per call.
    pub input_len: usize,
    /// The time of one hash in each run (the run's time divided by its hash count).
    pub runs: Samples,
}

impl HashBaseline {
    /// Median time of one hash.
    pub fn per_hash(&self) -> Duration {
        self.runs.median()
    }

    /// Hashes per second at the median.
    pub fn hashes_per_sec(&self) -> f64 {
        1.0 / self.per_hash().as_secs_f64()
    }

    /// Megabytes (10^6 bytes) of input per second at the median.
    pub fn mb_per_sec(&self) -> f64 {
        self.input_len as f64 * self.hashes_per_sec() / 1e6
    }

    /// The time `n` hashes take, e.g. the `log2 n` hashes a proof verification needs.
    pub fn time_for(&self, n: u32) -> Duration {
        self.per_hash() * n
    }

    /// This baseline and a later measurement of the same inputs, pooled
    /// ([`Samples::pooled`]).
    pub fn pooled(&self, later: &HashBaseline) -> HashBaseline {
        HashBaseline {
            input_len: self.input_len,
            runs: self.runs.pooled(&later.runs),
        }
    }
}

/// Measures SHA-256 (the `sha2` crate, as the ledger engine calls it) on `input_len`-byte
/// inputs: `runs` runs of `count` hashes each.
///
/// Each input carries the previous digest in its first bytes, the way a Merkle tree's parent
/// carries its children, so the hashes form a dependency chain the compiler cannot batch or
/// skip.
pub fn sha256_baseline(input_len: usize, count: u32, runs: usize) -> HashBaseline {
    let mut input = vec![0xA5u8; input_len];
    let carried = input_len.min(32);
    let count = count.max(1);
    let samples = repeat(runs, || {
        let mut digest = [0u8; 32];
        for _ in 0..count {
            input[..carried].copy_from_slice(&digest[..carried]);
            digest = Sha256::digest(&input).into();
        }
        digest
    });
    let per_hash = Samples::new(samples.0.iter().map(|run| *run / count).collect());
    HashBaseline {
        input_len,
        runs: per_hash,
    }
}

/// SplitMix64: a tiny, seeded generator for choosing which leaves to prove. A benchmark
/// needs the same choices on every run, not cryptographic randomness.
#[derive(Clone, Debug)]
pub struct Sampler(u64);

impl Sampler {
    /// A generator whose sequence is fixed by `seed`.
    pub fn new(seed: u64) -> Sampler {
        Sampler(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `[0, n)` (`n` > 0), by multiply-and-shift (bias below 2^-40 for the sizes
    /// used here).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }
}

/// A duration with three significant digits in a fitting unit: `142 ns`, `85.3 µs`,
/// `1.27 s`.
pub fn fmt_duration(d: Duration) -> String {
    let ns = d.as_secs_f64() * 1e9;
    let (value, unit) = if ns < 1e3 {
        (ns, "ns")
    } else if ns < 1e6 {
        (ns / 1e3, "µs")
    } else if ns < 1e9 {
        (ns / 1e6, "ms")
    } else {
        (ns / 1e9, "s")
    };
    format!("{} {unit}", sig3(value))
}

/// A rate or a large count with three significant digits, an SI prefix and a unit:
/// `21.3 k appends/s`, `7.12 M hashes/s`, `412 docs/s`.
pub fn fmt_rate(x: f64, unit: &str) -> String {
    let (value, prefix) = if x >= 1e9 {
        (x / 1e9, "G ")
    } else if x >= 1e6 {
        (x / 1e6, "M ")
    } else if x >= 1e3 {
        (x / 1e3, "k ")
    } else {
        (x, "")
    };
    format!("{} {prefix}{unit}", sig3(value))
}

/// An integer with thousands separators: `1,000,000`.
pub fn fmt_int(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A ratio with three significant digits, in scientific notation below 0.001.
pub fn fmt_ratio(x: f64) -> String {
    if x != 0.0 && x.abs() < 1e-3 {
        format!("{x:.2e}")
    } else {
        sig3(x)
    }
}

/// Three significant digits, no exponent (for values from 0.001 upwards).
fn sig3(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let magnitude = x.abs().log10().floor() as i32;
    let decimals = (2 - magnitude).max(0) as usize;
    format!("{x:.decimals$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_statistics_follow_their_definitions() {
        let ms = |v: &[u64]| Samples::new(v.iter().map(|&m| Duration::from_millis(m)).collect());
        let s = ms(&[5, 1, 4, 2, 3]);
        assert_eq!(s.median(), Duration::from_millis(3));
        assert_eq!(s.min(), Duration::from_millis(1));
        assert_eq!(s.max(), Duration::from_millis(5));
        assert_eq!(ms(&[1, 2, 3, 4]).median(), Duration::from_micros(2500));
        let hundred = ms(&(1..=100).collect::<Vec<_>>());
        assert_eq!(hundred.percentile(99.0), Duration::from_millis(99));
        assert_eq!(hundred.percentile(100.0), Duration::from_millis(100));
        assert_eq!(hundred.percentile(0.1), Duration::from_millis(1));
        let pooled = ms(&[1, 2, 3]).pooled(&ms(&[10, 20]));
        assert_eq!(pooled.len(), 5);
        assert_eq!(pooled.median(), Duration::from_millis(3));
    }

    #[test]
    fn figures_are_written_with_three_significant_digits() {
        assert_eq!(fmt_duration(Duration::from_nanos(142)), "142 ns");
        assert_eq!(fmt_duration(Duration::from_nanos(85_340)), "85.3 µs");
        assert_eq!(fmt_duration(Duration::from_millis(1_270)), "1.27 s");
        assert_eq!(fmt_rate(21_340.0, "appends/s"), "21.3 k appends/s");
        assert_eq!(fmt_rate(7_123_000.0, "hashes/s"), "7.12 M hashes/s");
        assert_eq!(fmt_rate(12.5, "docs/s"), "12.5 docs/s");
        assert_eq!(fmt_int(1_000_000), "1,000,000");
        assert_eq!(fmt_int(999), "999");
        assert_eq!(fmt_ratio(0.002951), "0.00295");
        assert_eq!(fmt_ratio(0.000_031), "3.10e-5");
        assert_eq!(fmt_ratio(17.04), "17.0");
    }

    #[test]
    fn interleaved_measurements_alternate_and_pool() {
        let order = std::cell::RefCell::new(String::new());
        let run = |tag: char, ms: u64| {
            order.borrow_mut().push(tag);
            Samples::new(vec![Duration::from_millis(ms)])
        };
        let (a, b) = interleaved(3, || run('a', 1), || run('b', 2));
        assert_eq!(*order.borrow(), "ababab");
        assert_eq!((a.len(), b.len()), (3, 3));
        assert_eq!(b.median(), Duration::from_millis(2));
    }

    #[test]
    fn the_sampler_stays_in_range_and_is_repeatable() {
        let mut a = Sampler::new(7);
        let mut b = Sampler::new(7);
        for _ in 0..1000 {
            let x = a.below(10);
            assert!(x < 10);
            assert_eq!(x, b.below(10));
        }
    }
}
