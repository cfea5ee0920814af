//! The corrosion risk engine of Ticorr, with no I/O.
//!
//! The rules are data: `refdata/risk_model.json` declares the inputs, twelve titanium damage
//! mechanisms with their rules and adjustments (each with its sources and how far it was
//! verified), the mapping of susceptibility to a probability-of-failure category and the
//! 5 × 5 risk matrix. [`RuleSet::load`] reads and checks the file and refuses it whole when
//! anything is wrong; [`RuleSet::assess`] evaluates every mechanism under the file's
//! semantics:
//!
//! - within a mechanism every rule whose condition holds proposes a susceptibility and the
//!   highest wins; above none, the matching adjustments apply in order (aggravators +1,
//!   resistant grades −n), clamped to none..high unless the winning rule said very_high;
//! - a rule or adjustment whose condition depends on a missing input is skipped and the
//!   mechanism is flagged incomplete, naming the input — never a silent "none";
//! - the worst mechanism gives the probability category (a screening convention of the
//!   file, shown as such), the consequence category is given, the matrix gives one of the
//!   four grades: I Low, II Medium, III Medium-High, IV High.
//!
//! The consequence category is given, or derived by [`ConsequenceScheme`] from the medium's
//! hazard and the people nearby (a project convention, `refdata/risk_consequence.json`) and
//! the estimated cost of a failure (the API 581 exchanger-bundle bands of the rule file),
//! the more severe letter winning.
//!
//! Every assessment names the rule set's version and the SHA-256 of the file.

pub mod assess;
pub mod condition;
pub mod consequence;
pub mod inputs;
pub mod ruleset;

pub use assess::{Assessment, Fired, MechanismResult, Probability, RiskGrade, RuleSetRef};
pub use condition::{Comparison, Condition, Op, Truth};
pub use consequence::{Choice, Consequence, ConsequenceInputs, ConsequenceScheme};
pub use inputs::{Bounds, InputError, InputSpec, Inputs, Kind, Value};
pub use ruleset::{
    Adjust, Cof, Mechanism, PofBands, Provenance, Rule, RuleSet, RuleSetError, Susceptibility,
};
