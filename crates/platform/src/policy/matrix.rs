//! The access matrix: every principal kind × data level × action, decided by the policies.
//!
//! `docs/access-matrix.md` is generated from here (`ticorr access-matrix`), and a test
//! enumerates the whole matrix against both the policies and the rules of DESIGN.md §2, so
//! neither the document nor the policies can drift unnoticed.

use std::fmt::Write as _;

use ticorr_kernel::{Level, OrgId, OrgKind, PersonId, Role, SessionId, TokenId};
use uuid::Uuid;

use super::{
    Action, Actor, Authz, CaseRef, DraftRef, InboxRef, JobRef, OrgRef, Principal, RecordRef,
    Resource, Via,
};

/// How the principal relates to the record's owner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Relation {
    /// A person of the organisation that owns the record.
    Owner,
    /// A person of the management of the park the record belongs to.
    ParkManagement,
    /// A person of an enterprise settled in the park the record belongs to.
    SettledInPark,
    /// A person of an unrelated organisation.
    Other,
}

impl Relation {
    pub fn describe(self) -> &'static str {
        match self {
            Relation::Owner => "owner organisation",
            Relation::ParkManagement => "management of the record's park",
            Relation::SettledInPark => "settled in the record's park",
            Relation::Other => "other organisation",
        }
    }

    /// The relations an organisation kind can have to a record.
    pub fn for_kind(kind: OrgKind) -> Vec<Relation> {
        let mut out = vec![Relation::Owner];
        match kind {
            OrgKind::Park => out.push(Relation::ParkManagement),
            OrgKind::Enterprise => out.push(Relation::SettledInPark),
            _ => {}
        }
        out.push(Relation::Other);
        out
    }
}

/// Special conditions on an otherwise normal principal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Condition {
    Normal,
    /// The principal's organisation is still waiting for verification.
    OrgPending,
    /// The person's account is disabled.
    Disabled,
    /// The request uses an API token not issued for the action.
    TokenWithoutScope,
    /// The request uses an API token issued for the action.
    TokenWithScope,
}

fn fixed_org(n: u128) -> OrgId {
    OrgId::from_uuid(Uuid::from_u128(n))
}

const OWNER: u128 = 1;
const PARK: u128 = 2;
const OTHER: u128 = 3;
const OTHER_PARK: u128 = 4;

/// A person of `kind` with `relation` to a record owned by organisation OWNER in park PARK.
pub fn principal(
    kind: OrgKind,
    relation: Relation,
    role: Role,
    condition: Condition,
    action: Action,
) -> Principal {
    let (org_id, org_parks) = match relation {
        Relation::Owner => (fixed_org(OWNER), vec![fixed_org(PARK)]),
        Relation::ParkManagement => (fixed_org(PARK), vec![]),
        Relation::SettledInPark => (fixed_org(OTHER), vec![fixed_org(PARK)]),
        Relation::Other => (
            fixed_org(OTHER),
            if kind == OrgKind::Enterprise {
                vec![fixed_org(OTHER_PARK)]
            } else {
                vec![]
            },
        ),
    };
    let via = match condition {
        Condition::TokenWithoutScope => Via::Token {
            id: TokenId::from_uuid(Uuid::from_u128(9)),
            scopes: Action::ALL
                .iter()
                .copied()
                .filter(|a| *a != action)
                .collect(),
        },
        Condition::TokenWithScope => Via::Token {
            id: TokenId::from_uuid(Uuid::from_u128(9)),
            scopes: vec![action],
        },
        _ => Via::Session(SessionId::from_uuid(Uuid::from_u128(8))),
    };
    Principal::Person(Box::new(Actor {
        person_id: PersonId::from_uuid(Uuid::from_u128(7)),
        display_name: "matrix".into(),
        org_id,
        org_kind: kind,
        org_name: "matrix".into(),
        org_verified: condition != Condition::OrgPending,
        org_parks,
        role,
        capacities: vec![],
        active: condition != Condition::Disabled,
        via,
    }))
}

/// The record every matrix row is decided against.
pub fn record(level: Level) -> Resource {
    record_of("equipment", level)
}

/// Record kinds whose use the regulator supervises, and one that it does not.
pub const SUPERVISED_KINDS: [&str; 3] = ["privacy_budget", "audit_event", "equipment"];

/// A record of `kind` owned by OWNER in park PARK.
pub fn record_of(kind: &'static str, level: Level) -> Resource {
    Resource::Record(RecordRef {
        kind,
        id: "matrix".into(),
        level,
        owner: fixed_org(OWNER),
        parks: vec![fixed_org(PARK)],
    })
}

/// The organisation resource for organisation actions: the principal's own (OWNER) or another.
pub fn organization(own: bool, verified: bool) -> Resource {
    Resource::Organization(OrgRef {
        id: if own {
            fixed_org(OWNER)
        } else {
            fixed_org(OTHER_PARK + 1)
        },
        kind: OrgKind::Enterprise,
        verified,
    })
}

/// How a job relates to the principal of a matrix row (who is always person 7 of OWNER).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobRelation {
    /// The principal started it.
    Started,
    /// Another person of the principal's organisation started it.
    SameOrg,
    /// A person of another organisation started it.
    OtherOrg,
    /// The platform's own job (recurring housekeeping), started by nobody.
    Platform,
}

impl JobRelation {
    pub const ALL: [JobRelation; 4] = [
        JobRelation::Started,
        JobRelation::SameOrg,
        JobRelation::OtherOrg,
        JobRelation::Platform,
    ];

    pub fn describe(self) -> &'static str {
        match self {
            JobRelation::Started => "started by the principal",
            JobRelation::SameOrg => "started by another person of its organisation",
            JobRelation::OtherOrg => "started by another organisation",
            JobRelation::Platform => "the platform's own",
        }
    }
}

/// The job resource for `relation` to a principal of organisation OWNER.
pub fn job(relation: JobRelation) -> Resource {
    let person = |n| Some(PersonId::from_uuid(Uuid::from_u128(n)));
    let (org, starter) = match relation {
        JobRelation::Started => (Some(fixed_org(OWNER)), person(7)),
        JobRelation::SameOrg => (Some(fixed_org(OWNER)), person(70)),
        JobRelation::OtherOrg => (Some(fixed_org(OTHER)), person(71)),
        JobRelation::Platform => (None, None),
    };
    Resource::Job(JobRef {
        id: "matrix".into(),
        org,
        starter,
    })
}

/// The inbox of the matrix principal (own) or of another person.
pub fn inbox(own: bool) -> Resource {
    Resource::Inbox(InboxRef {
        owner: PersonId::from_uuid(Uuid::from_u128(if own { 7 } else { 70 })),
    })
}

/// How a person relates to a standard proposal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DraftRelation {
    /// A person of the organisation that applied.
    Applicant,
    /// A person of the association (its standards secretariat).
    Secretariat,
    /// An expert of another organisation assigned to review it.
    Reviewer,
    /// An expert of another organisation, not assigned.
    Unassigned,
    /// Any other registered person.
    Other,
}

impl DraftRelation {
    pub const ALL: [DraftRelation; 5] = [
        DraftRelation::Applicant,
        DraftRelation::Secretariat,
        DraftRelation::Reviewer,
        DraftRelation::Unassigned,
        DraftRelation::Other,
    ];

    pub fn describe(self) -> &'static str {
        match self {
            DraftRelation::Applicant => "the applicant organisation",
            DraftRelation::Secretariat => "the association (standards secretariat)",
            DraftRelation::Reviewer => "an expert assigned to review it",
            DraftRelation::Unassigned => "an expert not assigned",
            DraftRelation::Other => "any other registered person",
        }
    }

    /// A person (`condition` applied) in this relation to [`draft`]'s proposal.
    pub fn principal(self, condition: Condition, action: Action) -> Principal {
        let (kind, relation) = match self {
            DraftRelation::Applicant => (OrgKind::Enterprise, Relation::Owner),
            DraftRelation::Secretariat => (OrgKind::Association, Relation::Other),
            DraftRelation::Reviewer | DraftRelation::Unassigned => {
                (OrgKind::Research, Relation::Other)
            }
            DraftRelation::Other => (OrgKind::Enterprise, Relation::Other),
        };
        let mut p = principal(kind, relation, Role::Member, condition, action);
        if let Principal::Person(a) = &mut p {
            if matches!(self, DraftRelation::Reviewer | DraftRelation::Unassigned) {
                a.capacities = vec![ticorr_kernel::Capacity::Expert];
            }
            // Person 7 is the proposal's assigned reviewer; everybody else is someone else.
            if self != DraftRelation::Reviewer {
                a.person_id = PersonId::from_uuid(Uuid::from_u128(72));
            }
        }
        p
    }
}

/// Every stage of a standard proposal.
pub const DRAFT_STAGES: [&str; 8] = [
    "draft",
    "formal_check",
    "expert_review",
    "consultation",
    "approved",
    "released",
    "rejected",
    "withdrawn",
];

/// A proposal of organisation OWNER at `stage`, with the matrix principal (person 7) as its
/// assigned reviewer.
pub fn draft(stage: &'static str) -> Resource {
    Resource::StandardDraft(DraftRef {
        id: "matrix".into(),
        applicant: fixed_org(OWNER),
        stage,
        reviewers: vec![PersonId::from_uuid(Uuid::from_u128(7))],
    })
}

/// How a person relates to a failure case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaseRelation {
    /// An admin of the contributing organisation.
    ContributorAdmin,
    /// A member (not an admin) of the contributing organisation.
    ContributorMember,
    /// A person of the platform operator.
    Operator,
    /// A person of the industry association.
    Association,
    /// A person of another organisation holding an unexpired grant to the full record.
    Grantee,
    /// Any other registered person.
    Other,
}

impl CaseRelation {
    pub const ALL: [CaseRelation; 6] = [
        CaseRelation::ContributorAdmin,
        CaseRelation::ContributorMember,
        CaseRelation::Operator,
        CaseRelation::Association,
        CaseRelation::Grantee,
        CaseRelation::Other,
    ];

    pub fn describe(self) -> &'static str {
        match self {
            CaseRelation::ContributorAdmin => "an admin of the contributing organisation",
            CaseRelation::ContributorMember => "a member of the contributing organisation",
            CaseRelation::Operator => "the platform operator",
            CaseRelation::Association => "the industry association",
            CaseRelation::Grantee => "a person holding a grant to the full record",
            CaseRelation::Other => "any other registered person",
        }
    }

    /// A person (`condition` applied) in this relation to [`failure_case`]'s case.
    pub fn principal(self, condition: Condition, action: Action) -> Principal {
        let (kind, relation, role) = match self {
            CaseRelation::ContributorAdmin => (OrgKind::Enterprise, Relation::Owner, Role::Admin),
            CaseRelation::ContributorMember => (OrgKind::Enterprise, Relation::Owner, Role::Member),
            CaseRelation::Operator => (OrgKind::Operator, Relation::Other, Role::Member),
            CaseRelation::Association => (OrgKind::Association, Relation::Other, Role::Member),
            CaseRelation::Grantee | CaseRelation::Other => {
                (OrgKind::Enterprise, Relation::Other, Role::Member)
            }
        };
        let mut p = principal(kind, relation, role, condition, action);
        // Person 7 holds the grant; everybody else is someone else.
        if let Principal::Person(a) = &mut p
            && self != CaseRelation::Grantee
        {
            a.person_id = PersonId::from_uuid(Uuid::from_u128(72));
        }
        p
    }
}

/// Every stage of a failure case.
pub const CASE_STAGES: [&str; 6] = [
    "draft",
    "submitted",
    "returned",
    "held",
    "published",
    "withdrawn",
];

/// A case of organisation OWNER at `stage`, with person 7 holding a grant to its full record.
pub fn failure_case(stage: &'static str) -> Resource {
    Resource::FailureCase(CaseRef {
        id: "matrix".into(),
        contributor: fixed_org(OWNER),
        stage,
        grantees: vec![PersonId::from_uuid(Uuid::from_u128(7))],
    })
}

fn case_action_label(a: Action) -> &'static str {
    match a {
        Action::EditCase => "edit",
        Action::CurateCase => "curate",
        Action::ReadCaseFull => "full",
        Action::RequestCaseAccess => "apply",
        Action::DecideCaseAccess => "decide",
        _ => "",
    }
}

/// A table of principals × stages of a workflow resource, each cell listing the actions
/// allowed (by `label`), the anonymous visitor first.
fn stage_table(
    out: &mut String,
    authz: &Authz,
    stages: &[&'static str],
    rows: &[(&str, Principal)],
    actions: &[Action],
    resource: fn(&'static str) -> Resource,
    label: fn(Action) -> &'static str,
) {
    out.push_str("| principal |");
    for stage in stages {
        let _ = write!(out, " `{stage}` |");
    }
    out.push_str("\n|---|");
    for _ in stages {
        out.push_str("---|");
    }
    out.push('\n');
    let anonymous = ("anonymous visitor", Principal::Anonymous);
    for (who, p) in std::iter::once(&anonymous).chain(rows) {
        let _ = write!(out, "| {who} |");
        for stage in stages {
            let allowed: Vec<&str> = actions
                .iter()
                .filter(|a| authz.authorize(p, **a, &resource(stage)))
                .map(|a| label(*a))
                .collect();
            let cell = if allowed.is_empty() {
                "—".to_owned()
            } else {
                allowed.join(", ")
            };
            let _ = write!(out, " {cell} |");
        }
        out.push('\n');
    }
}

fn mark(allowed: bool) -> &'static str {
    if allowed { "allow" } else { "—" }
}

/// Renders the whole matrix as Markdown, decided by `authz`.
pub fn render(authz: &Authz) -> String {
    let mut out = String::new();
    out.push_str(
        "# Access matrix\n\n\
         Generated from the Cedar policies in `policies/` by `ticorr access-matrix`; do not edit by hand.\n\
         A test enumerates every principal kind × level × action against the policies and against the rules\n\
         of the four data levels, and fails when this file differs from what the policies decide.\n\n\
         Records of every module carry one level and one owning organisation. In the tables, *allow* means\n\
         the policies permit the action and *—* means they deny it; a denied read of an existing record\n\
         answers 404, exactly as for a record that does not exist. The role inside the organisation\n\
         (`admin`, `member`) does not change any record decision; both are enumerated by the test.\n\n",
    );
    let file = record_of("attachment", Level::Private);
    let owner = principal(
        OrgKind::Enterprise,
        Relation::Owner,
        Role::Admin,
        Condition::Normal,
        Action::Update,
    );
    let _ = writeln!(
        out,
        "Files attached to a record (`attachment` records) carry the owner record's level, organisation and\n\
         parks, so `read`, `create` and `delete` of a file are decided exactly as the same action on its owner\n\
         in the tables below. `update` of a file: {}.\n",
        if authz.authorize(&owner, Action::Update, &file) {
            "decided as for its owner"
        } else {
            "denied to everyone (files are immutable: one is replaced by deleting it and attaching another)"
        }
    );
    let levels = Level::ALL;
    for action in Action::RECORD {
        let _ = writeln!(out, "## Records: `{action}`\n");
        out.push_str("| principal | relation to the record |");
        for l in levels {
            if l.label() == l.as_str() {
                let _ = write!(out, " `{}` |", l.as_str());
            } else {
                let _ = write!(out, " {} `{}` |", l.label(), l.as_str());
            }
        }
        out.push_str("\n|---|---|");
        for _ in levels {
            out.push_str("---|");
        }
        out.push('\n');
        let anon = Principal::Anonymous;
        out.push_str("| anonymous visitor | — |");
        for l in levels {
            let _ = write!(
                out,
                " {} |",
                mark(authz.authorize(&anon, *action, &record(l)))
            );
        }
        out.push('\n');
        for kind in OrgKind::ALL {
            for relation in Relation::for_kind(*kind) {
                let p = principal(*kind, relation, Role::Member, Condition::Normal, *action);
                let _ = write!(out, "| `{kind}` | {} |", relation.describe());
                for l in levels {
                    let _ = write!(out, " {} |", mark(authz.authorize(&p, *action, &record(l))));
                }
                out.push('\n');
            }
        }
        for (condition, text) in [
            (Condition::OrgPending, "organisation pending verification"),
            (Condition::Disabled, "account disabled"),
            (
                Condition::TokenWithoutScope,
                "API token not issued for this action",
            ),
        ] {
            let p = principal(
                OrgKind::Enterprise,
                Relation::Owner,
                Role::Admin,
                condition,
                *action,
            );
            let _ = write!(out, "| any kind, {text} | owner organisation |");
            for l in levels {
                let _ = write!(out, " {} |", mark(authz.authorize(&p, *action, &record(l))));
            }
            out.push('\n');
        }
        out.push('\n');
    }

    out.push_str(
        "## Supervision: `supervise`\n\n\
         Oversight of how data is used (privacy-budget use, access logs) without reading it.\n\
         Decided on an L1 record of each kind, for a person of an organisation other than the owner\n\
         (the owner's own people are also shown).\n\n",
    );
    out.push_str("| principal | relation to the record |");
    for k in SUPERVISED_KINDS {
        let _ = write!(out, " `{k}` |");
    }
    out.push_str("\n|---|---|");
    for _ in SUPERVISED_KINDS {
        out.push_str("---|");
    }
    out.push('\n');
    let _ = write!(out, "| anonymous visitor | — |");
    for k in SUPERVISED_KINDS {
        let r = record_of(k, Level::Private);
        let _ = write!(
            out,
            " {} |",
            mark(authz.authorize(&Principal::Anonymous, Action::Supervise, &r))
        );
    }
    out.push('\n');
    for kind in OrgKind::ALL {
        for relation in [Relation::Owner, Relation::Other] {
            let p = principal(
                *kind,
                relation,
                Role::Member,
                Condition::Normal,
                Action::Supervise,
            );
            let _ = write!(out, "| `{kind}` | {} |", relation.describe());
            for k in SUPERVISED_KINDS {
                let r = record_of(k, Level::Private);
                let _ = write!(
                    out,
                    " {} |",
                    mark(authz.authorize(&p, Action::Supervise, &r))
                );
            }
            out.push('\n');
        }
    }
    out.push('\n');

    out.push_str("## Organisations\n\n");
    out.push_str("| principal | organisation |");
    for a in Action::ORGANIZATION {
        let _ = write!(out, " `{a}` |");
    }
    out.push_str("\n|---|---|");
    for _ in Action::ORGANIZATION {
        out.push_str("---|");
    }
    out.push('\n');
    for verified in [true, false] {
        let status = if verified { "verified" } else { "pending" };
        let _ = write!(out, "| anonymous visitor | another, {status} |");
        for a in Action::ORGANIZATION {
            let _ = write!(
                out,
                " {} |",
                mark(authz.authorize(&Principal::Anonymous, *a, &organization(false, verified)))
            );
        }
        out.push('\n');
    }
    for kind in OrgKind::ALL {
        for role in Role::ALL {
            for (own, verified) in [(true, true), (false, true), (false, false)] {
                let what = match (own, verified) {
                    (true, _) => "its own".to_owned(),
                    (false, v) => format!("another, {}", if v { "verified" } else { "pending" }),
                };
                let _ = write!(out, "| `{kind}` {role} | {what} |");
                for a in Action::ORGANIZATION {
                    let p = principal(*kind, Relation::Owner, *role, Condition::Normal, *a);
                    let _ = write!(
                        out,
                        " {} |",
                        mark(authz.authorize(&p, *a, &organization(own, verified)))
                    );
                }
                out.push('\n');
            }
        }
    }
    out.push_str(
        "\nA person whose own organisation is still pending sees and manages only that organisation:\n\
         its profile, its members and (as admin) its people and tokens. Webhooks need a verified\n\
         organisation.\n",
    );

    out.push_str(
        "\n## Inboxes\n\n\
         Each person's notifications and notification preferences. The same for every organisation\n\
         kind and role; a person of an organisation pending verification reads their inbox too (it\n\
         tells them about the registration).\n\n",
    );
    out.push_str("| principal | inbox |");
    for a in Action::INBOX {
        let _ = write!(out, " `{a}` |");
    }
    out.push_str("\n|---|---|");
    for _ in Action::INBOX {
        out.push_str("---|");
    }
    out.push('\n');
    let _ = write!(out, "| anonymous visitor | anyone's |");
    for a in Action::INBOX {
        let _ = write!(
            out,
            " {} |",
            mark(authz.authorize(&Principal::Anonymous, *a, &inbox(false)))
        );
    }
    out.push('\n');
    for (condition, who) in [
        (Condition::Normal, "any person"),
        (
            Condition::OrgPending,
            "any person, organisation pending verification",
        ),
        (Condition::Disabled, "any person, account disabled"),
        (Condition::TokenWithoutScope, "any person, API token"),
    ] {
        for own in [true, false] {
            let what = if own { "their own" } else { "another person's" };
            let _ = write!(out, "| {who} | {what} |");
            for a in Action::INBOX {
                let p = principal(
                    OrgKind::Enterprise,
                    Relation::Owner,
                    Role::Admin,
                    condition,
                    *a,
                );
                let _ = write!(out, " {} |", mark(authz.authorize(&p, *a, &inbox(own))));
            }
            out.push('\n');
        }
    }

    out.push_str("\n## Background jobs\n\n");
    out.push_str("| principal | job |");
    for a in Action::JOB {
        let _ = write!(out, " `{a}` |");
    }
    out.push_str("\n|---|---|");
    for _ in Action::JOB {
        out.push_str("---|");
    }
    out.push('\n');
    for rel in JobRelation::ALL {
        let _ = write!(out, "| anonymous visitor | {} |", rel.describe());
        for a in Action::JOB {
            let allowed = authz.authorize(&Principal::Anonymous, *a, &job(rel));
            let _ = write!(out, " {} |", mark(allowed));
        }
        out.push('\n');
    }
    for kind in OrgKind::ALL {
        for role in Role::ALL {
            for rel in JobRelation::ALL {
                let _ = write!(out, "| `{kind}` {role} | {} |", rel.describe());
                for a in Action::JOB {
                    let p = principal(*kind, Relation::Owner, *role, Condition::Normal, *a);
                    let _ = write!(out, " {} |", mark(authz.authorize(&p, *a, &job(rel))));
                }
                out.push('\n');
            }
        }
    }
    out.push_str(
        "\nFollowing one's own job is not audited (a page polls it); every operator decision is.\n",
    );

    out.push_str(
        "\n## Standard proposals\n\n\
         A proposal for a platform standard (new, revision or erratum) and the lifecycle actions on it,\n\
         by stage. Cells list the actions allowed: `view` (`view_draft`), `edit` (`edit_draft`: write,\n\
         submit, withdraw), `review` (`review_draft`), `comment` (`comment_draft`), `steer`\n\
         (`steer_standards`: formal check, reviewers, consultation, dispositions, release). Reviewers must\n\
         also hold the `expert` or `reviewer` capacity. A disabled account or a pending organisation may\n\
         do none of them; every decision except `view` is audited.\n\n",
    );
    let drafts: Vec<(&str, Principal)> = DraftRelation::ALL
        .iter()
        .map(|r| {
            (
                r.describe(),
                r.principal(Condition::Normal, Action::ViewDraft),
            )
        })
        .collect();
    stage_table(
        &mut out,
        authz,
        &DRAFT_STAGES,
        &drafts,
        Action::DRAFT,
        draft,
        |a| a.as_str().split('_').next().unwrap_or(""),
    );

    out.push_str(
        "\n## Failure cases\n\n\
         A failure case's original is an L1 record of its contributor (`case` at `private`), its published\n\
         details an L3 record (`industry`) and its summary a `public` one: reading them follows the record\n\
         tables above. The workflow around them, by stage: `edit` (`edit_case`: confirm the desensitized\n\
         version and submit it), `curate` (`curate_case`: publish, send back, withdraw), `full`\n\
         (`read_case_full`: the full desensitized record with test data and files), `apply`\n\
         (`request_case_access`), `decide` (`decide_case_access`: grant or refuse an application). Grants\n\
         expire; an expired grant no longer counts. A disabled account or a pending organisation may do none\n\
         of them; every decision is audited, and every read of a full record is also logged for the\n\
         contributor and anchored in the ledger.\n\n",
    );
    let cases: Vec<(&str, Principal)> = CaseRelation::ALL
        .iter()
        .map(|r| {
            (
                r.describe(),
                r.principal(Condition::Normal, Action::ReadCaseFull),
            )
        })
        .collect();
    stage_table(
        &mut out,
        authz,
        &CASE_STAGES,
        &cases,
        Action::CASE,
        failure_case,
        case_action_label,
    );

    out.push_str(
        "\n## Supplementary clauses: `assess_equivalence`\n\n\
         An expert's verdict on whether a local supplementary clause (`supplementary_clause` record) is\n\
         equivalent to, stricter than or not equivalent to the unified clause it supplements. Reading,\n\
         writing and deleting one follow the record tables above.\n\n",
    );
    out.push_str("| principal | relation to the clause |");
    for l in levels {
        let _ = write!(out, " `{}` |", l.as_str());
    }
    out.push_str("\n|---|---|");
    for _ in levels {
        out.push_str("---|");
    }
    out.push('\n');
    for (expert, relation, who) in [
        (true, Relation::Other, "an expert"),
        (true, Relation::Owner, "an expert"),
        (
            false,
            Relation::Other,
            "a person without the expert capacity",
        ),
    ] {
        let _ = write!(out, "| {who} | {} |", relation.describe());
        for l in levels {
            let p = supplement_assessor(expert, relation, Condition::Normal);
            let r = record_of("supplementary_clause", l);
            let _ = write!(
                out,
                " {} |",
                mark(authz.authorize(&p, Action::AssessEquivalence, &r))
            );
        }
        out.push('\n');
    }
    render_training(authz, &mut out);
    render_bulletins(authz, &mut out);
    out
}

/// The learned risk model's training: who may fit it over everyone's equipment.
fn render_training(authz: &Authz, out: &mut String) {
    out.push_str(
        "\n## Learned risk model: `train_risk_model`\n\n\
         Fitting the learned risk model reads the conditions of every organisation's equipment (L1)\n\
         and the published cases, and keeps only coefficients and measurements (a `risk_model` record\n\
         at `macro`, read by anyone as `public` once released). The decision is audited.\n\n\
         | principal | `train_risk_model` |\n|---|---|\n",
    );
    let _ = writeln!(
        out,
        "| the platform's recurring job | {} |",
        mark(authz.authorize(
            &Principal::Platform,
            Action::TrainRiskModel,
            &record_of("risk_model", Level::Macro)
        ))
    );
    let _ = writeln!(
        out,
        "| anonymous visitor | {} |",
        mark(authz.authorize(
            &Principal::Anonymous,
            Action::TrainRiskModel,
            &record_of("risk_model", Level::Macro)
        ))
    );
    for kind in OrgKind::ALL {
        let p = principal(
            *kind,
            Relation::Other,
            Role::Admin,
            Condition::Normal,
            Action::TrainRiskModel,
        );
        let _ = writeln!(
            out,
            "| {kind} admin | {} |",
            mark(authz.authorize(
                &p,
                Action::TrainRiskModel,
                &record_of("risk_model", Level::Macro)
            ))
        );
    }
}

/// The warning bulletins: who drafts, edits and publishes them.
fn render_bulletins(authz: &Authz, out: &mut String) {
    out.push_str(
        "\n## Warning bulletins: `edit_bulletin`\n\n\
         The national typical-accident warning bulletin is drafted from the published cases by the\n\
         platform's monthly job and edited and published by staff (a `warning_bulletin` record,\n\
         `public` once published; drafts are read through this action too). Decisions are audited.\n\n\
         | principal | `edit_bulletin` |\n|---|---|\n",
    );
    let bulletin = record_of("warning_bulletin", Level::Public);
    let _ = writeln!(
        out,
        "| the platform's recurring job | {} |",
        mark(authz.authorize(&Principal::Platform, Action::EditBulletin, &bulletin))
    );
    let _ = writeln!(
        out,
        "| anonymous visitor | {} |",
        mark(authz.authorize(&Principal::Anonymous, Action::EditBulletin, &bulletin))
    );
    for kind in OrgKind::ALL {
        for role in [Role::Admin, Role::Member] {
            let p = principal(
                *kind,
                Relation::Other,
                role,
                Condition::Normal,
                Action::EditBulletin,
            );
            let _ = writeln!(
                out,
                "| {kind} {role} | {} |",
                mark(authz.authorize(&p, Action::EditBulletin, &bulletin))
            );
        }
    }
}

/// A research institute's person, an expert or not, in `relation` to a supplementary clause.
pub fn supplement_assessor(expert: bool, relation: Relation, condition: Condition) -> Principal {
    let mut p = principal(
        OrgKind::Research,
        relation,
        Role::Member,
        condition,
        Action::AssessEquivalence,
    );
    if let Principal::Person(a) = &mut p
        && expert
    {
        a.capacities = vec![ticorr_kernel::Capacity::Expert];
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rules of DESIGN.md §2, written independently of the policies.
    fn expected_record(
        kind: OrgKind,
        relation: Relation,
        condition: Condition,
        level: Level,
        action: Action,
    ) -> bool {
        if condition == Condition::TokenWithoutScope {
            return false;
        }
        if level == Level::Public && action == Action::Read {
            return true;
        }
        if matches!(condition, Condition::OrgPending | Condition::Disabled) {
            return false;
        }
        if kind == OrgKind::Regulator && level == Level::Private && action == Action::Read {
            return false;
        }
        if relation == Relation::Owner {
            return true;
        }
        if action != Action::Read {
            return false;
        }
        match level {
            Level::Private => false,
            Level::Park => matches!(relation, Relation::ParkManagement | Relation::SettledInPark),
            Level::Industry | Level::Public => true,
            Level::Macro => matches!(kind, OrgKind::Regulator | OrgKind::Research),
        }
    }

    fn expected_org(
        kind: OrgKind,
        role: Role,
        own: bool,
        verified: bool,
        condition: Condition,
        action: Action,
    ) -> bool {
        if condition == Condition::TokenWithoutScope {
            return false;
        }
        let active = condition != Condition::Disabled;
        let org_verified = condition != Condition::OrgPending;
        let operator = kind == OrgKind::Operator && active && org_verified;
        match action {
            Action::ViewProfile => verified || (own && active) || operator,
            Action::ViewMembers => own && active,
            Action::ManagePeople | Action::ManageTokens => own && active && role == Role::Admin,
            Action::ManageWebhooks => own && active && org_verified && role == Role::Admin,
            Action::Verify => operator,
            _ => unreachable!("not an organisation action"),
        }
    }

    const CONDITIONS: [Condition; 5] = [
        Condition::Normal,
        Condition::OrgPending,
        Condition::Disabled,
        Condition::TokenWithoutScope,
        Condition::TokenWithScope,
    ];

    #[test]
    fn every_record_decision_matches_the_data_levels() {
        let authz = Authz::load().unwrap();
        let mut checked = 0;
        for kind in OrgKind::ALL {
            for relation in Relation::for_kind(*kind) {
                for role in Role::ALL {
                    for condition in CONDITIONS {
                        for level in Level::ALL {
                            for action in Action::RECORD {
                                let p = principal(*kind, relation, *role, condition, *action);
                                let got = authz.authorize(&p, *action, &record(level));
                                let want =
                                    expected_record(*kind, relation, condition, level, *action);
                                assert_eq!(
                                    got, want,
                                    "{kind} {role} ({relation:?}, {condition:?}) {action} on {level}"
                                );
                                checked += 1;
                            }
                        }
                    }
                }
            }
        }
        for level in Level::ALL {
            for action in Action::RECORD {
                let got = authz.authorize(&Principal::Anonymous, *action, &record(level));
                assert_eq!(
                    got,
                    level == Level::Public && *action == Action::Read,
                    "anonymous {action} on {level}"
                );
                checked += 1;
            }
        }
        assert!(
            checked > 1000,
            "the matrix was enumerated ({checked} cells)"
        );
    }

    #[test]
    fn only_regulators_supervise_and_only_budgets_and_access_logs() {
        let authz = Authz::load().unwrap();
        for kind in OrgKind::ALL {
            for relation in Relation::for_kind(*kind) {
                for condition in CONDITIONS {
                    for level in Level::ALL {
                        for record_kind in SUPERVISED_KINDS {
                            let p = principal(
                                *kind,
                                relation,
                                Role::Member,
                                condition,
                                Action::Supervise,
                            );
                            let got = authz.authorize(
                                &p,
                                Action::Supervise,
                                &record_of(record_kind, level),
                            );
                            let want = *kind == OrgKind::Regulator
                                && matches!(
                                    condition,
                                    Condition::Normal | Condition::TokenWithScope
                                )
                                && record_kind != "equipment";
                            assert_eq!(
                                got, want,
                                "{kind} {relation:?} {condition:?} supervise {record_kind} at {level}"
                            );
                        }
                    }
                }
            }
        }
        for record_kind in SUPERVISED_KINDS {
            assert!(!authz.authorize(
                &Principal::Anonymous,
                Action::Supervise,
                &record_of(record_kind, Level::Public)
            ));
        }
    }

    #[test]
    fn every_organization_decision_matches_the_rules() {
        let authz = Authz::load().unwrap();
        for kind in OrgKind::ALL {
            for role in Role::ALL {
                for condition in CONDITIONS {
                    // The principal's own organisation is verified unless the condition says
                    // it is pending.
                    let own_verified = condition != Condition::OrgPending;
                    for (own, verified) in [(true, own_verified), (false, true), (false, false)] {
                        for action in Action::ORGANIZATION {
                            let p = principal(*kind, Relation::Owner, *role, condition, *action);
                            let got = authz.authorize(&p, *action, &organization(own, verified));
                            let want =
                                expected_org(*kind, *role, own, verified, condition, *action);
                            assert_eq!(
                                got, want,
                                "{kind} {role} {condition:?} {action} own={own} verified={verified}"
                            );
                        }
                    }
                }
            }
        }
        for verified in [true, false] {
            for action in Action::ORGANIZATION {
                let got = authz.authorize(
                    &Principal::Anonymous,
                    *action,
                    &organization(false, verified),
                );
                assert_eq!(got, *action == Action::ViewProfile && verified);
            }
        }
    }

    #[test]
    fn jobs_are_seen_by_their_starter_its_admins_and_the_operator() {
        let authz = Authz::load().unwrap();
        for kind in OrgKind::ALL {
            for role in Role::ALL {
                for condition in CONDITIONS {
                    for rel in JobRelation::ALL {
                        for action in Action::JOB {
                            let p = principal(*kind, Relation::Owner, *role, condition, *action);
                            let got = authz.authorize(&p, *action, &job(rel));
                            // A token may follow jobs whatever its scopes.
                            let active = condition != Condition::Disabled
                                && (condition != Condition::TokenWithoutScope
                                    || *action == Action::ViewJob);
                            let operator = *kind == OrgKind::Operator
                                && active
                                && condition != Condition::OrgPending;
                            let want = match action {
                                Action::ViewJob => {
                                    operator
                                        || (active && rel == JobRelation::Started)
                                        || (active
                                            && *role == Role::Admin
                                            && matches!(
                                                rel,
                                                JobRelation::Started | JobRelation::SameOrg
                                            ))
                                }
                                _ => operator,
                            };
                            assert_eq!(got, want, "{kind} {role} {condition:?} {rel:?} {action}");
                        }
                    }
                }
            }
        }
        for rel in JobRelation::ALL {
            for action in Action::JOB {
                assert!(!authz.authorize(&Principal::Anonymous, *action, &job(rel)));
            }
        }
    }

    #[test]
    fn the_standards_lifecycle_gives_each_participant_their_step_and_no_other() {
        let authz = Authz::load().unwrap();
        for stage in DRAFT_STAGES {
            let public = ["consultation", "approved", "released"].contains(&stage);
            for action in Action::DRAFT {
                let anonymous = authz.authorize(&Principal::Anonymous, *action, &draft(stage));
                assert_eq!(
                    anonymous,
                    *action == Action::ViewDraft && stage == "released",
                    "anonymous {action} at {stage}"
                );
                for rel in DraftRelation::ALL {
                    for condition in [
                        Condition::Normal,
                        Condition::OrgPending,
                        Condition::Disabled,
                    ] {
                        let p = rel.principal(condition, *action);
                        let got = authz.authorize(&p, *action, &draft(stage));
                        let want = if condition != Condition::Normal {
                            // Only what anyone may see.
                            *action == Action::ViewDraft && stage == "released"
                        } else {
                            match action {
                                Action::ViewDraft => {
                                    public
                                        || matches!(
                                            rel,
                                            DraftRelation::Applicant
                                                | DraftRelation::Secretariat
                                                | DraftRelation::Reviewer
                                        )
                                }
                                Action::EditDraft => {
                                    rel == DraftRelation::Applicant
                                        && !["released", "rejected", "withdrawn"].contains(&stage)
                                }
                                Action::ReviewDraft => {
                                    rel == DraftRelation::Reviewer && stage == "expert_review"
                                }
                                Action::CommentDraft => stage == "consultation",
                                Action::SteerStandards => {
                                    rel == DraftRelation::Secretariat
                                        && !["released", "rejected", "withdrawn"].contains(&stage)
                                }
                                _ => unreachable!(),
                            }
                        };
                        assert_eq!(got, want, "{rel:?} {condition:?} {action} at {stage}");
                    }
                }
            }
        }
    }

    #[test]
    fn the_case_workflow_gives_each_party_its_step_and_no_other() {
        let authz = Authz::load().unwrap();
        for stage in CASE_STAGES {
            for action in Action::CASE {
                assert!(
                    !authz.authorize(&Principal::Anonymous, *action, &failure_case(stage)),
                    "anonymous {action} at {stage}"
                );
                for rel in CaseRelation::ALL {
                    for condition in CONDITIONS {
                        let p = rel.principal(condition, *action);
                        let got = authz.authorize(&p, *action, &failure_case(stage));
                        let contributor = matches!(
                            rel,
                            CaseRelation::ContributorAdmin | CaseRelation::ContributorMember
                        );
                        let curator =
                            matches!(rel, CaseRelation::Operator | CaseRelation::Association);
                        let curated = ["submitted", "held", "published"].contains(&stage);
                        let want =
                            matches!(condition, Condition::Normal | Condition::TokenWithScope)
                                && match action {
                                    Action::EditCase => {
                                        contributor && ["draft", "returned"].contains(&stage)
                                    }
                                    Action::CurateCase => curator && curated,
                                    Action::ReadCaseFull => {
                                        contributor
                                            || (curator && curated)
                                            || (rel == CaseRelation::Grantee
                                                && stage == "published")
                                    }
                                    Action::RequestCaseAccess => {
                                        !contributor && stage == "published"
                                    }
                                    Action::DecideCaseAccess => {
                                        rel == CaseRelation::ContributorAdmin
                                            || rel == CaseRelation::Operator
                                    }
                                    _ => unreachable!(),
                                };
                        assert_eq!(got, want, "{rel:?} {condition:?} {action} at {stage}");
                    }
                }
            }
        }
    }

    #[test]
    fn only_experts_of_other_organisations_assess_shared_supplements() {
        let authz = Authz::load().unwrap();
        for level in Level::ALL {
            for expert in [true, false] {
                for relation in [Relation::Owner, Relation::Other] {
                    for condition in CONDITIONS {
                        let p = supplement_assessor(expert, relation, condition);
                        let r = record_of("supplementary_clause", level);
                        let got = authz.authorize(&p, Action::AssessEquivalence, &r);
                        let want = expert
                            && relation == Relation::Other
                            && level == Level::Industry
                            && matches!(condition, Condition::Normal | Condition::TokenWithScope);
                        assert_eq!(
                            got, want,
                            "{level} expert={expert} {relation:?} {condition:?}"
                        );
                    }
                }
            }
            // Only supplementary clauses are assessed.
            let p = supplement_assessor(true, Relation::Other, Condition::Normal);
            assert!(!authz.authorize(&p, Action::AssessEquivalence, &record(level)));
            assert!(!authz.authorize(
                &Principal::Anonymous,
                Action::AssessEquivalence,
                &record_of("supplementary_clause", level)
            ));
        }
    }

    #[test]
    fn the_platform_and_staff_alone_edit_warning_bulletins() {
        let authz = Authz::load().unwrap();
        let bulletin = record_of("warning_bulletin", Level::Public);
        assert!(authz.authorize(&Principal::Platform, Action::EditBulletin, &bulletin));
        assert!(!authz.authorize(&Principal::Anonymous, Action::EditBulletin, &bulletin));
        for kind in OrgKind::ALL {
            for role in Role::ALL {
                for condition in CONDITIONS {
                    let p = principal(
                        *kind,
                        Relation::Other,
                        *role,
                        condition,
                        Action::EditBulletin,
                    );
                    let want = matches!(kind, OrgKind::Operator | OrgKind::Association)
                        && matches!(condition, Condition::Normal | Condition::TokenWithScope);
                    assert_eq!(
                        authz.authorize(&p, Action::EditBulletin, &bulletin),
                        want,
                        "{kind} {role} {condition:?}"
                    );
                }
            }
        }
        // Only bulletins.
        assert!(!authz.authorize(
            &Principal::Platform,
            Action::EditBulletin,
            &record_of("risk_model", Level::Macro)
        ));
    }

    #[test]
    fn only_the_platform_and_the_operator_train_the_risk_model() {
        let authz = Authz::load().unwrap();
        let model = record_of("risk_model", Level::Macro);
        assert!(authz.authorize(&Principal::Platform, Action::TrainRiskModel, &model));
        assert!(!authz.authorize(&Principal::Anonymous, Action::TrainRiskModel, &model));
        for kind in OrgKind::ALL {
            for role in Role::ALL {
                for condition in CONDITIONS {
                    let p = principal(
                        *kind,
                        Relation::Other,
                        *role,
                        condition,
                        Action::TrainRiskModel,
                    );
                    let want = *kind == OrgKind::Operator
                        && matches!(condition, Condition::Normal | Condition::TokenWithScope);
                    assert_eq!(
                        authz.authorize(&p, Action::TrainRiskModel, &model),
                        want,
                        "{kind} {role} {condition:?}"
                    );
                }
            }
        }
        // Training is about the model only; the platform is no principal of record actions.
        for level in Level::ALL {
            assert!(!authz.authorize(
                &Principal::Platform,
                Action::TrainRiskModel,
                &record_of("equipment", level)
            ));
            for action in Action::RECORD {
                let got = authz.authorize(&Principal::Platform, *action, &record(level));
                assert!(!got, "{level} {action}");
            }
        }
    }

    #[test]
    fn a_person_reads_and_manages_only_their_own_inbox() {
        let authz = Authz::load().unwrap();
        for kind in OrgKind::ALL {
            for role in Role::ALL {
                for condition in CONDITIONS {
                    for own in [true, false] {
                        for action in Action::INBOX {
                            let p = principal(*kind, Relation::Owner, *role, condition, *action);
                            let got = authz.authorize(&p, *action, &inbox(own));
                            // Tokens carry record scopes only, so they never reach an inbox
                            // unless issued for exactly this action.
                            let want = own
                                && matches!(
                                    condition,
                                    Condition::Normal
                                        | Condition::OrgPending
                                        | Condition::TokenWithScope
                                );
                            assert_eq!(got, want, "{kind} {role} {condition:?} {action} own={own}");
                        }
                    }
                }
            }
        }
        for action in Action::INBOX {
            for own in [true, false] {
                assert!(!authz.authorize(&Principal::Anonymous, *action, &inbox(own)));
            }
        }
    }

    #[test]
    fn the_access_matrix_document_is_what_the_policies_decide() {
        let authz = Authz::load().unwrap();
        let rendered = render(&authz);
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/access-matrix.md");
        if std::env::var_os("TICORR_BLESS").is_some() {
            std::fs::write(path, &rendered).unwrap();
        }
        let on_disk = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            on_disk == rendered,
            "docs/access-matrix.md is out of date: run `ticorr access-matrix > docs/access-matrix.md` \
             (or this test with TICORR_BLESS=1)"
        );
    }
}
