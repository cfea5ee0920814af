//! The standards lifecycle of the demo: proposals at every stage, made through the
//! standards module's own lifecycle functions by the demo's people.
//!
//! `data/standard_proposals.json` tells each proposal as a story: who applies, what the
//! proposal changes, and its steps (submission, formal check, reviewers, votes, public
//! consultation, comments and their dispositions, release, rejection, withdrawal), each on
//! a day counted back from the day of seeding. All steps of all stories run in the order
//! of their times under a gate whose clock is manual: it is moved forward to each step's
//! time, so a consultation of 35 days really lasts 35 days, every record carries the time
//! of its step, and what is still open at the end (the consultation that ends in the
//! future, the votes still missing) is open for whoever signs in. The clock ends at the
//! time of seeding, where the review-due job runs and opens the periodic review of the
//! documents whose review has come.
//!
//! Every step is the module's public function, called for a person of the plan exactly as
//! a request of theirs would be (their actor, without a session). The push of a release
//! to the organisations concerned runs as its job at the time of the release, so their
//! inboxes show it then. The e-mails those steps queued belong to the seeded past: they are
//! settled as not sent, so that the demo's mail folder holds only what happens once it runs.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Deserialize;
use serde_json::Value;
use ticorr_db::Db;
use ticorr_kernel::{Clock, OrgStatus, PersonId, Timestamp};
use ticorr_platform::identity::principal::load_actor;
use ticorr_platform::jobs::{
    self,
    worker::{self, JobContext},
};
use ticorr_platform::{Authz, Caller, Gate, Principal, Via};
use ticorr_standards::lifecycle::{
    self, CommentInput, Disposition, DispositionInput, DraftEdit, DraftFilter, DraftKind,
    DraftStage, NewDraft, Vote, VoteInput,
};
use ticorr_standards::{ClauseInput, StandardInput};
use time::{Date, Duration, PrimitiveDateTime, Time, UtcOffset};

use crate::SeedError;
use crate::plan::{Plan, SEED, base_time};
use crate::write::{Seeded, add_months};

const PROPOSALS_JSON: &str = include_str!("../data/standard_proposals.json");

/// The worker name under which the seeding runs the jobs its steps cause.
const WORKER: &str = "demo-seed";

/// The earliest "now" the stories are told back from. The platform went live on
/// 2026-01-05 and its standards took effect on 2026-03-01; the longest story starts 196
/// days back, so the seeding's "now" is at least this late even on a machine whose clock is
/// behind.
const EARLIEST_NOW: &str = "2026-10-01T00:00:00Z";

/// The steps are dated in China Standard Time, where the people work.
const BEIJING: UtcOffset = match UtcOffset::from_hms(8, 0, 0) {
    Ok(o) => o,
    Err(_) => panic!("UTC+8 is a valid offset"),
};

/// Chinese and English of a text a person writes; stored as one text, Chinese first.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Bilingual {
    zh: String,
    en: String,
}

impl Bilingual {
    fn text(&self) -> String {
        format!("{}\n\n{}", self.zh, self.en)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[allow(dead_code, reason = "documentation of the data file")]
    basis: String,
    /// Who acts for the standards secretariat.
    secretariat: String,
    proposals: Vec<Story>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Story {
    key: String,
    kind: DraftKind,
    /// The code of the released standard revised or corrected.
    #[serde(default)]
    standard: Option<String>,
    applicant: String,
    justification: Bilingual,
    /// A new standard as proposed; `{year}` in its code is the year of application.
    #[serde(default)]
    proposal: Option<StandardInput>,
    /// Texts of the standard itself that a revision changes.
    #[serde(default)]
    fields: Fields,
    #[serde(default)]
    changes: Vec<Change>,
    #[serde(default)]
    reviewers: Option<Panel>,
    steps: Vec<Step>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Fields {
    scope_en: Option<String>,
    scope_zh: Option<String>,
}

/// A change to the clauses of the version a revision or erratum starts from.
#[derive(Debug, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
enum Change {
    /// Sets some fields of a clause.
    Patch {
        number: String,
        set: serde_json::Map<String, Value>,
    },
    /// Inserts a clause after another.
    Add { after: String, clause: ClauseInput },
    /// Replaces the clause of the same number.
    Replace { clause: ClauseInput },
}

/// The review panel: `count` experts chosen among those eligible, and the people of
/// `include` besides.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Panel {
    count: usize,
    #[serde(default)]
    include: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Step {
    /// Days from the day of seeding (negative: before).
    day: i64,
    /// `HH:MM`, Beijing time.
    time: String,
    #[serde(flatten)]
    action: Action,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "do", rename_all = "snake_case")]
enum Action {
    Create,
    Update {
        justification: Bilingual,
        changes: Vec<Change>,
    },
    Submit,
    FormalCheck {
        passed: bool,
        #[serde(default)]
        note: Option<Bilingual>,
    },
    Assign,
    /// A reviewer's votes: approval of every clause (or of `clauses` only) but those
    /// given in `votes`.
    Vote {
        reviewer: usize,
        #[serde(default)]
        clauses: Option<Vec<String>>,
        #[serde(default)]
        votes: Vec<VoteSpec>,
    },
    Conclude {
        expect: DraftStage,
        #[serde(default)]
        consultation_days: Option<i64>,
    },
    Comment {
        id: String,
        by: String,
        #[serde(default)]
        clause: Option<String>,
        text: Bilingual,
    },
    Dispose {
        comment: String,
        disposition: Disposition,
        reason: Bilingual,
    },
    Close,
    Release {
        effective_after_months: u32,
    },
    Reject {
        reason: Bilingual,
    },
    Withdraw,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VoteSpec {
    clause: String,
    vote: Vote,
    comment: Bilingual,
}

/// What the lifecycle seeding left.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    /// Proposals by stage (the stage's text form).
    pub by_stage: BTreeMap<String, usize>,
    /// Periodic reviews opened by the review-due job.
    pub review_tasks: usize,
}

/// Where a story stands while the steps run.
#[derive(Default)]
struct State {
    draft: Option<String>,
    reviewers: Vec<PersonId>,
    comments: HashMap<String, String>,
}

/// The seeding "now": the system clock, or [`EARLIEST_NOW`] if that is later.
pub(crate) fn seeding_now() -> Timestamp {
    let earliest = Timestamp::parse(EARLIEST_NOW).expect("a valid timestamp");
    let now = Clock::system().now();
    if now > earliest { now } else { earliest }
}

fn failed(story: &str, what: impl std::fmt::Display) -> SeedError {
    SeedError::Lifecycle(format!("{story}: {what}"))
}

/// The time of a step: `day` days from `today`, at `time` in Beijing.
fn step_time(today: Date, step: &Step) -> Result<Timestamp, String> {
    let (h, m) = step
        .time
        .split_once(':')
        .and_then(|(h, m)| Some((h.parse::<u8>().ok()?, m.parse::<u8>().ok()?)))
        .ok_or_else(|| format!("`{}` is not HH:MM", step.time))?;
    let time = Time::from_hms(h, m, 0).map_err(|e| e.to_string())?;
    let local =
        PrimitiveDateTime::new(today + Duration::days(step.day), time).assume_offset(BEIJING);
    Ok(Timestamp::from_offset(local.to_offset(UtcOffset::UTC)))
}

/// FNV-1a, to seed each story's choices from its key.
fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// People named in the data file, found in the plan.
struct Directory<'a> {
    plan: &'a Plan,
    /// Organisations of the demo accounts, left out of `<kind>#<n>` selectors.
    account_orgs: HashSet<ticorr_kernel::OrgId>,
    /// The demo accounts' people.
    account_people: HashSet<PersonId>,
    /// Everybody's organisation.
    org_of: HashMap<PersonId, ticorr_kernel::OrgId>,
}

impl<'a> Directory<'a> {
    fn new(plan: &'a Plan) -> Self {
        let people = |a: &crate::plan::PlannedAccount| &plan.people[a.person].person;
        Directory {
            plan,
            account_orgs: plan.accounts.iter().map(|a| people(a).org_id).collect(),
            account_people: plan.accounts.iter().map(|a| people(a).id).collect(),
            org_of: plan
                .people
                .iter()
                .map(|p| (p.person.id, p.person.org_id))
                .collect(),
        }
    }

    fn first_of(&self, org: ticorr_kernel::OrgId) -> Option<PersonId> {
        self.plan
            .people
            .iter()
            .find(|p| p.person.org_id == org)
            .map(|p| p.person.id)
    }

    /// `account:<kind>`, `org-of:<kind>` or `<org kind>[:<industry prefix or name word>]#<n>`.
    fn resolve(&self, selector: &str) -> Result<PersonId, String> {
        let account = |kind: &str| {
            self.plan
                .accounts
                .iter()
                .find(|a| a.kind == kind)
                .map(|a| &self.plan.people[a.person].person)
                .ok_or_else(|| format!("no demo account `{kind}`"))
        };
        if let Some(kind) = selector.strip_prefix("account:") {
            return Ok(account(kind)?.id);
        }
        if let Some(kind) = selector.strip_prefix("org-of:") {
            let org = account(kind)?.org_id;
            return self
                .first_of(org)
                .ok_or_else(|| format!("nobody in `{selector}`"));
        }
        let (spec, n) = selector
            .split_once('#')
            .and_then(|(s, n)| Some((s, n.parse::<usize>().ok()?)))
            .ok_or_else(|| format!("`{selector}` is not a person selector"))?;
        let (kind, filter) = match spec.split_once(':') {
            Some((k, f)) => (k, Some(f)),
            None => (spec, None),
        };
        let org = self
            .plan
            .orgs
            .iter()
            .filter(|o| {
                o.org.status == OrgStatus::Verified
                    && o.org.kind.as_str() == kind
                    && !self.account_orgs.contains(&o.org.id)
            })
            .filter(|o| match filter {
                None => true,
                Some(f) if f.chars().all(|c| c.is_ascii_digit()) => o
                    .org
                    .industry_code
                    .as_deref()
                    .is_some_and(|c| c.starts_with(f)),
                Some(f) => o.org.name.contains(f),
            })
            .nth(n)
            .ok_or_else(|| format!("no organisation for `{selector}`"))?;
        self.first_of(org.org.id)
            .ok_or_else(|| format!("nobody in `{selector}`"))
    }
}

/// Applies `changes` to a proposal's clauses.
fn apply(proposal: &mut StandardInput, changes: &[Change]) -> Result<(), String> {
    let clauses = &mut proposal.clauses;
    let position = |clauses: &[ClauseInput], n: &str| {
        clauses
            .iter()
            .position(|c| c.number == n)
            .ok_or_else(|| format!("no clause {n} to change"))
    };
    for change in changes {
        match change {
            Change::Patch { number, set } => {
                let i = position(clauses, number)?;
                let mut value = serde_json::to_value(&clauses[i]).map_err(|e| e.to_string())?;
                let object = value.as_object_mut().ok_or("a clause is an object")?;
                for (k, v) in set {
                    object.insert(k.clone(), v.clone());
                }
                clauses[i] =
                    serde_json::from_value(value).map_err(|e| format!("clause {number}: {e}"))?;
            }
            Change::Add { after, clause } => {
                let i = position(clauses, after)?;
                clauses.insert(i + 1, clause.clone());
            }
            Change::Replace { clause } => {
                let i = position(clauses, &clause.number)?;
                clauses[i] = clause.clone();
            }
        }
    }
    Ok(())
}

/// Claims the due job of `kind` and runs `handler` on it, as a worker of the job runtime
/// would (`ticorr serve` registers the same handlers).
async fn run_job<F, Fut>(db: &Db, clock: &Clock, kind: &str, handler: F) -> Result<(), String>
where
    F: Fn(JobContext) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<worker::Settled, worker::JobFailure>> + Send + 'static,
{
    let handlers = worker::Handlers::new().register(kind, handler);
    match worker::run_next(db, clock, &handlers, WORKER, Duration::minutes(10))
        .await
        .map_err(|e| e.to_string())?
    {
        Some(worker::RunOutcome::Done) => Ok(()),
        Some(other) => Err(format!("the {kind} job ended as {other:?}")),
        None => Err(format!("no {kind} job is due")),
    }
}

struct Runner<'a> {
    db: &'a Db,
    gate: Gate,
    clock: Clock,
    directory: Directory<'a>,
    callers: HashMap<PersonId, Caller>,
    secretariat: PersonId,
    /// Reviews assigned so far, to spread the work.
    load: HashMap<PersonId, usize>,
    /// The organisations that apply in any story: interested parties, none of whose
    /// people is drawn as a reviewer (the lifecycle itself bars only the applicant of the
    /// proposal reviewed).
    applicants: HashSet<ticorr_kernel::OrgId>,
    standards: &'a mut BTreeMap<String, Seeded>,
}

impl Runner<'_> {
    async fn caller(&mut self, person: PersonId) -> Result<Caller, String> {
        if let Some(c) = self.callers.get(&person) {
            return Ok(c.clone());
        }
        let mut conn = self.db.pool().acquire().await.map_err(|e| e.to_string())?;
        let actor = load_actor(&mut conn, person, Via::System)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("person {person} cannot act"))?;
        let caller = Caller {
            principal: Principal::Person(Box::new(actor)),
            ip: None,
        };
        self.callers.insert(person, caller.clone());
        Ok(caller)
    }

    async fn current(&mut self, id: &str) -> Result<lifecycle::DraftView, String> {
        let sec = self.caller(self.secretariat).await?;
        lifecycle::get(self.db, &self.gate, &sec, id)
            .await
            .map_err(|e| e.to_string())
    }

    async fn step(
        &mut self,
        story: &Story,
        state: &mut State,
        action: &Action,
    ) -> Result<(), String> {
        let db = self.db;
        let sec = self.caller(self.secretariat).await?;
        let draft = || {
            state
                .draft
                .clone()
                .ok_or_else(|| "the story does not begin with `create`".to_owned())
        };
        match action {
            Action::Create => {
                let applicant = self.directory.resolve(&story.applicant)?;
                let caller = self.caller(applicant).await?;
                let year = self.clock.now().inner().to_offset(BEIJING).year();
                let standard_id = match &story.standard {
                    Some(code) => Some(
                        self.standards
                            .get(code)
                            .map(|s| s.id.clone())
                            .ok_or_else(|| format!("no standard {code}"))?,
                    ),
                    None => None,
                };
                let proposal = story.proposal.clone().map(|mut p| {
                    p.code = p.code.replace("{year}", &year.to_string());
                    p
                });
                let new = NewDraft {
                    kind: story.kind,
                    standard_id,
                    proposal,
                    justification: story.justification.text(),
                };
                let created = lifecycle::create(db, &self.gate, &caller, &new)
                    .await
                    .map_err(|e| e.to_string())?;
                state.draft = Some(created.id.clone());
                // A revision starts as a copy of the version in force; the applicant then
                // writes the changes into it.
                if story.kind != DraftKind::New {
                    let mut proposal = created.proposal.clone();
                    if let Some(s) = &story.fields.scope_en {
                        proposal.scope_en = s.clone();
                    }
                    if let Some(s) = &story.fields.scope_zh {
                        proposal.scope_zh = s.clone();
                    }
                    apply(&mut proposal, &story.changes)?;
                    self.clock.advance(Duration::minutes(35));
                    let edit = DraftEdit {
                        proposal,
                        justification: story.justification.text(),
                        revision: Some(created.revision),
                    };
                    lifecycle::update(db, &self.gate, &caller, &created.id, &edit)
                        .await
                        .map_err(|e| e.to_string())?;
                }
            }
            Action::Update {
                justification,
                changes,
            } => {
                let id = draft()?;
                let current = self.current(&id).await?.draft;
                let mut proposal = current.proposal;
                apply(&mut proposal, changes)?;
                let applicant = self.directory.resolve(&story.applicant)?;
                let caller = self.caller(applicant).await?;
                let edit = DraftEdit {
                    proposal,
                    justification: justification.text(),
                    revision: Some(current.revision),
                };
                lifecycle::update(db, &self.gate, &caller, &id, &edit)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            Action::Submit | Action::Withdraw => {
                let id = draft()?;
                let applicant = self.directory.resolve(&story.applicant)?;
                let caller = self.caller(applicant).await?;
                let done = if matches!(action, Action::Submit) {
                    lifecycle::submit(db, &self.gate, &caller, &id).await
                } else {
                    lifecycle::withdraw(db, &self.gate, &caller, &id).await
                };
                done.map_err(|e| e.to_string())?;
            }
            Action::FormalCheck { passed, note } => {
                let note = note.as_ref().map(Bilingual::text).unwrap_or_default();
                lifecycle::formal_check(db, &self.gate, &sec, &draft()?, *passed, &note)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            Action::Assign => {
                let id = draft()?;
                let panel = story
                    .reviewers
                    .as_ref()
                    .ok_or("`assign` needs `reviewers`")?;
                let eligible = lifecycle::eligible_reviewers(db, &self.gate, &sec, &id)
                    .await
                    .map_err(|e| e.to_string())?;
                let mut pool: Vec<&lifecycle::Candidate> = eligible
                    .iter()
                    .filter(|c| !self.directory.account_people.contains(&c.person_id))
                    .filter(|c| {
                        self.directory
                            .org_of
                            .get(&c.person_id)
                            .is_none_or(|o| !self.applicants.contains(o))
                    })
                    .collect();
                let mut rng = ChaCha8Rng::seed_from_u64(SEED ^ fnv(&story.key));
                for i in (1..pool.len()).rev() {
                    pool.swap(i, rng.random_range(0..=i));
                }
                // The least busy first, one per organisation.
                pool.sort_by_key(|c| self.load.get(&c.person_id).copied().unwrap_or(0));
                let mut orgs = HashSet::new();
                let mut chosen: Vec<PersonId> = pool
                    .iter()
                    .filter(|c| orgs.insert(c.org_name.clone()))
                    .take(panel.count)
                    .map(|c| c.person_id)
                    .collect();
                if chosen.len() < panel.count {
                    return Err(format!(
                        "only {} eligible reviewers for a panel of {}",
                        chosen.len(),
                        panel.count
                    ));
                }
                for selector in &panel.include {
                    let p = self.directory.resolve(selector)?;
                    if !eligible.iter().any(|c| c.person_id == p) {
                        return Err(format!("{selector} may not review it"));
                    }
                    chosen.push(p);
                }
                lifecycle::assign_reviewers(db, &self.gate, &sec, &id, &chosen)
                    .await
                    .map_err(|e| e.to_string())?;
                for p in &chosen {
                    *self.load.entry(*p).or_default() += 1;
                }
                state.reviewers = chosen;
            }
            Action::Vote {
                reviewer,
                clauses,
                votes,
            } => {
                let id = draft()?;
                let person = *state
                    .reviewers
                    .get(*reviewer)
                    .ok_or_else(|| format!("no reviewer {reviewer}"))?;
                let numbers: Vec<String> = match clauses {
                    Some(n) => n.clone(),
                    None => self
                        .current(&id)
                        .await?
                        .draft
                        .proposal
                        .clauses
                        .iter()
                        .map(|c| c.number.clone())
                        .collect(),
                };
                let input: Vec<VoteInput> = numbers
                    .iter()
                    .map(|n| match votes.iter().find(|v| &v.clause == n) {
                        Some(v) => VoteInput {
                            clause_number: n.clone(),
                            vote: v.vote,
                            comment: v.comment.text(),
                        },
                        None => VoteInput {
                            clause_number: n.clone(),
                            vote: Vote::Approve,
                            comment: String::new(),
                        },
                    })
                    .collect();
                if let Some(v) = votes.iter().find(|v| !numbers.contains(&v.clause)) {
                    return Err(format!(
                        "a vote on clause {} that is not voted on",
                        v.clause
                    ));
                }
                let caller = self.caller(person).await?;
                lifecycle::vote(db, &self.gate, &caller, &id, &input)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            Action::Conclude {
                expect,
                consultation_days,
            } => {
                let ends = consultation_days
                    .map(|d| (self.clock.now().inner().date() + Duration::days(d)).to_string());
                let stage =
                    lifecycle::conclude_review(db, &self.gate, &sec, &draft()?, ends.as_deref())
                        .await
                        .map_err(|e| e.to_string())?;
                if stage != *expect {
                    return Err(format!("the review concluded at `{stage}`, not `{expect}`"));
                }
            }
            Action::Comment {
                id,
                by,
                clause,
                text,
            } => {
                let person = self.directory.resolve(by)?;
                let caller = self.caller(person).await?;
                let input = CommentInput {
                    clause_number: clause.clone(),
                    text: text.text(),
                };
                let comment = lifecycle::comment(db, &self.gate, &caller, &draft()?, &input)
                    .await
                    .map_err(|e| e.to_string())?;
                state.comments.insert(id.clone(), comment);
            }
            Action::Dispose {
                comment,
                disposition,
                reason,
            } => {
                let comment_id = state
                    .comments
                    .get(comment)
                    .ok_or_else(|| format!("no comment `{comment}`"))?;
                let input = DispositionInput {
                    disposition: *disposition,
                    reason: reason.text(),
                };
                lifecycle::dispose(db, &self.gate, &sec, &draft()?, comment_id, &input)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            Action::Close => {
                lifecycle::close_consultation(db, &self.gate, &sec, &draft()?)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            Action::Release {
                effective_after_months,
            } => {
                let id = draft()?;
                let effective =
                    add_months(self.clock.now().inner().date(), *effective_after_months);
                let released =
                    lifecycle::release(db, &self.gate, &sec, &id, &effective.to_string())
                        .await
                        .map_err(|e| e.to_string())?;
                // Tell the organisations concerned now, as the worker would have then (an
                // erratum, being editorial, queues no push).
                if released.push_job.is_some() {
                    run_job(
                        db,
                        &self.clock,
                        lifecycle::PUSH_JOB,
                        ticorr_standards::revision::run_push,
                    )
                    .await?;
                }
                let view = self.current(&id).await?;
                self.standards.insert(
                    view.draft.proposal.code.clone(),
                    Seeded {
                        id: released.standard_id,
                        clauses: view.draft.proposal.clauses.len(),
                    },
                );
            }
            Action::Reject { reason } => {
                lifecycle::reject(db, &self.gate, &sec, &draft()?, &reason.text())
                    .await
                    .map_err(|e| e.to_string())?;
            }
        }
        Ok(())
    }
}

/// Tells the stories of `data/standard_proposals.json` up to `now`, then runs the
/// review-due job at `now`. `standards` are the released documents by code; releases
/// update it.
pub(crate) async fn seed(
    db: &Db,
    plan: &Plan,
    now: Timestamp,
    standards: &mut BTreeMap<String, Seeded>,
) -> Result<Outcome, SeedError> {
    let file: File = serde_json::from_str(PROPOSALS_JSON)
        .map_err(|e| SeedError::Data(format!("data/standard_proposals.json: {e}")))?;
    let today = now.inner().to_offset(BEIJING).date();
    // Every step of every story, in the order of time.
    let mut steps = Vec::new();
    for (s, story) in file.proposals.iter().enumerate() {
        for (k, step) in story.steps.iter().enumerate() {
            let at = step_time(today, step).map_err(|e| failed(&story.key, e))?;
            steps.push((at, s, k));
        }
    }
    steps.sort();
    let released = base_time().plus(Duration::hours(8));
    match (steps.first(), steps.last()) {
        (Some((first, ..)), Some((last, ..))) if *first > released && *last < now => {}
        _ => {
            return Err(SeedError::Data(
                "data/standard_proposals.json: the steps must fall between the release of the seeded standards and now"
                    .into(),
            ));
        }
    }
    let clock = Clock::manual(steps[0].0.plus(Duration::minutes(-1)));
    let authz = Authz::load().map_err(|e| SeedError::Lifecycle(e.to_string()))?;
    let directory = Directory::new(plan);
    let secretariat = directory
        .resolve(&file.secretariat)
        .map_err(|e| failed("secretariat", e))?;
    let mut applicants = HashSet::new();
    for story in &file.proposals {
        let person = directory
            .resolve(&story.applicant)
            .map_err(|e| failed(&story.key, e))?;
        applicants.extend(directory.org_of.get(&person).copied());
    }
    let mut runner = Runner {
        db,
        gate: Gate::new(Arc::new(authz), clock.clone()),
        clock: clock.clone(),
        directory,
        callers: HashMap::new(),
        secretariat,
        load: HashMap::new(),
        applicants,
        standards,
    };
    let mut states: Vec<State> = file.proposals.iter().map(|_| State::default()).collect();
    for (at, s, k) in steps {
        let story = &file.proposals[s];
        let step = &story.steps[k];
        if at > clock.now() {
            clock.advance(at.inner() - clock.now().inner());
        }
        runner
            .step(story, &mut states[s], &step.action)
            .await
            .map_err(|e| {
                failed(
                    &story.key,
                    format!("day {} ({:?}): {e}", step.day, step.action),
                )
            })?;
    }

    // The day of seeding: the daily job opens the periodic reviews that have come.
    clock.advance(now.inner() - clock.now().inner());
    let job = {
        let mut conn = db.pool().acquire().await?;
        jobs::enqueue(
            &mut conn,
            lifecycle::REVIEW_DUE_JOB,
            &serde_json::json!({}),
            now,
            None,
            None,
        )
        .await
        .map_err(|e| SeedError::Lifecycle(e.to_string()))?
    };
    run_job(
        db,
        &clock,
        lifecycle::REVIEW_DUE_JOB,
        ticorr_standards::revision::run_review_due,
    )
    .await
    .map_err(|e| failed("review due", e))?;
    let mut conn = db.pool().acquire().await?;
    let review_tasks = jobs::get(&mut conn, &job)
        .await
        .map_err(|e| SeedError::Lifecycle(e.to_string()))?
        .and_then(|j| j.result)
        .and_then(|r| r.get("opened").and_then(Value::as_u64))
        .unwrap_or(0) as usize;
    drop(conn);

    // The e-mails of the seeded past were the past's; none is sent when the demo starts.
    jobs::settle_seeded(
        db,
        ticorr_platform::notify::EMAIL_JOB,
        now,
        &serde_json::json!({ "not_sent": "queued by the seeded history of `ticorr demo`" }),
    )
    .await
    .map_err(|e| SeedError::Lifecycle(e.to_string()))?;

    let sec = runner
        .caller(secretariat)
        .await
        .map_err(|e| failed("secretariat", e))?;
    let drafts = lifecycle::list(db, &runner.gate, &sec, &DraftFilter::default())
        .await
        .map_err(|e| SeedError::Lifecycle(e.to_string()))?;
    let mut by_stage = BTreeMap::new();
    for d in drafts {
        *by_stage.entry(d.stage.as_str().to_owned()).or_insert(0) += 1;
    }
    Ok(Outcome {
        by_stage,
        review_tasks,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stories_parse_and_name_people_of_the_plan() {
        let file: File = serde_json::from_str(PROPOSALS_JSON).expect("the data file parses");
        let plan = crate::plan::build();
        let directory = Directory::new(&plan);
        directory.resolve(&file.secretariat).unwrap();
        let mut keys = HashSet::new();
        for story in &file.proposals {
            assert!(keys.insert(&story.key), "{} twice", story.key);
            directory.resolve(&story.applicant).unwrap();
            assert_eq!(
                story.kind == DraftKind::New,
                story.proposal.is_some(),
                "{}",
                story.key
            );
            assert_eq!(
                story.kind == DraftKind::New,
                story.standard.is_none(),
                "{}",
                story.key
            );
            if let Some(p) = &story.proposal {
                let mut p = p.clone();
                p.code = p.code.replace("{year}", "2026");
                assert_eq!(ticorr_standards::check_input(&p), Vec::<String>::new());
            }
            for step in &story.steps {
                step_time(
                    Date::from_calendar_date(2026, time::Month::December, 7).unwrap(),
                    step,
                )
                .unwrap_or_else(|e| panic!("{}: {e}", story.key));
                if let Action::Comment { by, .. } = &step.action {
                    directory.resolve(by).unwrap();
                }
            }
            if let Some(panel) = &story.reviewers {
                for s in &panel.include {
                    directory.resolve(s).unwrap();
                }
            }
        }
    }

    #[test]
    fn changes_patch_add_and_replace_clauses() {
        let standards: serde_json::Value =
            serde_json::from_str(include_str!("../data/standards.json")).unwrap();
        let mut s: StandardInput =
            serde_json::from_value(standards["standards"][4].clone()).unwrap();
        assert_eq!(s.code, "T/TICORR 005-2026");
        let mut clause = s.clauses[0].clone();
        clause.number = "4.9".into();
        let changes = vec![
            Change::Patch {
                number: "4.2".into(),
                set: serde_json::json!({ "convention": true })
                    .as_object()
                    .unwrap()
                    .clone(),
            },
            Change::Add {
                after: "4.8".into(),
                clause: clause.clone(),
            },
        ];
        apply(&mut s, &changes).unwrap();
        assert!(s.clauses[1].convention);
        assert_eq!(s.clauses[8].number, "4.9");
        assert!(
            apply(
                &mut s,
                &[Change::Replace {
                    clause: {
                        let mut c = clause;
                        c.number = "9.9".into();
                        c
                    }
                }]
            )
            .is_err()
        );
    }
}
