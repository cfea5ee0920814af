//! From cases back to standards: when published cases keep occurring under the conditions a
//! released clause covers, of a mechanism the clause exists to prevent, a revision proposal
//! for that clause is opened in the standards lifecycle, citing the cases.
//!
//! Which mechanism a clause prevents is read from its sources: a clause built on the risk
//! rule file cites the rules it rests on (`risk_model.json CR1, CR2 (S7)`), and each rule
//! belongs to one mechanism of the file. A clause that cites no rule (a documentation or
//! welding-procedure clause) prevents no mechanism the cases are classified by, and is left
//! alone. Whether a case falls under a clause is the standards module's own applicability
//! check, on the conditions the published case records (its details: temperature,
//! chloride, fluoride, pH, medium, crevices or deposits; its industry, equipment type and
//! grade as published); a condition the case does not record does not hold, so a case is
//! never counted under a clause it might not fall under. Risk grades are not conditions
//! here: a failure has happened whatever grade the item was given.
//!
//! A recurring job counts, per clause of every public standard's released version, the
//! published cases (not withdrawn) within the window (`[cases.feedback]`, by publication
//! date, and published after the holder last closed a proposal for that clause); at
//! `min_cases` or more it opens a proposal unless one is open for that clause.
//! The standard's page shows, under each clause, the published cases that fall under it.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::json;
use ticorr_platform::jobs::worker::{JobContext, JobFailure, Settled};
use ticorr_risk::RuleSet;
use ticorr_standards::applies::{self, ItemFacts};
use ticorr_standards::model::Clause;
use ticorr_standards::revision::{self, NewCaseProposal};

use crate::model::Published;
use crate::{Body, Cases, CasesError, corrupt};

/// The job kind of the daily check.
pub const FEEDBACK_JOB: &str = "cases.clause-feedback";

/// When cases open a revision proposal (`[cases.feedback]`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FeedbackSettings {
    /// Published cases under one clause within the window that open a proposal.
    pub min_cases: usize,
    /// The window, in days before the check, by publication date.
    pub window_days: i64,
}

impl Default for FeedbackSettings {
    fn default() -> Self {
        FeedbackSettings {
            min_cases: 3,
            window_days: 365,
        }
    }
}

impl FeedbackSettings {
    pub fn validate(&self) -> Result<(), String> {
        if self.min_cases == 0 {
            return Err("cases.feedback.min_cases must be at least 1".into());
        }
        if !(1..=3650).contains(&self.window_days) {
            return Err("cases.feedback.window_days must be between 1 and 3650".into());
        }
        Ok(())
    }
}

/// The mechanisms a clause exists to prevent: those of the rules (and rule adjustments)
/// its sources cite from the rule file, and any mechanism the sources name, in the rule
/// file's order.
pub fn clause_mechanisms(rules: &RuleSet, sources: &[String]) -> Vec<String> {
    let tokens: BTreeSet<&str> = sources
        .iter()
        .filter(|s| s.contains("risk_model.json"))
        .flat_map(|s| s.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_')))
        .filter(|t| !t.is_empty())
        .collect();
    rules
        .mechanisms
        .iter()
        .filter(|m| {
            tokens.contains(m.id.as_str())
                || m.rules.iter().any(|r| tokens.contains(r.id.as_str()))
                || m.adjust.iter().any(|a| tokens.contains(a.id.as_str()))
        })
        .map(|m| m.id.clone())
        .collect()
}

/// What a published case records of the conditions a clause can state.
pub fn facts_of(p: &Published) -> ItemFacts {
    let d = &p.details;
    // A published grade is a grade number, or the family k-anonymity raised it to, which
    // names no single grade.
    let grade =
        Some(p.grade.clone()).filter(|g| !g.is_empty() && g.chars().all(|c| c.is_ascii_digit()));
    ItemFacts {
        industry: (p.industry != "*").then(|| p.industry.clone()),
        province: None,
        equipment_type: p.equipment_type.clone(),
        grade,
        medium: d.process_medium.as_ref().map(|m| m.to_lowercase()),
        temperature_c: d.temperature_c,
        chloride_mg_l: d.chloride_mg_l,
        fluoride_mg_l: d.fluoride_mg_l,
        ph: d.ph,
        risk_grade: None,
        corrosivity: None,
        crevices_or_deposits: ItemFacts::crevices_or_deposits_of(
            d.crevice_present,
            d.deposits_present,
        ),
        galvanic_partner: None,
    }
}

/// Whether a published case falls under a clause preventing `mechanisms`.
pub fn under(clause: &Clause, mechanisms: &[String], case: &Published) -> bool {
    mechanisms.iter().any(|m| m == case.mechanism.as_str())
        && applies::check(
            &clause.applies,
            &[],
            &facts_of(case),
            &ticorr_standards::MediumWords,
        )
        .applies
}

/// A published case as the clause pages list it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ClauseCase {
    pub id: String,
    pub title: String,
    pub period: String,
    pub mechanism: String,
    pub published_at: ticorr_kernel::Timestamp,
}

/// The published cases under one clause.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ClauseCases {
    /// The mechanisms the clause prevents; empty when it cites no rule of the rule file.
    pub mechanisms: Vec<String>,
    /// How many published cases (not withdrawn) fall under it.
    pub total: usize,
    /// The newest of them.
    pub recent: Vec<ClauseCase>,
}

impl<'a> Cases<'a> {
    /// For each clause, the published cases (not withdrawn) that fall under it: the count
    /// and the newest `limit`, with the mechanisms it prevents. Public: they are the
    /// public summaries of published cases.
    pub async fn under_clauses(
        &self,
        clauses: &[Clause],
        limit: usize,
    ) -> Result<Vec<ClauseCases>, CasesError> {
        let rules = &ticorr_platform::risk::load().map_err(corrupt)?.rules;
        let shelved = {
            let mut conn = self.db.pool().acquire().await?;
            self.shelved(&mut conn).await?
        };
        Ok(clauses
            .iter()
            .map(|clause| {
                let mechanisms = clause_mechanisms(rules, &clause.sources);
                let mut out = ClauseCases {
                    total: 0,
                    recent: vec![],
                    mechanisms,
                };
                if out.mechanisms.is_empty() {
                    return out;
                }
                for body in shelved.bodies.iter().rev() {
                    if under(clause, &out.mechanisms, &body.case) {
                        out.total += 1;
                        if out.recent.len() < limit {
                            out.recent.push(ClauseCase {
                                id: body.id.clone(),
                                title: crate::title_of(&body.case),
                                period: body.case.period.clone(),
                                mechanism: body.case.mechanism.as_str().to_owned(),
                                published_at: body.published_at,
                            });
                        }
                    }
                }
                out
            })
            .collect())
    }

    /// The handler of [`FEEDBACK_JOB`]: opens a proposal for every released public clause
    /// with at least `min_cases` published cases under it within the window, unless one is
    /// open for it.
    pub async fn run_feedback(&self, ctx: JobContext) -> Result<Settled, JobFailure> {
        let settings = self.config.feedback;
        let now = ctx.clock.now();
        let since = now.plus(time::Duration::days(-settings.window_days));
        let rules = &ticorr_platform::risk::load()
            .map_err(JobFailure::permanent)?
            .rules;
        let shelved = {
            let mut conn = ctx.db.pool().acquire().await?;
            self.shelved(&mut conn).await.map_err(JobFailure::retry)?
        };
        let recent: Vec<&Body> = shelved
            .bodies
            .iter()
            .rev()
            .filter(|b| b.published_at >= since)
            .collect();
        let released = revision::released_clauses(&ctx.db)
            .await
            .map_err(JobFailure::retry)?;
        let mut tx = ctx.db.begin().await?;
        let (mut checked, mut opened) = (0usize, 0usize);
        for (standard, version, clauses) in &released {
            for clause in clauses {
                let mechanisms = clause_mechanisms(rules, &clause.sources);
                if mechanisms.is_empty() {
                    continue;
                }
                checked += 1;
                // Cases the holder weighed when it last closed a proposal count no more.
                let weighed =
                    revision::case_proposal_closed_at(&mut tx, &version.id, &clause.number)
                        .await
                        .map_err(JobFailure::retry)?;
                let cited: Vec<String> = recent
                    .iter()
                    .filter(|b| weighed.is_none_or(|t| b.published_at > t))
                    .filter(|b| under(clause, &mechanisms, &b.case))
                    .map(|b| b.id.clone())
                    .collect();
                if cited.len() < settings.min_cases {
                    continue;
                }
                let proposal = NewCaseProposal {
                    standard,
                    version,
                    clause_number: &clause.number,
                    mechanisms: &mechanisms,
                    case_ids: &cited,
                    window_days: settings.window_days,
                };
                if revision::open_case_proposal(&mut tx, now, &proposal)
                    .await
                    .map_err(JobFailure::retry)?
                {
                    opened += 1;
                }
            }
        }
        let result = json!({ "clauses_checked": checked, "proposals_opened": opened });
        let settled = ctx.complete_in(&mut tx, Some(&result)).await?;
        tx.commit().await?;
        Ok(settled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> &'static RuleSet {
        &ticorr_platform::risk::load().unwrap().rules
    }

    #[test]
    fn a_clause_prevents_the_mechanisms_of_the_rules_it_cites() {
        let crevice = clause_mechanisms(
            rules(),
            &[
                "risk_model.json CR1, CR2 (S7, S8, S9)".into(),
                "titanium_corrosion.md §3.1".into(),
            ],
        );
        assert_eq!(crevice, ["crevice_hot_chloride"]);
        let named = clause_mechanisms(rules(), &["risk_model.json hydriding.mitigation".into()]);
        assert_eq!(named, ["hydriding"]);
        // A rule id mentioned outside the rule file's sources does not count.
        assert!(clause_mechanisms(rules(), &["titanium_corrosion.md CR1".into()]).is_empty());
        assert!(clause_mechanisms(rules(), &["platform convention".into()]).is_empty());
    }
}
