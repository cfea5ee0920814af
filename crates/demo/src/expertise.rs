//! What the demo's experts and reviewers know about: their specialties by standards topic.
//!
//! The standards lifecycle draws the reviewers of a proposal from the people with the
//! expert or reviewer capacity whose specialties include the proposal's topic
//! (`person_specialties`). Every such person of the plan gets one to three of the eight
//! topics, weighted by what their organisation does: cleaning companies know cleaning,
//! testing laboratories inspection, anti-corrosion contractors installation, titanium mills
//! material and fabrication, heater makers and plating shops heaters, plants operation.
//! The draws come from a generator of their own, so adding them left every other value of
//! the demo as it was.
//!
//! Two demo accounts get fixed specialties so that a tester signing in as them can act:
//! `research@…` (expert) and `association@…` (reviewer) both cover operation, the topic of
//! the proposal under expert review, where both are on the panel.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use ticorr_kernel::{Capacity, OrgKind, OrgStatus};

use crate::plan::{PlannedAccount, PlannedOrg, PlannedPerson};

/// The standards topics an expert can be specialised in (`ticorr_standards::TOPICS` but
/// `other`), in the order of the weight tables below.
pub(crate) const TOPICS: [&str; 8] = [
    "design_material",
    "fabrication",
    "installation",
    "operation",
    "cleaning",
    "inspection",
    "hydrogen",
    "heaters",
];

/// The seed of the specialty stream, independent of the plan's.
const SPECIALTY_SEED: u64 = 0x7469_636f_7272_7370;

/// The specialties of the demo accounts that review.
const ACCOUNT_SPECIALTIES: [(&str, &[&str]); 2] = [
    ("research", &["design_material", "operation", "inspection"]),
    ("association", &["operation", "cleaning", "inspection"]),
];

/// How likely each topic is for a person of `org`, in the order of [`TOPICS`].
fn weights(org: &PlannedOrg) -> [f64; 8] {
    let name = org.org.name.as_str();
    let industry = org.org.industry_code.as_deref().unwrap_or("");
    //        design fabr  inst  oper  clean insp  hydr  heat
    match org.org.kind {
        OrgKind::Research => [3.0, 1.0, 0.5, 1.5, 1.0, 2.0, 2.0, 0.5],
        OrgKind::Association => [2.0, 1.0, 1.0, 2.0, 1.0, 1.5, 1.0, 1.0],
        OrgKind::ServiceInstitution if name.contains("清洗") => {
            [0.3, 0.3, 0.5, 1.0, 4.0, 1.0, 0.3, 0.5]
        }
        OrgKind::ServiceInstitution if name.contains("防腐工程") => {
            [0.5, 1.5, 3.0, 1.0, 1.5, 1.0, 0.5, 0.3]
        }
        OrgKind::ServiceInstitution if name.contains("培训") => {
            [0.5, 0.5, 0.5, 2.0, 1.0, 2.0, 0.5, 0.5]
        }
        // Testing companies, inspection centres and materials laboratories.
        OrgKind::ServiceInstitution => [1.0, 1.0, 0.3, 0.5, 0.5, 4.0, 1.5, 0.3],
        OrgKind::Manufacturer => match industry {
            // Titanium mills and non-ferrous rolling.
            "3254" | "3259" => [3.0, 2.0, 0.3, 0.3, 0.3, 0.5, 1.0, 0.3],
            // Electric heaters and heating equipment.
            "3461" | "3899" => [1.0, 2.0, 0.5, 0.5, 0.3, 0.3, 0.3, 4.0],
            _ => [2.0, 3.5, 2.0, 0.5, 0.3, 0.5, 0.5, 0.5],
        },
        OrgKind::Enterprise => match industry {
            // Plating and surface treatment, printed circuit boards.
            "3360" | "3982" => [0.3, 0.3, 0.5, 2.0, 1.5, 0.5, 0.3, 4.0],
            // Refining and chlor-alkali, where hydriding is a screening point.
            "2511" | "2612" => [0.5, 0.3, 0.5, 4.0, 1.0, 1.5, 2.0, 0.3],
            _ => [0.5, 0.3, 0.5, 4.0, 1.5, 1.5, 0.5, 0.5],
        },
        _ => [1.0; 8],
    }
}

/// Draws one to three distinct topics by `w`.
fn draw(rng: &mut ChaCha8Rng, w: [f64; 8]) -> Vec<&'static str> {
    let x: f64 = rng.random();
    let count = if x < 0.35 {
        1
    } else if x < 0.8 {
        2
    } else {
        3
    };
    let mut left = w;
    let mut chosen = Vec::new();
    for _ in 0..count {
        let total: f64 = left.iter().sum();
        let mut x = rng.random::<f64>() * total;
        // Rounding may leave a sliver past the end: that falls to the last topic left.
        let mut pick = left.iter().rposition(|w| *w > 0.0).unwrap_or(0);
        for (i, weight) in left.iter().enumerate() {
            x -= weight;
            if x < 0.0 && *weight > 0.0 {
                pick = i;
                break;
            }
        }
        chosen.push(TOPICS[pick]);
        left[pick] = 0.0;
    }
    chosen.sort_by_key(|t| TOPICS.iter().position(|x| x == t));
    chosen
}

/// Gives every expert and reviewer of a verified organisation their specialties.
pub(crate) fn assign(
    people: &mut [PlannedPerson],
    orgs: &[PlannedOrg],
    accounts: &[PlannedAccount],
) {
    let mut rng = ChaCha8Rng::seed_from_u64(SPECIALTY_SEED);
    let org_of: std::collections::HashMap<_, &PlannedOrg> =
        orgs.iter().map(|o| (o.org.id, o)).collect();
    for (i, p) in people.iter_mut().enumerate() {
        let reviews = p
            .capacities
            .iter()
            .any(|c| matches!(c, Capacity::Expert | Capacity::Reviewer));
        let Some(org) = org_of.get(&p.person.org_id) else {
            continue;
        };
        if !reviews || org.org.status != OrgStatus::Verified {
            continue;
        }
        let fixed = accounts
            .iter()
            .filter(|a| a.person == i)
            .find_map(|a| ACCOUNT_SPECIALTIES.iter().find(|(k, _)| *k == a.kind));
        p.specialties = match fixed {
            Some((_, topics)) => topics.to_vec(),
            None => draw(&mut rng, weights(org)),
        };
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn every_expert_and_reviewer_has_one_to_three_specialties_and_every_topic_has_experts() {
        let plan = crate::plan::build();
        let mut per_topic: BTreeMap<&str, usize> = BTreeMap::new();
        for p in &plan.people {
            let reviews = p
                .capacities
                .iter()
                .any(|c| matches!(c, Capacity::Expert | Capacity::Reviewer));
            if reviews {
                assert!((1..=3).contains(&p.specialties.len()), "{}", p.person.email);
            } else {
                assert!(p.specialties.is_empty(), "{}", p.person.email);
            }
            for t in &p.specialties {
                assert!(TOPICS.contains(t));
                *per_topic.entry(t).or_default() += 1;
            }
        }
        eprintln!("people by specialty: {per_topic:?}");
        for t in TOPICS {
            assert!(ticorr_standards::TOPICS.contains(&t), "{t}");
            assert!(
                per_topic.get(t).copied().unwrap_or(0) >= 15,
                "{t}: {per_topic:?}"
            );
        }
        for (kind, topics) in ACCOUNT_SPECIALTIES {
            let a = plan.accounts.iter().find(|a| a.kind == kind).unwrap();
            assert_eq!(plan.people[a.person].specialties, topics);
        }
    }
}
