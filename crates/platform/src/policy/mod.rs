//! Authorization, decided in one place by Cedar.
//!
//! The schema and policies are the `.cedar` files in `policies/`, embedded in the binary,
//! parsed and validated (strict mode) at start-up and in the tests. [`Authz::authorize`] is
//! the one entry point: it turns a principal, an action and a resource into a Cedar request
//! with the entities the policies need and returns Cedar's decision. Nothing else in the
//! platform decides who may do what; modules reach this through [`crate::Gate`], which
//! also writes the audit record.

pub mod matrix;

use std::collections::{HashMap, HashSet};
use std::str::FromStr;

use cedar_policy::{
    Authorizer, Context, Decision, Entities, Entity, EntityId, EntityTypeName, EntityUid, PolicyId,
    PolicySet, Request, RestrictedExpression, Schema, ValidationMode, Validator,
};
use ticorr_kernel::{Capacity, Level, OrgId, OrgKind, PersonId, Role, SessionId, TokenId};

/// The policy files, in the order they are concatenated into one policy set.
pub const POLICY_FILES: &[(&str, &str)] = &[
    (
        "levels.cedar",
        include_str!("../../../../policies/levels.cedar"),
    ),
    (
        "organizations.cedar",
        include_str!("../../../../policies/organizations.cedar"),
    ),
    (
        "tokens.cedar",
        include_str!("../../../../policies/tokens.cedar"),
    ),
    (
        "supervision.cedar",
        include_str!("../../../../policies/supervision.cedar"),
    ),
    (
        "jobs.cedar",
        include_str!("../../../../policies/jobs.cedar"),
    ),
    (
        "attachments.cedar",
        include_str!("../../../../policies/attachments.cedar"),
    ),
    (
        "notifications.cedar",
        include_str!("../../../../policies/notifications.cedar"),
    ),
    (
        "standards.cedar",
        include_str!("../../../../policies/standards.cedar"),
    ),
    (
        "cases.cedar",
        include_str!("../../../../policies/cases.cedar"),
    ),
];

pub const SCHEMA_FILE: &str = include_str!("../../../../policies/schema.cedarschema");

ticorr_kernel::text_enum! {
    /// Every action the policies decide.
    pub enum Action {
        /// Read a record.
        Read = "read",
        /// Create a record (the resource is the record as it would be stored).
        Create = "create",
        /// Change a record.
        Update = "update",
        /// Delete a record.
        Delete = "delete",
        /// Oversee how records are used (privacy budgets, access logs) without reading them.
        Supervise = "supervise",
        /// See an organisation's profile.
        ViewProfile = "view_profile",
        /// See the people of an organisation.
        ViewMembers = "view_members",
        /// Add, change and disable the people of an organisation.
        ManagePeople = "manage_people",
        /// Issue and revoke an organisation's API tokens.
        ManageTokens = "manage_tokens",
        /// Verify, reject or suspend an organisation.
        Verify = "verify",
        /// Register an organisation's webhook endpoints and read their delivery logs.
        ManageWebhooks = "manage_webhooks",
        /// Read one's notifications and notification preferences.
        ReadInbox = "read_inbox",
        /// Mark notifications read, archive them, change notification preferences.
        ManageInbox = "manage_inbox",
        /// See a background job's status, progress and result.
        ViewJob = "view_job",
        /// See every job's failures, retry dead jobs, see the recurring jobs.
        OperateJobs = "operate_jobs",
        /// Follow a standard proposal: its clauses, votes, comments and history.
        ViewDraft = "view_draft",
        /// Write, submit or withdraw one's own standard proposal.
        EditDraft = "edit_draft",
        /// Vote on a proposal's clauses as an assigned expert.
        ReviewDraft = "review_draft",
        /// Comment on a proposal in public consultation.
        CommentDraft = "comment_draft",
        /// Run the standards lifecycle: formal check, reviewers, consultation, release.
        SteerStandards = "steer_standards",
        /// Give an expert verdict on a local supplementary clause's equivalence.
        AssessEquivalence = "assess_equivalence",
        /// Confirm the desensitized version of one's own failure case and submit it.
        EditCase = "edit_case",
        /// Curate failure cases: publish, send back, withdraw.
        CurateCase = "curate_case",
        /// Read the full desensitized record of a failure case.
        ReadCaseFull = "read_case_full",
        /// Apply for the full record of a published failure case.
        RequestCaseAccess = "request_case_access",
        /// Grant or refuse applications for a failure case's full record.
        DecideCaseAccess = "decide_case_access",
        /// Fit the learned risk model over every organisation's equipment and the
        /// published cases, keeping only coefficients and measurements.
        TrainRiskModel = "train_risk_model",
        /// Draft, edit and publish the national warning bulletins.
        EditBulletin = "edit_bulletin",
    }
}

impl Action {
    /// Actions on records, governed by the data levels.
    pub const RECORD: &'static [Action] =
        &[Action::Read, Action::Create, Action::Update, Action::Delete];
    /// Actions on organisations.
    pub const ORGANIZATION: &'static [Action] = &[
        Action::ViewProfile,
        Action::ViewMembers,
        Action::ManagePeople,
        Action::ManageTokens,
        Action::ManageWebhooks,
        Action::Verify,
    ];
    /// Actions on a person's inbox.
    pub const INBOX: &'static [Action] = &[Action::ReadInbox, Action::ManageInbox];
    /// Actions on background jobs.
    pub const JOB: &'static [Action] = &[Action::ViewJob, Action::OperateJobs];
    /// Actions on standard proposals.
    pub const DRAFT: &'static [Action] = &[
        Action::ViewDraft,
        Action::EditDraft,
        Action::ReviewDraft,
        Action::CommentDraft,
        Action::SteerStandards,
    ];
    /// Actions on failure cases.
    pub const CASE: &'static [Action] = &[
        Action::EditCase,
        Action::CurateCase,
        Action::ReadCaseFull,
        Action::RequestCaseAccess,
        Action::DecideCaseAccess,
    ];
}

/// How a person's request was authenticated.
#[derive(Debug, Clone, PartialEq)]
pub enum Via {
    /// A sign-in session, through its cookie or its bearer token.
    Session(SessionId),
    /// An API token limited to `scopes`.
    Token { id: TokenId, scopes: Vec<Action> },
    /// The platform itself (seeding, migrations, jobs); never used for a request.
    System,
}

/// A signed-in person, with everything the policies look at.
#[derive(Debug, Clone)]
pub struct Actor {
    pub person_id: PersonId,
    pub display_name: String,
    pub org_id: OrgId,
    pub org_kind: OrgKind,
    pub org_name: String,
    pub org_verified: bool,
    /// For an enterprise, the parks it is settled in.
    pub org_parks: Vec<OrgId>,
    pub role: Role,
    pub capacities: Vec<Capacity>,
    pub active: bool,
    pub via: Via,
}

/// Who is asking.
#[derive(Debug, Clone)]
pub enum Principal {
    Anonymous,
    Person(Box<Actor>),
    /// The platform's own recurring work that no person started (the learned risk
    /// model's retraining). Never the principal of a request.
    Platform,
}

impl Principal {
    pub fn actor(&self) -> Option<&Actor> {
        match self {
            Principal::Anonymous | Principal::Platform => None,
            Principal::Person(a) => Some(a),
        }
    }
}

/// A record of any module, described by what the data levels need.
#[derive(Debug, Clone)]
pub struct RecordRef {
    /// The record type, e.g. `equipment`.
    pub kind: &'static str,
    pub id: String,
    pub level: Level,
    pub owner: OrgId,
    /// The parks forming the L2 audience.
    pub parks: Vec<OrgId>,
}

/// An organisation as the resource of an organisation action.
#[derive(Debug, Clone)]
pub struct OrgRef {
    pub id: OrgId,
    pub kind: OrgKind,
    pub verified: bool,
}

/// A background job as the resource of a job action.
#[derive(Debug, Clone)]
pub struct JobRef {
    pub id: String,
    /// The organisation of the person who started it; `None` for the platform's own jobs.
    pub org: Option<OrgId>,
    pub starter: Option<PersonId>,
}

/// A standard proposal as the resource of a lifecycle action.
#[derive(Debug, Clone)]
pub struct DraftRef {
    pub id: String,
    /// The organisation that applied.
    pub applicant: OrgId,
    /// `draft`, `formal_check`, `expert_review`, `consultation`, `approved`, `released`,
    /// `rejected` or `withdrawn`.
    pub stage: &'static str,
    /// The experts assigned to review it.
    pub reviewers: Vec<PersonId>,
}

/// A failure case as the resource of a workflow action.
#[derive(Debug, Clone)]
pub struct CaseRef {
    pub id: String,
    /// The organisation that contributed it.
    pub contributor: OrgId,
    /// `draft`, `submitted`, `returned`, `held`, `published` or `withdrawn`.
    pub stage: &'static str,
    /// The people holding an unexpired grant to its full record.
    pub grantees: Vec<PersonId>,
}

/// A person's notification inbox (with their notification preferences).
#[derive(Debug, Clone)]
pub struct InboxRef {
    pub owner: PersonId,
}

#[derive(Debug, Clone)]
pub enum Resource {
    Record(RecordRef),
    Organization(OrgRef),
    Inbox(InboxRef),
    Job(JobRef),
    StandardDraft(DraftRef),
    FailureCase(CaseRef),
}

impl Resource {
    /// The level the resource sits at, for the audit; organisations are not leveled data.
    pub fn level(&self) -> Option<Level> {
        match self {
            Resource::Record(r) => Some(r.level),
            Resource::Organization(_)
            | Resource::Job(_)
            | Resource::Inbox(_)
            | Resource::StandardDraft(_)
            | Resource::FailureCase(_) => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("the Cedar schema does not parse: {0}")]
    Schema(String),
    #[error("{file} does not parse: {message}")]
    Parse { file: &'static str, message: String },
    #[error("the policies do not validate against the schema: {0}")]
    Invalid(String),
}

/// The parsed, validated policy set and schema.
pub struct Authz {
    schema: Schema,
    policies: PolicySet,
    authorizer: Authorizer,
}

impl std::fmt::Debug for Authz {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authz")
            .field("policies", &self.policies.policies().count())
            .finish()
    }
}

fn type_name(name: &str) -> EntityTypeName {
    EntityTypeName::from_str(name).expect("entity type names are constants")
}

fn uid(ty: &str, id: &str) -> EntityUid {
    EntityUid::from_type_name_and_id(type_name(ty), EntityId::new(id))
}

fn org_uid(id: OrgId) -> EntityUid {
    uid("Ticorr::Organization", &id.to_string())
}

fn str_expr(s: &str) -> RestrictedExpression {
    RestrictedExpression::new_string(s.to_owned())
}

fn org_set(ids: &[OrgId]) -> RestrictedExpression {
    RestrictedExpression::new_set(
        ids.iter()
            .map(|id| RestrictedExpression::new_entity_uid(org_uid(*id))),
    )
}

/// A workflow resource (a standard proposal, a failure case): its organisation, its stage and
/// a set of people, under the attribute names of its entity type. `(type, id, stage)`,
/// `(org attribute, org)`, `(people attribute, people)`. Adds the resource and, when it is
/// another than the principal's, its organisation (with no attributes the policies read).
fn staged_entity(
    entities: &mut Vec<Entity>,
    principal: &Principal,
    (ty, id, stage): (&str, &str, &str),
    (org_attr, org): (&str, OrgId),
    (people_attr, people): (&str, &[PersonId]),
) -> Result<EntityUid, String> {
    let u = uid(ty, id);
    let org_entity = org_uid(org);
    if !matches!(principal, Principal::Person(a) if a.org_id == org) {
        entities.push(
            Entity::new(
                org_entity.clone(),
                HashMap::from([
                    ("kind".to_owned(), str_expr("")),
                    ("verified".to_owned(), RestrictedExpression::new_bool(true)),
                    ("parks".to_owned(), org_set(&[])),
                ]),
                HashSet::new(),
            )
            .map_err(|e| e.to_string())?,
        );
    }
    entities.push(
        Entity::new(
            u.clone(),
            HashMap::from([
                (
                    org_attr.to_owned(),
                    RestrictedExpression::new_entity_uid(org_entity),
                ),
                ("stage".to_owned(), str_expr(stage)),
                (
                    people_attr.to_owned(),
                    RestrictedExpression::new_set(people.iter().map(|p| {
                        RestrictedExpression::new_entity_uid(uid("Ticorr::Person", &p.to_string()))
                    })),
                ),
            ]),
            HashSet::new(),
        )
        .map_err(|e| e.to_string())?,
    );
    Ok(u)
}

impl Authz {
    /// Parses the embedded schema and policies and validates them in strict mode.
    pub fn load() -> Result<Authz, PolicyError> {
        let (schema, _warnings) = Schema::from_cedarschema_str(SCHEMA_FILE)
            .map_err(|e| PolicyError::Schema(e.to_string()))?;
        let mut policies = PolicySet::new();
        for (file, text) in POLICY_FILES {
            let set = PolicySet::from_str(text).map_err(|e| PolicyError::Parse {
                file,
                message: e.to_string(),
            })?;
            for policy in set.policies() {
                // Name each policy by its `@id` annotation, which every shipped policy has.
                let id = policy.annotation("id").ok_or_else(|| PolicyError::Parse {
                    file,
                    message: "every policy needs an @id(\"...\") annotation".into(),
                })?;
                let policy = policy.new_id(PolicyId::new(id));
                policies.add(policy).map_err(|e| PolicyError::Parse {
                    file,
                    message: e.to_string(),
                })?;
            }
        }
        let validation = Validator::new(schema.clone()).validate(&policies, ValidationMode::Strict);
        if !validation.validation_passed() {
            let errors: Vec<String> = validation
                .validation_errors()
                .map(|e| e.to_string())
                .collect();
            return Err(PolicyError::Invalid(errors.join("; ")));
        }
        Ok(Authz {
            schema,
            policies,
            authorizer: Authorizer::new(),
        })
    }

    /// The policy ids, for the documentation.
    pub fn policy_ids(&self) -> Vec<String> {
        self.policies
            .policies()
            .map(|p| p.id().to_string())
            .collect()
    }

    /// Cedar's decision for `principal` doing `action` on `resource`. A request that cannot
    /// be expressed (which would be a bug) is denied and logged.
    pub fn authorize(&self, principal: &Principal, action: Action, resource: &Resource) -> bool {
        match self.request(principal, action, resource) {
            Ok((request, entities)) => {
                let response = self
                    .authorizer
                    .is_authorized(&request, &self.policies, &entities);
                for error in response.diagnostics().errors() {
                    tracing::error!(policy.error = %error, action = %action, "policy evaluation error");
                }
                response.decision() == Decision::Allow
            }
            Err(message) => {
                tracing::error!(%message, action = %action, "authorization request could not be built; denied");
                false
            }
        }
    }

    fn request(
        &self,
        principal: &Principal,
        action: Action,
        resource: &Resource,
    ) -> Result<(Request, Entities), String> {
        let mut entities: Vec<Entity> = Vec::new();
        let (principal_uid, via_token, scopes) = match principal {
            Principal::Anonymous => {
                let u = uid("Ticorr::Anonymous", "anonymous");
                entities.push(Entity::new_no_attrs(u.clone(), HashSet::new()));
                (u, false, Vec::new())
            }
            Principal::Platform => {
                let u = uid("Ticorr::Platform", "platform");
                entities.push(Entity::new_no_attrs(u.clone(), HashSet::new()));
                (u, false, Vec::new())
            }
            Principal::Person(actor) => {
                let org = org_uid(actor.org_id);
                let org_entity = Entity::new(
                    org.clone(),
                    HashMap::from([
                        ("kind".to_owned(), str_expr(actor.org_kind.as_str())),
                        (
                            "verified".to_owned(),
                            RestrictedExpression::new_bool(actor.org_verified),
                        ),
                        ("parks".to_owned(), org_set(&actor.org_parks)),
                    ]),
                    HashSet::new(),
                )
                .map_err(|e| e.to_string())?;
                entities.push(org_entity);
                let person = uid("Ticorr::Person", &actor.person_id.to_string());
                let person_entity = Entity::new(
                    person.clone(),
                    HashMap::from([
                        (
                            "org".to_owned(),
                            RestrictedExpression::new_entity_uid(org.clone()),
                        ),
                        ("role".to_owned(), str_expr(actor.role.as_str())),
                        (
                            "capacities".to_owned(),
                            RestrictedExpression::new_set(
                                actor.capacities.iter().map(|c| str_expr(c.as_str())),
                            ),
                        ),
                        (
                            "active".to_owned(),
                            RestrictedExpression::new_bool(actor.active),
                        ),
                    ]),
                    HashSet::from([org]),
                )
                .map_err(|e| e.to_string())?;
                entities.push(person_entity);
                match &actor.via {
                    Via::Token { scopes, .. } => (person, true, scopes.clone()),
                    Via::Session(_) | Via::System => (person, false, Vec::new()),
                }
            }
        };

        let resource_uid = match resource {
            Resource::Record(r) => {
                let u = uid("Ticorr::Record", &format!("{}/{}", r.kind, r.id));
                entities.push(
                    Entity::new(
                        u.clone(),
                        HashMap::from([
                            ("kind".to_owned(), str_expr(r.kind)),
                            ("level".to_owned(), str_expr(r.level.as_str())),
                            (
                                "owner".to_owned(),
                                RestrictedExpression::new_entity_uid(org_uid(r.owner)),
                            ),
                            ("parks".to_owned(), org_set(&r.parks)),
                        ]),
                        HashSet::new(),
                    )
                    .map_err(|e| e.to_string())?,
                );
                u
            }
            Resource::Organization(o) => {
                let u = org_uid(o.id);
                // The principal's own organisation is already in the store with the
                // attributes the policies read; add the resource only when it is another.
                let already = matches!(principal, Principal::Person(a) if a.org_id == o.id);
                if !already {
                    entities.push(
                        Entity::new(
                            u.clone(),
                            HashMap::from([
                                ("kind".to_owned(), str_expr(o.kind.as_str())),
                                (
                                    "verified".to_owned(),
                                    RestrictedExpression::new_bool(o.verified),
                                ),
                                ("parks".to_owned(), org_set(&[])),
                            ]),
                            HashSet::new(),
                        )
                        .map_err(|e| e.to_string())?,
                    );
                }
                u
            }
            Resource::Job(j) => {
                let u = uid("Ticorr::Job", &j.id);
                let mut attrs = HashMap::new();
                if let Some(org) = j.org {
                    attrs.insert(
                        "org".to_owned(),
                        RestrictedExpression::new_entity_uid(org_uid(org)),
                    );
                }
                if let Some(p) = j.starter {
                    attrs.insert(
                        "starter".to_owned(),
                        RestrictedExpression::new_entity_uid(uid("Ticorr::Person", &p.to_string())),
                    );
                }
                entities.push(
                    Entity::new(u.clone(), attrs, HashSet::new()).map_err(|e| e.to_string())?,
                );
                u
            }
            Resource::StandardDraft(d) => staged_entity(
                &mut entities,
                principal,
                ("Ticorr::StandardDraft", &d.id, d.stage),
                ("applicant", d.applicant),
                ("reviewers", &d.reviewers),
            )?,
            Resource::FailureCase(c) => staged_entity(
                &mut entities,
                principal,
                ("Ticorr::FailureCase", &c.id, c.stage),
                ("contributor", c.contributor),
                ("grantees", &c.grantees),
            )?,
            Resource::Inbox(i) => {
                let u = uid("Ticorr::Inbox", &i.owner.to_string());
                entities.push(
                    Entity::new(
                        u.clone(),
                        HashMap::from([(
                            "owner".to_owned(),
                            RestrictedExpression::new_entity_uid(uid(
                                "Ticorr::Person",
                                &i.owner.to_string(),
                            )),
                        )]),
                        HashSet::new(),
                    )
                    .map_err(|e| e.to_string())?,
                );
                u
            }
        };

        let context = Context::from_pairs([
            (
                "via_token".to_owned(),
                RestrictedExpression::new_bool(via_token),
            ),
            (
                "token_scopes".to_owned(),
                RestrictedExpression::new_set(scopes.iter().map(|a| str_expr(a.as_str()))),
            ),
            ("action_name".to_owned(), str_expr(action.as_str())),
        ])
        .map_err(|e| e.to_string())?;
        let action_uid = uid("Ticorr::Action", action.as_str());
        let request = Request::new(
            principal_uid,
            action_uid,
            resource_uid,
            context,
            Some(&self.schema),
        )
        .map_err(|e| e.to_string())?;
        let entities =
            Entities::from_entities(entities, Some(&self.schema)).map_err(|e| e.to_string())?;
        Ok((request, entities))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_policy_file_in_the_repository_is_loaded() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../policies");
        for entry in std::fs::read_dir(dir).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            if name.ends_with(".cedar") {
                assert!(
                    POLICY_FILES.iter().any(|(f, _)| *f == name),
                    "policies/{name} is not in POLICY_FILES"
                );
            }
        }
    }

    #[test]
    fn the_shipped_policies_parse_and_validate() {
        let authz = Authz::load().expect("policies validate");
        assert!(authz.policy_ids().len() >= 10);
    }
}
