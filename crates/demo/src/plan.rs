//! The whole synthetic dataset, computed in memory before anything is written.
//!
//! One ChaCha8 generator with a fixed seed drives every choice, in a fixed order, so the
//! plan (ids, names, codes, parks, people, equipment) is the same on every machine and
//! every run. Only the demo accounts' passwords are not part of the plan; `seed` draws
//! them fresh each time.

use std::collections::{BTreeMap, HashSet};

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use ticorr_equipment::ValidEquipment;
use ticorr_kernel::equipment::EquipmentType;
use ticorr_kernel::{
    Capacity, EquipmentId, Level, OrgId, OrgKind, OrgStatus, PersonId, Role, Timestamp, Uscc,
};
use ticorr_platform::identity::orgs::NewOrganization;
use ticorr_platform::identity::people::NewPerson;
use ticorr_platform::refdata::{self, Region};
use time::Duration;

use crate::data::{self, City, Province};
use crate::items::{self, Maker, Owner};
use crate::names::{self, UsccIssuer, Word, pick, pick_weighted};

/// The seed of the whole dataset. Changing it changes every id and name.
pub(crate) const SEED: u64 = 0x7469_636f_7272_0001;
/// A second stream for the completion marker's id, independent of the plan.
const MARKER_SEED: u64 = 0x7469_636f_7272_6d6b;

/// How many organisations of each kind are planned (verified ones).
pub(crate) const ENTERPRISES: usize = 2_600;
pub(crate) const PARKS: usize = 72;
pub(crate) const MANUFACTURERS: usize = 180;
pub(crate) const SERVICE_INSTITUTIONS: usize = 340;
pub(crate) const RESEARCH: usize = 40;
/// Registrations waiting in the operator's verification queue.
pub(crate) const PENDING: usize = 24;

/// The province of the demo story (park, enterprise, manufacturer, regulator…).
const DEMO_PROVINCE: &str = "320000";
/// The province of the second, unrelated enterprise.
const OTHER_PROVINCE: &str = "330000";
/// Items of the demo enterprise, and which of them are shared with the demo park or
/// were made by the demo manufacturer.
const DEMO_ENTERPRISE_ITEMS: usize = 15;
const DEMO_PARK_ITEMS: [usize; 5] = [0, 3, 6, 9, 12];
const DEMO_MAKER_ITEMS: [usize; 5] = [1, 2, 4, 7, 10];
const OTHER_ENTERPRISE_ITEMS: usize = 8;
/// Share of a settled enterprise's items shared with its park (L2).
const PARK_SHARE: f64 = 0.125;

/// The fixed start of the dataset's time line; every timestamp is an offset from it.
pub(crate) fn base_time() -> Timestamp {
    Timestamp::parse("2026-01-05T08:00:00Z").expect("a valid timestamp")
}

fn uuid(rng: &mut ChaCha8Rng) -> uuid::Uuid {
    let mut bytes = [0u8; 16];
    rng.fill(&mut bytes[..]);
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

/// The id of the person written last (the `enterprise_other` demo account): present
/// only once a seed has completed.
pub(crate) fn marker_person_id() -> PersonId {
    PersonId::from_uuid(uuid(&mut ChaCha8Rng::seed_from_u64(MARKER_SEED)))
}

/// The order of the demo accounts in the report; the last one is written last.
const ACCOUNT_ORDER: [&str; 9] = [
    "enterprise",
    "manufacturer",
    "park",
    "service_institution",
    "regulator",
    "association",
    "operator",
    "research",
    "enterprise_other",
];

#[derive(Debug, Clone)]
pub(crate) struct PlannedOrg {
    pub org: NewOrganization,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone)]
pub(crate) struct PlannedPerson {
    pub person: NewPerson,
    pub capacities: Vec<Capacity>,
    /// Standards topics of an expert's or reviewer's work (see `expertise`).
    pub specialties: Vec<&'static str>,
    pub created_at: Timestamp,
}

/// A demo account: a person of the plan (without password) and the kind it shows.
#[derive(Debug, Clone)]
pub(crate) struct PlannedAccount {
    pub kind: &'static str,
    /// Index into [`Plan::people`].
    pub person: usize,
}

#[derive(Debug)]
pub(crate) struct Plan {
    pub orgs: Vec<PlannedOrg>,
    /// Grouped by organisation, the demo accounts last; the very last one carries
    /// [`marker_person_id`].
    pub people: Vec<PlannedPerson>,
    /// Grouped by owner.
    pub items: Vec<(EquipmentId, OrgId, ValidEquipment)>,
    pub accounts: Vec<PlannedAccount>,
}

/// A province as the generator sees it.
struct Prov<'a> {
    region: &'a Region,
    place: &'a Province,
}

impl Prov<'_> {
    fn code(&self) -> &str {
        &self.region.code
    }
    fn municipality(&self) -> bool {
        self.region.kind == "municipality"
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Theme {
    Chemical,
    SurfaceTreatment,
    Development,
}

struct Park {
    id: OrgId,
    theme: Theme,
}

/// Splits `total` over `weights` by largest remainder, after `min_each` for everyone.
pub(crate) fn allocate(total: usize, weights: &[f64], min_each: usize) -> Vec<usize> {
    let base = min_each * weights.len();
    assert!(total >= base, "not enough to give everyone the minimum");
    let rest = total - base;
    let sum: f64 = weights.iter().sum();
    let quotas: Vec<f64> = weights.iter().map(|w| rest as f64 * w / sum).collect();
    let mut counts: Vec<usize> = quotas.iter().map(|q| q.floor() as usize).collect();
    let left = rest - counts.iter().sum::<usize>();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| {
        let ra = quotas[a] - quotas[a].floor();
        let rb = quotas[b] - quotas[b].floor();
        rb.total_cmp(&ra).then(a.cmp(&b))
    });
    for &i in order.iter().take(left) {
        counts[i] += 1;
    }
    counts.iter().map(|c| c + min_each).collect()
}

struct Builder<'a> {
    rng: ChaCha8Rng,
    provinces: Vec<Prov<'a>>,
    uscc: UsccIssuer,
    names: HashSet<String>,
    orgs: Vec<PlannedOrg>,
    people: Vec<PlannedPerson>,
    emails: HashSet<String>,
    clock: i64,
    counters: BTreeMap<&'static str, usize>,
}

/// What varies between organisations of one kind.
struct OrgSpec {
    kind: OrgKind,
    name: String,
    name_en: String,
    category: &'static str,
    region: String,
    industry: Option<String>,
    address: Option<String>,
    status: OrgStatus,
    parks: Vec<OrgId>,
    slug_prefix: &'static str,
}

impl<'a> Builder<'a> {
    fn new() -> Self {
        let refdata = refdata::get();
        let provinces = data::get()
            .places
            .provinces
            .iter()
            .map(|place| Prov {
                region: refdata
                    .regions
                    .iter()
                    .find(|r| r.code == place.code)
                    .expect("places.json names refdata regions"),
                place,
            })
            .collect();
        Builder {
            rng: ChaCha8Rng::seed_from_u64(SEED),
            provinces,
            uscc: UsccIssuer::default(),
            names: HashSet::new(),
            orgs: Vec::new(),
            people: Vec::new(),
            emails: HashSet::new(),
            clock: 0,
            counters: BTreeMap::new(),
        }
    }

    fn province(&self, code: &str) -> usize {
        self.provinces
            .iter()
            .position(|p| p.code() == code)
            .expect("a mainland province")
    }

    fn city(&mut self, province: usize) -> City {
        pick(&mut self.rng, &self.provinces[province].place.cities).clone()
    }

    fn address(&mut self, province: usize, city: &City) -> String {
        let p = &self.provinces[province];
        let (zh, municipality) = (p.region.name_zh.clone(), p.municipality());
        names::address(&mut self.rng, &zh, municipality, city)
    }

    /// A name not used yet, from `make` (retried with fresh words until unique).
    fn unique_name(
        &mut self,
        mut make: impl FnMut(&mut ChaCha8Rng, &Word) -> (String, String),
    ) -> (String, String) {
        loop {
            let word = names::word(&mut self.rng);
            let (zh, en) = make(&mut self.rng, &word);
            if self.names.insert(zh.clone()) {
                return (zh, en);
            }
        }
    }

    /// Adds an organisation and its people; returns its id.
    fn add(&mut self, spec: OrgSpec) -> OrgId {
        let id = OrgId::from_uuid(uuid(&mut self.rng));
        let uscc: Uscc = self.uscc.issue(&mut self.rng, spec.category, &spec.region);
        let n = {
            let counter = self.counters.entry(spec.slug_prefix).or_insert(0);
            *counter += 1;
            *counter
        };
        let slug = format!("{}{n:04}", spec.slug_prefix);
        // Registrations waiting for the operator arrive after the seeded platform went
        // live, so they sort last (the queue is oldest first).
        let created_at = if spec.status == OrgStatus::Pending {
            base_time().plus(Duration::days(2) + Duration::minutes(47 * n as i64))
        } else {
            self.clock += 5;
            base_time().plus(Duration::seconds(self.clock))
        };
        let org = NewOrganization {
            id,
            kind: spec.kind,
            name: spec.name,
            name_en: Some(spec.name_en),
            uscc: Some(uscc),
            region_code: spec.region,
            industry_code: spec.industry,
            address: spec.address,
            status: spec.status,
            parks: spec.parks,
        };
        let people = if spec.status == OrgStatus::Pending {
            1
        } else if spec.kind == OrgKind::Operator {
            3
        } else {
            pick_weighted(
                &mut self.rng,
                &[(1, 40.0), (2, 35.0), (3, 25.0)],
                |(_, w)| *w,
            )
            .0
        };
        self.orgs.push(PlannedOrg { org, created_at });
        for i in 0..people {
            let role = if i == 0 || self.rng.random_bool(0.2) {
                Role::Admin
            } else {
                Role::Member
            };
            let capacities = self.capacities(spec.kind, spec.status);
            let email = format!("p{}@{slug}.demo.ticorr.cn", i + 1);
            let display_name = names::person(&mut self.rng);
            self.person(id, email, display_name, role, capacities, created_at);
        }
        id
    }

    fn person(
        &mut self,
        org: OrgId,
        email: String,
        display_name: String,
        role: Role,
        capacities: Vec<Capacity>,
        org_created: Timestamp,
    ) -> usize {
        assert!(
            self.emails.insert(email.clone()),
            "duplicate e-mail {email}"
        );
        let created_at = org_created.plus(Duration::seconds(1 + self.people.len() as i64 % 7));
        self.people.push(PlannedPerson {
            person: NewPerson {
                id: PersonId::from_uuid(uuid(&mut self.rng)),
                org_id: org,
                email,
                display_name,
                role,
                password_hash: None,
            },
            capacities,
            specialties: Vec::new(),
            created_at,
        });
        self.people.len() - 1
    }

    /// Platform capacities: experts mostly at research institutes, service institutions
    /// and associations; reviewers at associations and research; examiners at service
    /// institutions (training providers); candidates among plant staff.
    fn capacities(&mut self, kind: OrgKind, status: OrgStatus) -> Vec<Capacity> {
        if status != OrgStatus::Verified {
            return Vec::new();
        }
        let (expert, reviewer, examiner, candidate) = match kind {
            OrgKind::Research => (0.6, 0.25, 0.05, 0.0),
            OrgKind::Association => (0.5, 0.5, 0.1, 0.0),
            OrgKind::ServiceInstitution => (0.25, 0.05, 0.15, 0.05),
            OrgKind::Manufacturer => (0.08, 0.02, 0.0, 0.05),
            OrgKind::Enterprise => (0.02, 0.0, 0.0, 0.1),
            _ => (0.0, 0.0, 0.0, 0.0),
        };
        let mut caps = Vec::new();
        for (cap, p) in [
            (Capacity::Expert, expert),
            (Capacity::Reviewer, reviewer),
            (Capacity::Examiner, examiner),
            (Capacity::Candidate, candidate),
        ] {
            if self.rng.random_bool(p) {
                caps.push(cap);
            }
        }
        caps
    }

    fn weights(&self, boost: &BTreeMap<String, f64>) -> Vec<f64> {
        self.provinces
            .iter()
            .map(|p| p.place.weight * boost.get(p.code()).copied().unwrap_or(1.0))
            .collect()
    }
}

/// The industry an enterprise of `province` gets, by the demo's weights.
fn end_user_industry(rng: &mut ChaCha8Rng, province: &Prov<'_>) -> String {
    let services = &data::get().services;
    let options: Vec<(&String, f64)> = services
        .end_users
        .iter()
        .filter(|(_, e)| province.region.coastal || !e.coastal_only)
        .map(|(code, e)| {
            let boost = e.boost.get(province.code()).copied().unwrap_or(1.0);
            (code, e.weight * boost)
        })
        .collect();
    pick_weighted(rng, &options, |(_, w)| *w).0.clone()
}

fn theme_for(industry: &str) -> Theme {
    match industry {
        "3360" | "3982" => Theme::SurfaceTreatment,
        "4411" | "4412" | "4414" | "4630" | "3211" | "3212" | "3213" | "3221" | "3232" => {
            Theme::Development
        }
        _ => Theme::Chemical,
    }
}

/// Builds the plan. Pure and deterministic.
pub(crate) fn build() -> Plan {
    let refdata = refdata::get();
    let services = &data::get().services;
    let mut b = Builder::new();
    let demo = b.province(DEMO_PROVINCE);
    let other = b.province(OTHER_PROVINCE);
    let mut accounts: Vec<(&'static str, OrgId)> = Vec::new();

    // The operator: one, nationwide.
    let beijing = b.province("110000");
    let city = b.city(beijing);
    let address = b.address(beijing, &city);
    let operator = b.add(OrgSpec {
        kind: OrgKind::Operator,
        name: "钛设备防腐蚀公共服务平台运营中心（演示）".into(),
        name_en: "Ticorr Platform Operations Centre (demo)".into(),
        category: "91",
        region: "110000".into(),
        industry: None,
        address: Some(address),
        status: OrgStatus::Verified,
        parks: vec![],
        slug_prefix: "op",
    });
    accounts.push(("operator", operator));

    // A regulator for every province, named generically and marked as demo data.
    for i in 0..b.provinces.len() {
        let (zh, en, code) = {
            let r = b.provinces[i].region;
            (r.name_zh.clone(), r.name_en.clone(), r.code.clone())
        };
        let city = b.city(i);
        let address = b.address(i, &city);
        let id = b.add(OrgSpec {
            kind: OrgKind::Regulator,
            name: format!("{zh}特种设备安全监管中心（演示）"),
            name_en: format!("{en} Special Equipment Safety Supervision Centre (demo)"),
            category: "11",
            region: code,
            industry: None,
            address: Some(address),
            status: OrgStatus::Verified,
            parks: vec![],
            slug_prefix: "g",
        });
        if i == demo {
            accounts.push(("regulator", id));
        }
    }

    // A few associations: one national alliance, the others provincial.
    let associations: [(&str, &str, &str); 7] = [
        (
            "110000",
            "全国钛制热交换设备防腐蚀协作联盟（演示）",
            "National Titanium Heat Exchange Equipment Anti-Corrosion Alliance (demo)",
        ),
        (
            "320000",
            "{p}钛材应用协会（演示）",
            "{p} Titanium Application Association (demo)",
        ),
        (
            "610000",
            "{p}钛产业协会（演示）",
            "{p} Titanium Industry Association (demo)",
        ),
        (
            "330000",
            "{p}表面处理行业协会（演示）",
            "{p} Surface Treatment Industry Association (demo)",
        ),
        (
            "440000",
            "{p}电镀行业协会（演示）",
            "{p} Electroplating Industry Association (demo)",
        ),
        (
            "370000",
            "{p}氯碱行业协会（演示）",
            "{p} Chlor-Alkali Industry Association (demo)",
        ),
        (
            "210000",
            "{p}腐蚀与防护学会（演示）",
            "{p} Corrosion and Protection Society (demo)",
        ),
    ];
    for (i, (code, zh, en)) in associations.into_iter().enumerate() {
        let p = b.province(code);
        let region = b.provinces[p].region;
        let (zh, en) = (
            zh.replace("{p}", &region.name_zh),
            en.replace("{p}", &region.name_en),
        );
        b.names.insert(zh.clone());
        let city = b.city(p);
        let address = b.address(p, &city);
        let id = b.add(OrgSpec {
            kind: OrgKind::Association,
            name: zh,
            name_en: en,
            category: "51",
            region: code.into(),
            industry: None,
            address: Some(address),
            status: OrgStatus::Verified,
            parks: vec![],
            slug_prefix: "a",
        });
        if i == 0 {
            accounts.push(("association", id));
        }
    }

    // Research institutes, concentrated where corrosion and titanium research is.
    let research_boost: BTreeMap<String, f64> = [
        ("110000", 6.0),
        ("610000", 3.0),
        ("210000", 3.0),
        ("310000", 2.0),
        ("320000", 1.2),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let counts = allocate(RESEARCH, &b.weights(&research_boost), 0);
    for (p, &n) in counts.iter().enumerate() {
        for _ in 0..n {
            let org = research(&mut b, p, OrgStatus::Verified);
            if !accounts.iter().any(|(k, _)| *k == "research") {
                accounts.push(("research", org));
            }
        }
    }

    // Parks: at least one in every province, more where industry is.
    let counts = allocate(PARKS, &b.weights(&BTreeMap::new()), 1);
    let mut parks: Vec<Vec<Park>> = (0..b.provinces.len()).map(|_| Vec::new()).collect();
    for (p, &n) in counts.iter().enumerate() {
        for k in 0..n {
            let theme = if p == demo && k == 0 {
                Theme::Chemical
            } else {
                pick_weighted(
                    &mut b.rng,
                    &[
                        (Theme::Chemical, 55.0),
                        (Theme::Development, 30.0),
                        (Theme::SurfaceTreatment, 15.0),
                    ],
                    |(_, w)| *w,
                )
                .0
            };
            let city = b.city(p);
            let (zh, en) = b.unique_name(|rng, w| {
                let (kind_zh, kind_en) = match theme {
                    Theme::Chemical => ("化工园区", "Chemical Industry Park"),
                    Theme::SurfaceTreatment => {
                        ("表面处理产业园", "Surface Treatment Industrial Park")
                    }
                    Theme::Development => *pick(
                        rng,
                        &[
                            (
                                "经济技术开发区",
                                "Economic and Technological Development Zone",
                            ),
                            (
                                "高新技术产业开发区",
                                "High-Tech Industrial Development Zone",
                            ),
                        ],
                    ),
                };
                (
                    format!("{}{}{kind_zh}", city.short(), w.zh),
                    format!("{} {} {kind_en}", city.pinyin(), w.en),
                )
            });
            let address = b.address(p, &city);
            let region = b.provinces[p].code().to_owned();
            let id = b.add(OrgSpec {
                kind: OrgKind::Park,
                name: zh,
                name_en: en,
                // Park management committees are government bodies.
                category: "11",
                region,
                industry: None,
                address: Some(address),
                status: OrgStatus::Verified,
                parks: vec![],
                slug_prefix: "pk",
            });
            if p == demo && k == 0 {
                accounts.push(("park", id));
            }
            parks[p].push(Park { id, theme });
        }
    }
    let demo_park = parks[demo][0].id;

    // Manufacturers of titanium heating equipment and titanium mill products.
    let counts = allocate(MANUFACTURERS, &b.weights(&services.maker_province_boost), 0);
    let maker_codes: Vec<(&String, &data::Maker)> = services.makers.iter().collect();
    let mut makers: Vec<Maker> = Vec::new();
    for (p, &n) in counts.iter().enumerate() {
        for k in 0..n {
            let (code, maker) = if p == demo && k == 0 {
                maker_codes
                    .iter()
                    .copied()
                    .find(|(c, _)| c.as_str() == "3521")
                    .expect("3521 is a maker industry")
            } else {
                *pick_weighted(&mut b.rng, &maker_codes, |(_, m)| m.weight)
            };
            let city = b.city(p);
            let (zh, en) = b.unique_name(|rng, w| {
                let (t_zh, t_en) = pick(rng, &maker.trades);
                (
                    format!("{}{}{t_zh}有限公司", city.short(), w.zh),
                    format!("{} {} {t_en} Co., Ltd.", city.pinyin(), w.en),
                )
            });
            let address = b.address(p, &city);
            let region = b.provinces[p].code().to_owned();
            let id = b.add(OrgSpec {
                kind: OrgKind::Manufacturer,
                name: zh.clone(),
                name_en: en,
                category: "91",
                region: region.clone(),
                industry: Some(code.clone()),
                address: Some(address),
                status: OrgStatus::Verified,
                parks: vec![],
                slug_prefix: "m",
            });
            if p == demo && k == 0 {
                accounts.push(("manufacturer", id));
            }
            makers.push(Maker {
                id,
                name: zh,
                region,
                makes: maker
                    .makes
                    .iter()
                    .map(|t| t.parse::<EquipmentType>().expect("checked by tests"))
                    .collect(),
            });
        }
    }
    let demo_maker = makers
        .iter()
        .find(|m| {
            Some(m.id)
                == accounts
                    .iter()
                    .find(|(k, _)| *k == "manufacturer")
                    .map(|a| a.1)
        })
        .cloned()
        .expect("the demo province has manufacturers");

    // Service institutions: testing, cleaning, passivation, inspection, training.
    let counts = allocate(SERVICE_INSTITUTIONS, &b.weights(&BTreeMap::new()), 2);
    for (p, &n) in counts.iter().enumerate() {
        for k in 0..n {
            let id = service_institution(&mut b, p, OrgStatus::Verified);
            if p == demo && k == 0 {
                accounts.push(("service_institution", id));
            }
        }
    }

    // Makers that owners name only as text: not registered on the platform.
    let mut free_makers = Vec::new();
    for _ in 0..150 {
        let p = pick_weighted(&mut b.rng, &b.provinces, |p| p.place.weight);
        let city = pick(&mut b.rng, &p.place.cities).clone();
        let w = names::word(&mut b.rng);
        let trade = pick(
            &mut b.rng,
            &[
                "换热器厂",
                "化工机械厂",
                "钛制品厂",
                "电热元件厂",
                "压力容器厂",
                "机械制造有限公司",
            ],
        );
        free_makers.push(format!("{}{}{trade}", city.short(), w.zh));
    }

    // Enterprises, their parks and their equipment.
    let counts = allocate(ENTERPRISES, &b.weights(&BTreeMap::new()), 3);
    let mut items: Vec<(EquipmentId, OrgId, ValidEquipment)> = Vec::new();
    for (p, &n) in counts.iter().enumerate() {
        for k in 0..n {
            let demo_enterprise = p == demo && k == 0;
            let other_enterprise = p == other && k == 0;
            let industry = if demo_enterprise {
                "2612".to_owned()
            } else if other_enterprise {
                "3360".to_owned()
            } else {
                end_user_industry(&mut b.rng, &b.provinces[p])
            };
            let end_user = &services.end_users[&industry];
            let settled = if demo_enterprise {
                vec![demo_park]
            } else {
                settle(&mut b.rng, &parks[p], &industry)
            };
            let city = b.city(p);
            let (zh, en) = b.unique_name(|rng, w| {
                let (t_zh, t_en) = pick(rng, &end_user.trades);
                let (s_zh, s_en) = pick_weighted(
                    rng,
                    &[
                        (("有限公司", "Co., Ltd."), 70.0),
                        (("股份有限公司", "Co., Ltd."), 15.0),
                        (("有限责任公司", "Co., Ltd."), 15.0),
                    ],
                    |(_, w)| *w,
                )
                .0;
                (
                    format!("{}{}{t_zh}{s_zh}", city.short(), w.zh),
                    format!("{} {} {t_en} {s_en}", city.pinyin(), w.en),
                )
            });
            let address = b.address(p, &city);
            let region = b.provinces[p].code().to_owned();
            let id = b.add(OrgSpec {
                kind: OrgKind::Enterprise,
                name: zh,
                name_en: en,
                category: "91",
                region: region.clone(),
                industry: Some(industry.clone()),
                address: Some(address),
                status: OrgStatus::Verified,
                parks: settled.clone(),
                slug_prefix: "e",
            });
            if demo_enterprise {
                accounts.push(("enterprise", id));
            }
            if other_enterprise {
                accounts.push(("enterprise_other", id));
            }
            let count = if demo_enterprise {
                DEMO_ENTERPRISE_ITEMS
            } else if other_enterprise {
                OTHER_ENTERPRISE_ITEMS
            } else {
                let (lo, hi) = end_user.items;
                lo + ((hi - lo + 1) as f64 * b.rng.random::<f64>().powf(1.4)) as usize
            };
            let profile_key = refdata
                .industry(&industry)
                .and_then(|i| i.profile.clone())
                .expect("end users have a profile");
            let owner = Owner {
                profile: refdata.profile(&profile_key).expect("profile exists"),
                duties: services.profiles.get(&profile_key),
                coastal: b.provinces[p].region.coastal,
                region: &region,
                parks: &settled,
                park_share: if demo_enterprise { 0.0 } else { PARK_SHARE },
                makers: &makers,
                free_makers: &free_makers,
            };
            let mut generated = items::generate(&mut b.rng, &profile_key, &owner, count);
            if demo_enterprise {
                // The story: several items shared with the demo park, several made by the
                // demo manufacturer.
                for i in DEMO_PARK_ITEMS {
                    generated[i].level = Level::Park;
                    generated[i].park_id = Some(demo_park);
                }
                for i in DEMO_MAKER_ITEMS {
                    generated[i].manufacturer_org_id = Some(demo_maker.id);
                    generated[i].manufacturer_name = Some(demo_maker.name.clone());
                }
            }
            for item in generated {
                items.push((EquipmentId::from_uuid(uuid(&mut b.rng)), id, item));
            }
        }
    }

    // Registrations waiting for the operator: enterprises mostly, a few others.
    for i in 0..PENDING {
        let p = *pick_weighted(
            &mut b.rng,
            &(0..b.provinces.len()).collect::<Vec<_>>(),
            |&i| b.provinces[i].place.weight,
        );
        match PENDING_KINDS[i % PENDING_KINDS.len()] {
            OrgKind::ServiceInstitution => {
                service_institution(&mut b, p, OrgStatus::Pending);
            }
            OrgKind::Research => {
                research(&mut b, p, OrgStatus::Pending);
            }
            OrgKind::Manufacturer => {
                pending_manufacturer(&mut b, p, &maker_codes);
            }
            _ => pending_enterprise(&mut b, p, &parks[p]),
        }
    }

    // The demo accounts: one more admin in each chosen organisation, written after
    // everybody else.
    accounts.sort_by_key(|(kind, _)| ACCOUNT_ORDER.iter().position(|k| k == kind));
    let mut planned = Vec::new();
    for (kind, org) in accounts {
        let created = b
            .orgs
            .iter()
            .find(|o| o.org.id == org)
            .map(|o| o.created_at)
            .expect("the organisation is planned");
        let capacities = match kind {
            "research" => vec![Capacity::Expert],
            "association" => vec![Capacity::Reviewer],
            "service_institution" => vec![Capacity::Examiner],
            _ => vec![],
        };
        let person = b.person(
            org,
            format!("{}@demo.ticorr.cn", kind.replace('_', "-")),
            format!("演示账号·{}", kind_label_zh(kind)),
            Role::Admin,
            capacities,
            created,
        );
        planned.push(PlannedAccount { kind, person });
    }
    let last = b.people.last_mut().expect("the accounts were just added");
    last.person.id = marker_person_id();
    crate::expertise::assign(&mut b.people, &b.orgs, &planned);

    Plan {
        orgs: b.orgs,
        people: b.people,
        items,
        accounts: planned,
    }
}

fn kind_label_zh(kind: &str) -> &'static str {
    match kind {
        "enterprise" => "企业",
        "enterprise_other" => "另一企业",
        "manufacturer" => "制造商",
        "park" => "园区",
        "service_institution" => "服务机构",
        "regulator" => "监管部门",
        "association" => "行业协会",
        "operator" => "平台运营",
        _ => "科研院所",
    }
}

/// The parks an enterprise settles in: none, one (most) or two of its province,
/// preferring parks whose theme suits its industry. Power plants and mines are less often
/// in parks.
fn settle(rng: &mut ChaCha8Rng, parks: &[Park], industry: &str) -> Vec<OrgId> {
    if parks.is_empty() {
        return Vec::new();
    }
    let theme = theme_for(industry);
    let none = if theme == Theme::Development {
        0.5
    } else {
        0.2
    };
    let r: f64 = rng.random();
    let wanted = if r < none {
        0
    } else if r < 0.92 {
        1
    } else {
        2
    };
    let mut left: Vec<&Park> = parks.iter().collect();
    let mut chosen = Vec::new();
    for _ in 0..wanted.min(parks.len()) {
        let i = {
            let idx: Vec<usize> = (0..left.len()).collect();
            *pick_weighted(
                rng,
                &idx,
                |&i| if left[i].theme == theme { 4.0 } else { 1.0 },
            )
        };
        chosen.push(left.remove(i).id);
    }
    chosen.sort();
    chosen
}

fn research(b: &mut Builder<'_>, p: usize, status: OrgStatus) -> OrgId {
    let city = b.city(p);
    let (zh_prov, en_prov) = {
        let r = b.provinces[p].region;
        (r.name_zh_short.clone(), r.name_en.clone())
    };
    let coastal = b.provinces[p].region.coastal;
    let (zh, en) = b.unique_name(|rng, w| {
        let choice = rng.random_range(0..if coastal { 4 } else { 3 });
        match choice {
            0 => (
                format!("{}{}材料腐蚀与防护研究院", city.short(), w.zh),
                format!(
                    "{} {} Institute of Materials Corrosion and Protection",
                    city.pinyin(),
                    w.en
                ),
            ),
            1 => (
                format!("{}理工大学钛材料研究中心", w.zh),
                format!(
                    "{} University of Technology, Titanium Materials Research Centre",
                    w.en
                ),
            ),
            2 => (
                format!("{zh_prov}{}工业技术研究院", w.zh),
                format!(
                    "{en_prov} {} Industrial Technology Research Institute",
                    w.en
                ),
            ),
            _ => (
                format!("{}{}海洋材料研究所", city.short(), w.zh),
                format!(
                    "{} {} Marine Materials Research Institute",
                    city.pinyin(),
                    w.en
                ),
            ),
        }
    });
    let address = b.address(p, &city);
    let region = b.provinces[p].code().to_owned();
    b.add(OrgSpec {
        kind: OrgKind::Research,
        name: zh,
        name_en: en,
        category: "12",
        region,
        industry: None,
        address: Some(address),
        status,
        parks: vec![],
        slug_prefix: if status == OrgStatus::Pending {
            "n"
        } else {
            "r"
        },
    })
}

fn service_institution(b: &mut Builder<'_>, p: usize, status: OrgStatus) -> OrgId {
    let city = b.city(p);
    // (zh, en, category, weight)
    const KINDS: [(&str, &str, &str, f64); 6] = [
        (
            "检测技术有限公司",
            "Testing Technology Co., Ltd.",
            "91",
            35.0,
        ),
        (
            "工业清洗有限公司",
            "Industrial Cleaning Co., Ltd.",
            "91",
            20.0,
        ),
        (
            "防腐工程技术有限公司",
            "Anti-Corrosion Engineering Co., Ltd.",
            "91",
            20.0,
        ),
        ("检验检测中心", "Inspection and Testing Centre", "12", 10.0),
        (
            "职业技能培训学校",
            "Vocational Skills Training School",
            "12",
            10.0,
        ),
        ("材料检测有限公司", "Materials Testing Co., Ltd.", "91", 5.0),
    ];
    let (kind_zh, kind_en, category, _) = *pick_weighted(&mut b.rng, &KINDS, |k| k.3);
    let (zh, en) = b.unique_name(|_, w| {
        (
            format!("{}{}{kind_zh}", city.short(), w.zh),
            format!("{} {} {kind_en}", city.pinyin(), w.en),
        )
    });
    let address = b.address(p, &city);
    let region = b.provinces[p].code().to_owned();
    b.add(OrgSpec {
        kind: OrgKind::ServiceInstitution,
        name: zh,
        name_en: en,
        category,
        region,
        industry: None,
        address: Some(address),
        status,
        parks: vec![],
        slug_prefix: if status == OrgStatus::Pending {
            "n"
        } else {
            "s"
        },
    })
}

/// The mix of registrations in the verification queue: mostly enterprises.
const PENDING_KINDS: [OrgKind; 12] = [
    OrgKind::Enterprise,
    OrgKind::Enterprise,
    OrgKind::ServiceInstitution,
    OrgKind::Enterprise,
    OrgKind::Manufacturer,
    OrgKind::Enterprise,
    OrgKind::Enterprise,
    OrgKind::Research,
    OrgKind::Enterprise,
    OrgKind::ServiceInstitution,
    OrgKind::Enterprise,
    OrgKind::Manufacturer,
];

fn pending_enterprise(b: &mut Builder<'_>, p: usize, parks: &[Park]) {
    let services = &data::get().services;
    let industry = end_user_industry(&mut b.rng, &b.provinces[p]);
    // Registrants may name a park they are settled in; the operator checks it.
    let settled = if b.rng.random_bool(0.4) {
        settle(&mut b.rng, parks, &industry)
            .into_iter()
            .take(1)
            .collect()
    } else {
        Vec::new()
    };
    let end_user = &services.end_users[&industry];
    let city = b.city(p);
    let (zh, en) = b.unique_name(|rng, w| {
        let (t_zh, t_en) = pick(rng, &end_user.trades);
        (
            format!("{}{}{t_zh}有限公司", city.short(), w.zh),
            format!("{} {} {t_en} Co., Ltd.", city.pinyin(), w.en),
        )
    });
    let address = b.address(p, &city);
    let region = b.provinces[p].code().to_owned();
    b.add(OrgSpec {
        kind: OrgKind::Enterprise,
        name: zh,
        name_en: en,
        category: "91",
        region,
        industry: Some(industry),
        address: Some(address),
        status: OrgStatus::Pending,
        parks: settled,
        slug_prefix: "n",
    });
}

fn pending_manufacturer(b: &mut Builder<'_>, p: usize, codes: &[(&String, &data::Maker)]) -> OrgId {
    let (code, maker) = *pick_weighted(&mut b.rng, codes, |(_, m)| m.weight);
    let city = b.city(p);
    let (zh, en) = b.unique_name(|rng, w| {
        let (t_zh, t_en) = pick(rng, &maker.trades);
        (
            format!("{}{}{t_zh}有限公司", city.short(), w.zh),
            format!("{} {} {t_en} Co., Ltd.", city.pinyin(), w.en),
        )
    });
    let address = b.address(p, &city);
    let region = b.provinces[p].code().to_owned();
    b.add(OrgSpec {
        kind: OrgKind::Manufacturer,
        name: zh,
        name_en: en,
        category: "91",
        region,
        industry: Some(code.clone()),
        address: Some(address),
        status: OrgStatus::Pending,
        parks: vec![],
        slug_prefix: "n",
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use ticorr_platform::identity::{normalize_email, valid_email};

    #[test]
    fn allocation_gives_the_minimum_and_sums_up() {
        let counts = allocate(100, &[1.0, 2.0, 7.0], 3);
        assert_eq!(counts.iter().sum::<usize>(), 100);
        assert!(counts.iter().all(|&c| c >= 3));
        assert!(counts[2] > counts[1] && counts[1] > counts[0]);
    }

    #[test]
    fn the_plan_is_complete_and_consistent() {
        let started = std::time::Instant::now();
        let plan = build();
        eprintln!("plan built in {:?}", started.elapsed());
        let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
        for o in plan
            .orgs
            .iter()
            .filter(|o| o.org.status == OrgStatus::Verified)
        {
            *kinds.entry(o.org.kind.as_str()).or_default() += 1;
        }
        eprintln!("verified by kind: {kinds:?}; items: {}", plan.items.len());
        assert!(kinds["enterprise"] >= 2_000);
        assert!(kinds["park"] >= 60);
        assert!(kinds["manufacturer"] >= 150);
        assert!(kinds["service_institution"] >= 300);
        assert_eq!(kinds["operator"], 1);
        assert!(plan.items.len() >= 20_000);

        // Unique names, codes, e-mails and ids.
        let mut seen = HashSet::new();
        for o in &plan.orgs {
            assert!(seen.insert(o.org.name.clone()), "{}", o.org.name);
            let uscc = o.org.uscc.as_ref().unwrap();
            assert!(seen.insert(uscc.to_string()));
            assert_eq!(uscc.region_code(), o.org.region_code);
            assert!(seen.insert(o.org.id.to_string()));
        }
        for p in &plan.people {
            assert_eq!(normalize_email(&p.person.email), p.person.email);
            assert!(valid_email(&p.person.email), "{}", p.person.email);
            assert!(seen.insert(p.person.email.clone()));
            assert!(seen.insert(p.person.id.to_string()));
        }
        for (id, _, item) in &plan.items {
            assert!(seen.insert(id.to_string()));
            assert!(item.name.chars().count() <= 200 && item.tag.len() <= 50);
        }
        assert_eq!(
            plan.people.last().unwrap().person.id,
            marker_person_id(),
            "the marker person is written last"
        );
    }

    #[test]
    fn items_respect_the_registry_bounds() {
        let plan = build();
        let bound = |name: &str| {
            ticorr_equipment::FIELDS
                .iter()
                .find(|f| f.name == name)
                .and_then(|f| f.bounds)
                .unwrap()
        };
        let mut by_grade: BTreeMap<String, usize> = BTreeMap::new();
        for (_, _, i) in &plan.items {
            for (name, v) in [
                ("temperature_c", i.temperature_c),
                ("pressure_mpa", i.pressure_mpa),
                ("chloride_mg_l", i.chloride_mg_l),
                ("fluoride_mg_l", i.fluoride_mg_l),
                ("ph", i.ph),
                ("velocity_m_s", i.velocity_m_s),
                ("cp_potential_v_sce", i.cp_potential_v_sce),
            ] {
                if let Some(v) = v {
                    let (lo, hi) = bound(name);
                    assert!(v.is_finite() && v >= lo && v <= hi, "{name} = {v}");
                }
            }
            let d = i.commissioned_on.as_deref().unwrap();
            assert!(("1995-01-01"..="2025-12-31").contains(&d), "{d}");
            assert_eq!(i.level == Level::Park, i.park_id.is_some());
            *by_grade.entry(i.grade.label()).or_default() += 1;
        }
        eprintln!("grades: {by_grade:?}");
        assert!(by_grade["Gr2"] * 2 > plan.items.len(), "mostly Gr2");
    }
}
