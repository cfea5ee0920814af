//! The benchmark harness shared by the `ledger`, `desensitize`, `search` and `risk` binaries.
//!
//! Ticorr proves performance with benchmarks, never with timed assertions in tests: a test
//! that fails when a machine is slow tests the machine. Each benchmark measures a baseline
//! in the same run on the same machine (raw SHA-256, a single regex pass) and reports its
//! figures as absolute medians *and* as ratios against that baseline, so two runs on
//! different hardware can still be compared. See `bench/README.md`.
//!
//! The harness is deliberately small — `std::time::Instant`, repetitions and order
//! statistics — because a benchmark framework would add minutes to every CI build of the
//! workspace for a few numbers that are printed, not asserted.
//!
//! - [`timing`]: repeat a measurement, take medians and percentiles, alternate two
//!   measurements on a shared machine, the SHA-256 baseline, a deterministic sampler, and
//!   the formatting of durations and rates;
//! - [`report`]: the table a benchmark prints and the section it appends to
//!   `bench/RESULTS.md` with the commit, the machine and the date.

pub mod report;
pub mod timing;
