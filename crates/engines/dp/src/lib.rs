//! Differential privacy for the platform's L4 (macro) statistics.
//!
//! Every number released at L4 goes through this crate. The noise comes from OpenDP
//! (`opendp` 0.16, the Rust core of the OpenDP library): the discrete Laplace mechanism for
//! integer counts and OpenDP's floating-point-safe Laplace mechanism for clamped sums. This
//! crate never samples noise itself; it builds OpenDP measurements, asks OpenDP what privacy
//! loss (ε) a measurement has for the declared sensitivity, refuses when that exceeds the ε
//! the caller pays for, and invokes it.
//!
//! **Unit of privacy: one organisation.** Statistics are over data of many organisations;
//! the platform bounds each organisation's contribution to a query (see
//! [`Histogram::contribution_bound`]) and declares the sensitivity accordingly, so the ε of
//! a release protects whether any single organisation took part at all.
//!
//! **Randomness.** OpenDP is built without its OpenSSL feature (building OpenSSL from
//! source would add minutes to every clean build). OpenDP then draws its random bits from
//! `rand`'s thread RNG, a ChaCha-based CSPRNG seeded from the operating system. OpenDP's own
//! documentation calls this path "non-secure" because it is not OpenSSL's private RNG; the
//! sampling algorithms (exact discrete Laplace, floating-point-safe continuous Laplace) are
//! the same. Because that RNG cannot be seeded, the statistical tests draw many samples and
//! test with wide, documented margins rather than with a fixed seed.
//!
//! Beside the noise, two rules apply to every release: cells with fewer contributing
//! organisations than a minimum (default 10) are suppressed, and a per-consumer privacy
//! budget ([`Budget`]) must cover the ε of every query.

use opendp::domains::{AtomDomain, VectorDomain};
use opendp::measurements::make_laplace;
use opendp::measures::MaxDivergence;
use opendp::metrics::{AbsoluteDistance, L1Distance};
use serde::Serialize;

/// The mechanism description attached to every released figure.
pub const COUNT_MECHANISM: &str = "discrete Laplace (OpenDP 0.16 make_laplace, integer)";
pub const SUM_MECHANISM: &str = "Laplace (OpenDP 0.16 make_laplace, floating-point safe)";

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum DpError {
    #[error("epsilon must be a positive, finite number (got {0})")]
    BadEpsilon(f64),
    #[error("the sensitivity must be positive (got {0})")]
    BadSensitivity(f64),
    #[error(
        "the privacy budget for this period has {remaining:.3} left; the query needs {wanted:.3}"
    )]
    BudgetExhausted { remaining: f64, wanted: f64 },
    #[error("OpenDP refused: {0}")]
    OpenDp(String),
}

fn opendp_err(e: impl std::fmt::Debug) -> DpError {
    DpError::OpenDp(format!("{e:?}"))
}

fn check_epsilon(epsilon: f64) -> Result<(), DpError> {
    if epsilon.is_finite() && epsilon > 0.0 {
        Ok(())
    } else {
        Err(DpError::BadEpsilon(epsilon))
    }
}

/// A released value with the parameters that explain it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Noisy<T> {
    pub value: T,
    /// The privacy loss OpenDP certifies for this release at the declared sensitivity.
    pub epsilon: f64,
    /// The Laplace scale b (standard deviation = b·√2).
    pub scale: f64,
}

/// A histogram of counts over disjoint cells, released with discrete Laplace noise.
#[derive(Debug, Clone)]
pub struct Histogram {
    /// The most any one organisation adds to all cells together (the L1 sensitivity).
    pub contribution_bound: i64,
}

impl Histogram {
    /// Noisy counts for `counts`, spending `epsilon` on the whole histogram. The scale is
    /// `contribution_bound / epsilon`; OpenDP certifies the ε of the vector release.
    pub fn release(&self, counts: &[i64], epsilon: f64) -> Result<Vec<Noisy<i64>>, DpError> {
        check_epsilon(epsilon)?;
        if self.contribution_bound < 1 {
            return Err(DpError::BadSensitivity(self.contribution_bound as f64));
        }
        let scale = self.contribution_bound as f64 / epsilon;
        let m = make_laplace::<_, _, MaxDivergence>(
            VectorDomain::new(AtomDomain::<i64>::default()),
            L1Distance::<i64>::default(),
            scale,
            None,
        )
        .map_err(opendp_err)?;
        let certified = m.map(&self.contribution_bound).map_err(opendp_err)?;
        if certified > epsilon * (1.0 + 1e-9) {
            return Err(DpError::OpenDp(format!(
                "the mechanism's privacy loss {certified} exceeds the {epsilon} paid for"
            )));
        }
        let noisy = m.invoke(&counts.to_vec()).map_err(opendp_err)?;
        Ok(noisy
            .into_iter()
            .map(|value| Noisy {
                value,
                epsilon: certified,
                scale,
            })
            .collect())
    }
}

/// One noisy count with the given sensitivity (e.g. 1 when each organisation adds at most
/// one to it).
pub fn noisy_count(count: i64, sensitivity: i64, epsilon: f64) -> Result<Noisy<i64>, DpError> {
    check_epsilon(epsilon)?;
    if sensitivity < 1 {
        return Err(DpError::BadSensitivity(sensitivity as f64));
    }
    let scale = sensitivity as f64 / epsilon;
    let m = make_laplace::<_, _, MaxDivergence>(
        AtomDomain::<i64>::default(),
        AbsoluteDistance::<i64>::default(),
        scale,
        None,
    )
    .map_err(opendp_err)?;
    let certified = m.map(&sensitivity).map_err(opendp_err)?;
    let value = m.invoke(&count).map_err(opendp_err)?;
    Ok(Noisy {
        value,
        epsilon: certified,
        scale,
    })
}

/// One noisy sum of values clamped so that one organisation changes it by at most
/// `sensitivity`.
pub fn noisy_sum(sum: f64, sensitivity: f64, epsilon: f64) -> Result<Noisy<f64>, DpError> {
    check_epsilon(epsilon)?;
    if !(sensitivity.is_finite() && sensitivity > 0.0) {
        return Err(DpError::BadSensitivity(sensitivity));
    }
    let scale = sensitivity / epsilon;
    let m = make_laplace::<_, _, MaxDivergence>(
        AtomDomain::<f64>::new_non_nan(),
        AbsoluteDistance::<f64>::default(),
        scale,
        None,
    )
    .map_err(opendp_err)?;
    let certified = m.map(&sensitivity).map_err(opendp_err)?;
    let value = m.invoke(&sum).map_err(opendp_err)?;
    Ok(Noisy {
        value,
        epsilon: certified,
        scale,
    })
}

/// Noisy sums over disjoint cells, spending `epsilon` on all of them together, where one
/// organisation changes the sums by at most `sensitivity` in total (L1).
pub fn noisy_sums(
    sums: &[f64],
    sensitivity: f64,
    epsilon: f64,
) -> Result<Vec<Noisy<f64>>, DpError> {
    check_epsilon(epsilon)?;
    if !(sensitivity.is_finite() && sensitivity > 0.0) {
        return Err(DpError::BadSensitivity(sensitivity));
    }
    let scale = sensitivity / epsilon;
    let m = make_laplace::<_, _, MaxDivergence>(
        VectorDomain::new(AtomDomain::<f64>::new_non_nan()),
        L1Distance::<f64>::default(),
        scale,
        None,
    )
    .map_err(opendp_err)?;
    let certified = m.map(&sensitivity).map_err(opendp_err)?;
    if certified > epsilon * (1.0 + 1e-6) {
        return Err(DpError::OpenDp(format!(
            "the mechanism's privacy loss {certified} exceeds the {epsilon} paid for"
        )));
    }
    let noisy = m.invoke(&sums.to_vec()).map_err(opendp_err)?;
    Ok(noisy
        .into_iter()
        .map(|value| Noisy {
            value,
            epsilon: certified,
            scale,
        })
        .collect())
}

/// A consumer's privacy budget for one period.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Budget {
    pub total: f64,
    pub spent: f64,
}

impl Budget {
    pub fn remaining(&self) -> f64 {
        (self.total - self.spent).max(0.0)
    }

    /// Charges `epsilon`, or refuses without changing anything when it does not fit
    /// (sequential composition: the ε of successive releases add up).
    pub fn charge(&mut self, epsilon: f64) -> Result<(), DpError> {
        check_epsilon(epsilon)?;
        // A tiny tolerance keeps the sum of several charges that exactly fill the budget
        // (0.1 + 0.2 …) from being refused by rounding.
        if self.spent + epsilon > self.total + 1e-9 {
            return Err(DpError::BudgetExhausted {
                remaining: self.remaining(),
                wanted: epsilon,
            });
        }
        self.spent += epsilon;
        Ok(())
    }
}

/// Whether a cell must be suppressed: fewer contributing organisations than `minimum`.
/// Applied to the true number of contributors before any noisy value is shown, as
/// statistical offices do with minimum cell sizes.
pub fn suppressed(contributors: i64, minimum: i64) -> bool {
    contributors < minimum
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_refuse_what_does_not_fit_and_change_nothing() {
        let mut b = Budget {
            total: 1.0,
            spent: 0.0,
        };
        for _ in 0..10 {
            b.charge(0.1).unwrap();
        }
        let before = b;
        let err = b.charge(0.1).unwrap_err();
        assert!(matches!(err, DpError::BudgetExhausted { .. }));
        assert_eq!(b, before);
        assert!(b.charge(0.0).is_err());
        assert!(b.charge(f64::NAN).is_err());
    }

    #[test]
    fn suppression_uses_the_minimum_cell_size() {
        assert!(suppressed(9, 10));
        assert!(!suppressed(10, 10));
    }

    #[test]
    fn opendp_certifies_the_epsilon_paid_for() {
        let n = noisy_count(100, 1, 0.5).unwrap();
        assert!((n.epsilon - 0.5).abs() < 1e-9, "{n:?}");
        assert_eq!(n.scale, 2.0);
        let h = Histogram {
            contribution_bound: 20,
        }
        .release(&[5, 6, 7], 1.0)
        .unwrap();
        assert!(
            h.iter()
                .all(|c| (c.epsilon - 1.0).abs() < 1e-9 && c.scale == 20.0)
        );
        let sums = noisy_sums(&[10.0, 20.0], 300.0, 0.5).unwrap();
        assert!(
            sums.iter()
                .all(|n| n.epsilon <= 0.5 * (1.0 + 1e-6) && n.scale == 600.0)
        );
        let s = noisy_sum(1234.5, 300.0, 0.25).unwrap();
        assert!(s.epsilon <= 0.25 + 1e-9 && s.scale == 1200.0);
        assert!(noisy_count(1, 0, 1.0).is_err());
        assert!(noisy_sum(1.0, 1.0, -1.0).is_err());
    }

    /// The noise has the scale ε promises. For a Laplace variable with scale b, the mean
    /// absolute deviation is b and the variance 2b². With 40,000 draws at b = 20 the
    /// standard error of the mean absolute deviation is about 0.1 (0.5 % of b); the test
    /// allows 5 %, so a correct sampler fails it with negligible probability and a sampler
    /// off by the ε it claims (scale halved or doubled) fails it every time.
    #[test]
    fn the_noise_scale_matches_epsilon() {
        let draws = 40_000;
        let epsilon = 0.05; // sensitivity 1 → b = 20
        let counts = vec![1_000i64; draws];
        let noisy = Histogram {
            contribution_bound: 1,
        }
        .release(&counts, epsilon)
        .unwrap();
        let b = 1.0 / epsilon;
        let deviations: Vec<f64> = noisy.iter().map(|n| (n.value - 1_000) as f64).collect();
        let mean = deviations.iter().sum::<f64>() / draws as f64;
        let mad = deviations.iter().map(|d| d.abs()).sum::<f64>() / draws as f64;
        let var = deviations.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / draws as f64;
        assert!(mean.abs() < 0.05 * b, "noise is centred, mean {mean}");
        assert!(
            (mad - b).abs() < 0.05 * b,
            "mean absolute deviation {mad}, expected {b}"
        );
        assert!(
            (var - 2.0 * b * b).abs() < 0.1 * 2.0 * b * b,
            "variance {var}, expected {}",
            2.0 * b * b
        );
    }
}
