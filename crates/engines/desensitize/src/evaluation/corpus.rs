//! The synthetic corpus: failure reports of titanium heat exchangers with planted identifiers.
//!
//! Each report reads like the real ones (equipment, grade, medium, temperature, chloride, pH,
//! the failure, the cause, the standards cited) and carries identifiers of every kind at
//! recorded byte spans, in varied formats and contexts: with and without labels, spaced and
//! compact, Chinese and English, and a few forms the detectors are known not to handle (a name
//! mentioned with no title or role anywhere, an unregistered short organisation name) so that
//! the measured recall is not flattered. Technical tokens that must survive and near misses
//! that must not be redacted (numbers failing their check, clause numbers, serial numbers)
//! are recorded too.
//!
//! The generator is a ChaCha8 stream from one seed, so a seed names a corpus.

use std::ops::Range;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use ticorr_kernel::Uscc;

use crate::detect::checksum::{luhn_complete, resident_id_check};
use crate::kind::DetectorKind;
use crate::regions;

/// One planted identifier.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Planted {
    /// Its kind.
    pub kind: DetectorKind,
    /// Byte offset in the document.
    pub start: usize,
    /// Byte offset just past it.
    pub end: usize,
}

/// One labelled synthetic report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LabelledDoc {
    /// The report text.
    pub text: String,
    /// The identifiers planted in it.
    pub identifiers: Vec<Planted>,
    /// Technical tokens that must come out unchanged.
    pub technical: Vec<Range<usize>>,
    /// Near misses that must not be redacted.
    pub near_misses: Vec<Range<usize>>,
}

/// A generated corpus and the organisation registry that goes with it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Corpus {
    /// The reports.
    pub docs: Vec<LabelledDoc>,
    /// Organisation names "registered on the platform" (given to the engine's dictionary).
    pub registry: Vec<String>,
}

/// Generates `n_docs` reports from `seed`.
pub fn generate(n_docs: usize, seed: u64) -> Corpus {
    let mut g = Gen {
        rng: ChaCha8Rng::seed_from_u64(seed),
        registry: Vec::new(),
    };
    let docs = (0..n_docs)
        .map(|i| {
            if i % 10 < 6 {
                g.chinese_report()
            } else {
                g.english_report()
            }
        })
        .collect();
    let mut registry = g.registry;
    registry.sort();
    registry.dedup();
    Corpus { docs, registry }
}

struct Doc {
    text: String,
    identifiers: Vec<Planted>,
    technical: Vec<Range<usize>>,
    near_misses: Vec<Range<usize>>,
}

impl Doc {
    fn new() -> Doc {
        Doc {
            text: String::new(),
            identifiers: Vec::new(),
            technical: Vec::new(),
            near_misses: Vec::new(),
        }
    }

    /// Plain text.
    fn t(&mut self, s: &str) -> &mut Doc {
        self.text.push_str(s);
        self
    }

    /// A planted identifier.
    fn id(&mut self, kind: DetectorKind, s: &str) -> &mut Doc {
        let start = self.text.len();
        self.text.push_str(s);
        self.identifiers.push(Planted {
            kind,
            start,
            end: self.text.len(),
        });
        self
    }

    /// A technical token.
    fn tech(&mut self, s: &str) -> &mut Doc {
        let start = self.text.len();
        self.text.push_str(s);
        self.technical.push(start..self.text.len());
        self
    }

    /// A near miss.
    fn near(&mut self, s: &str) -> &mut Doc {
        let start = self.text.len();
        self.text.push_str(s);
        self.near_misses.push(start..self.text.len());
        self
    }

    fn done(self) -> LabelledDoc {
        LabelledDoc {
            text: self.text,
            identifiers: self.identifiers,
            technical: self.technical,
            near_misses: self.near_misses,
        }
    }
}

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "肖",
    "田", "董", "袁", "潘", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁", "任", "沈",
    "姚", "卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "廖", "石", "贾", "夏", "韦", "付", "方",
    "白", "邹", "孟", "熊", "秦", "邱", "江", "尹", "薛", "闫", "段", "雷", "侯", "龙", "史", "陶",
    "黎", "贺", "顾", "毛", "郝", "龚", "邵", "万", "钱", "严", "覃", "武", "戴", "莫", "孔", "向",
    "汤",
];
const COMPOUND_SURNAMES: &[&str] = &[
    "欧阳", "司马", "诸葛", "上官", "皇甫", "令狐", "慕容", "尉迟",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀", "霞", "平", "刚", "桂", "英", "华", "建", "国", "文", "辉", "鹏", "宇", "浩", "凯",
    "峰", "林", "斌", "波", "宁", "晨", "欣", "怡", "佳", "慧", "颖", "琳", "雪", "婷", "倩", "亮",
    "成", "博", "俊", "健", "飞", "新", "海", "玉", "春", "红", "志", "昊", "瑞", "嘉", "思", "子",
    "梓", "睿", "轩", "泽",
];
const TITLES_AFTER_NAME: &[&str] = &[
    "工程师",
    "先生",
    "女士",
    "经理",
    "主任",
    "厂长",
    "高工",
    "总工",
    "教授",
    "博士",
];
const TITLES_AFTER_SURNAME: &[&str] = &["工", "总", "经理", "师傅", "主任", "工程师", "厂长"];
const ROLES: &[&str] = &[
    "联系人：",
    "负责人：",
    "取样人：",
    "报告编制：",
    "审核：",
    "批准：",
    "检验员：",
    "联系人 ",
    "技术负责人：",
    "送检人：",
    "记录人：",
];
const FIRST_NAMES: &[&str] = &[
    "John", "Michael", "David", "Sarah", "Emma", "Peter", "Anna", "Thomas", "Maria", "James",
    "Laura", "Daniel", "Olivia", "Robert", "Sophie",
];
const LAST_NAMES: &[&str] = &[
    "Smith", "Brown", "Miller", "Wilson", "Taylor", "Clark", "Walker", "Wright", "Hughes",
    "Fischer", "Becker", "Jensen", "Morgan", "Turner", "Evans",
];
const PINYIN: &[&str] = &[
    "Zhang Wei",
    "Li Na",
    "Wang Jianguo",
    "Liu Yang",
    "Chen Jing",
    "Zhao Lei",
    "Huang Min",
    "Zhou Tao",
    "Wu Hao",
    "Xu Fang",
    "Sun Qiang",
    "Ma Li",
];
const CITIES: &[(&str, &str, &str)] = &[
    ("32", "南京", "江宁"),
    ("32", "连云港", "连云"),
    ("32", "苏州", "相城"),
    ("61", "宝鸡", "渭滨"),
    ("61", "西安", "雁塔"),
    ("33", "杭州", "滨江"),
    ("33", "宁波", "北仑"),
    ("37", "青岛", "黄岛"),
    ("37", "淄博", "临淄"),
    ("44", "广州", "南沙"),
    ("44", "深圳", "南山"),
    ("44", "湛江", "霞山"),
    ("35", "厦门", "海沧"),
    ("51", "成都", "龙泉驿"),
    ("42", "武汉", "青山"),
    ("13", "唐山", "丰南"),
    ("46", "海口", "美兰"),
    ("21", "大连", "甘井子"),
    ("41", "洛阳", "涧西"),
    ("34", "合肥", "包河"),
];
const ROADS: &[&str] = &[
    "天元中",
    "高新",
    "科技",
    "创业",
    "滨海",
    "纬二",
    "长江",
    "黄河",
    "解放",
    "人民",
    "建设",
    "港城",
    "化工",
    "经开",
    "新材料",
    "清江",
    "金桥",
    "振兴",
    "复兴",
    "兴业",
];
const ROAD_SUFFIX: &[&str] = &["路", "路", "路", "大道", "街"];
const BRANDS: &[&str] = &[
    "恒昌", "鑫源", "宏达", "东岳", "金泰", "瑞丰", "新锐", "永兴", "海晶", "天盛", "华信", "中钛",
    "西部", "天和", "远航", "盛达", "汇能", "巨化", "蓝星", "银河",
];
const ORG_INDUSTRY: &[&str] = &[
    "钛业",
    "化工",
    "热能设备",
    "氯碱化工",
    "电镀",
    "制药",
    "海水淡化",
    "换热设备",
    "新材料",
    "盐化",
    "稀有金属",
    "能源",
];
const ORG_SUFFIX: &[&str] = &["有限公司", "股份有限公司", "有限责任公司", "集团有限公司"];
const EN_BRANDS: &[&str] = &[
    "Hengchang",
    "Xinyuan",
    "Northstar",
    "Bluewater",
    "Jinshan",
    "Redwood",
    "Oriental",
    "Sinoheat",
    "Keystone",
    "Meridian",
];
const EN_ORG_TAIL: &[&str] = &[
    "Titanium Equipment Co., Ltd.",
    "Heat Transfer GmbH",
    "Chemical Corp.",
    "Energy Inc.",
    "Engineering Co., Ltd.",
    "Process Equipment Ltd.",
    "Desalination Company Limited",
];
const EN_STREETS: &[&str] = &[
    "Keyuan",
    "Century",
    "Binhai",
    "Riverside",
    "Harbour",
    "Xinhua",
    "Jinqiao",
    "Gaoxin",
];
const EN_STREET_TYPE: &[&str] = &["Road", "Avenue", "Street", "Road"];
const IINS: &[&str] = &[
    "622202", "621700", "622848", "623058", "621226", "436742", "518710", "622588", "625807",
    "621483",
];
const AREA_CODES: &[&str] = &[
    "010", "021", "022", "023", "020", "025", "027", "028", "029", "0571", "0574", "0531", "0532",
    "0917", "0898", "0755", "0512", "0516", "0371", "0931",
];
const DOMAINS: &[&str] = &[
    "example.com",
    "example.cn",
    "corp.example.com.cn",
    "ti-example.cn",
    "mail.example.org",
];
const LOCAL_PARTS: &[&str] = &[
    "zhang.wei",
    "li_na88",
    "wangjg",
    "chen.jing",
    "service",
    "qa-lab",
    "j.smith",
    "liuyang2019",
];
const STANDARDS: &[&str] = &[
    "GB/T 3620.1-2016",
    "GB/T 3625-2007",
    "ASTM B338",
    "ASTM B265",
    "GB 150.1",
    "NB/T 47013.3-2015",
    "API 581",
    "API RP 581",
    "ISO 9223",
    "JB/T 4730",
    "GB/T 151-2014",
    "NB/T 47011",
    "ASTM G48",
    "HG/T 20592",
    "ISO 15156-2:2015",
    "ASME VIII Div. 1",
    "TSG 21-2016",
];
const GRADES: &[&str] = &[
    "TA2", "TA1", "TA10", "TA9", "Gr2", "Gr.7", "Grade 12", "Gr 2", "Grade 7", "TA1G", "Gr16",
];
const EQUIPMENT_ZH: &[&str] = &[
    "板式换热器",
    "管壳式换热器",
    "凝汽器",
    "蒸发器",
    "电加热器",
    "钛盘管",
    "冷却器",
];
const EQUIPMENT_EN: &[&str] = &[
    "plate heat exchanger",
    "shell-and-tube heat exchanger",
    "surface condenser",
    "brine evaporator",
    "immersion heater",
    "titanium coil",
    "chlorine cooler",
];
const MEDIA_ZH: &[&str] = &[
    "饱和盐水",
    "湿氯气",
    "淡盐水",
    "海水",
    "含氯离子循环水",
    "稀盐酸",
    "镀铬液",
    "次氯酸钠溶液",
];
const MEDIA_EN: &[&str] = &[
    "saturated brine",
    "wet chlorine",
    "depleted brine",
    "seawater",
    "cooling water",
    "dilute HCl",
    "chromic acid bath",
    "hypochlorite solution",
];
const FAILURES_ZH: &[&str] = &[
    "垫片下缝隙腐蚀穿孔",
    "管口氢脆开裂",
    "焊缝处点蚀泄漏",
    "氟化物导致的均匀腐蚀减薄",
    "入口段冲刷腐蚀",
    "管板与换热管连接处缝隙腐蚀",
];
const FAILURES_EN: &[&str] = &[
    "crevice corrosion under the gaskets",
    "hydrogen embrittlement at the tube ends",
    "pitting along the weld",
    "general thinning caused by fluorides",
    "erosion-corrosion at the inlet",
    "crevice attack at the tube-to-tubesheet joints",
];
const CAUSES_ZH: &[&str] = &[
    "温度长期高于设计值且 pH 偏低，缝隙内酸化",
    "阴极保护电位过负导致吸氢",
    "介质中混入含氟杂质",
    "流速过高造成保护膜破坏",
    "停车期间积液浓缩",
];
const CAUSES_EN: &[&str] = &[
    "the temperature exceeded the design value while the pH was low, so the crevices acidified",
    "over-protection by the cathodic protection system charged the tubes with hydrogen",
    "fluoride-bearing impurities entered the process stream",
    "excessive velocity broke down the passive film",
    "liquid concentrated during shutdowns",
];

/// Sentences of real technical prose (see the file's header for the source).
const REFERENCE_SENTENCES: &str = include_str!("../../data/eval_reference_sentences.txt");

fn reference_sentences() -> Vec<&'static str> {
    REFERENCE_SENTENCES
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .collect()
}

struct Gen {
    rng: ChaCha8Rng,
    registry: Vec<String>,
}

/// A Chinese person of the cast of one report.
struct Person {
    surname: String,
    name: String,
}

impl Gen {
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.rng.random_range(0..items.len())]
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.random::<f64>() < p
    }

    fn int(&mut self, lo: u32, hi: u32) -> u32 {
        self.rng.random_range(lo..=hi)
    }

    fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.rng.random_range(0..10u8)))
            .collect()
    }

    fn province(&mut self) -> &'static regions::Province {
        let all = regions::all();
        &all[self.rng.random_range(0..31)]
    }

    // ----- identifiers -------------------------------------------------------------------

    fn uscc(&mut self) -> String {
        const A: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
        let auth = self.pick(&["9", "9", "9", "9", "9", "1", "5", "Y"]);
        let category = self.pick(&["1", "2", "3"]);
        let region = format!("{}{}", self.province().prefix, self.digits(4));
        let org: String = (0..9)
            .map(|_| A[self.rng.random_range(0..A.len())] as char)
            .collect();
        let code = Uscc::complete(&format!("{auth}{category}{region}{org}"))
            .expect("generated body uses the alphabet")
            .to_string();
        match self.int(0, 19) {
            0 => code.to_lowercase(),
            1 | 2 => format!("{} {}", &code[..8], &code[8..]),
            _ => code,
        }
    }

    fn resident_id_body(&mut self) -> String {
        let year = self.int(1955, 2002);
        let month = self.int(1, 12);
        let day = self.int(1, 28);
        format!(
            "{}{}{year}{month:02}{day:02}{}",
            self.province().prefix,
            self.digits(4),
            self.digits(3)
        )
    }

    fn resident_id(&mut self) -> String {
        let body = self.resident_id_body();
        let id = format!("{body}{}", resident_id_check(&body).expect("17 digits"));
        match self.int(0, 19) {
            0..=2 => format!("{} {} {}", &id[..6], &id[6..14], &id[14..]),
            3 | 4 => format!("{}-{}-{}", &id[..6], &id[6..14], &id[14..]),
            5 => id.to_lowercase(),
            6 => format!("{} {} {} {}", &id[..6], &id[6..10], &id[10..14], &id[14..]),
            _ => id,
        }
    }

    fn bank_card(&mut self) -> String {
        let iin = self.pick(IINS);
        let len = if self.chance(0.5) { 16 } else { 19 };
        let card = luhn_complete(&format!("{iin}{}", self.digits(len - 1 - iin.len())));
        match self.int(0, 9) {
            0..=3 => card
                .as_bytes()
                .chunks(4)
                .map(|c| std::str::from_utf8(c).expect("ascii"))
                .collect::<Vec<_>>()
                .join(" "),
            4 => card
                .as_bytes()
                .chunks(4)
                .map(|c| std::str::from_utf8(c).expect("ascii"))
                .collect::<Vec<_>>()
                .join("-"),
            5 => format!("{} {}", &card[..6], &card[6..]),
            _ => card,
        }
    }

    fn mobile(&mut self) -> String {
        let second = self.pick(&["3", "5", "7", "8", "9", "6"]);
        let n = format!("1{second}{}", self.digits(9));
        match self.int(0, 9) {
            0 | 1 => format!("{} {} {}", &n[..3], &n[3..7], &n[7..]),
            2 => format!("{}-{}-{}", &n[..3], &n[3..7], &n[7..]),
            3 => format!("+86 {} {} {}", &n[..3], &n[3..7], &n[7..]),
            4 => format!("+86-{n}"),
            5 => format!("0086 {n}"),
            6 => format!("（+86）{n}"),
            // Full-width digits, as some word processors type them (the engine folds them).
            7 if self.chance(0.15) => n
                .chars()
                .map(|c| char::from_u32(c as u32 - '0' as u32 + 0xFF10).unwrap_or(c))
                .collect(),
            _ => n,
        }
    }

    fn landline(&mut self) -> String {
        let area = self.pick(AREA_CODES);
        let local_len = if area.len() == 3 || self.chance(0.6) {
            8
        } else {
            7
        };
        let local = format!("{}{}", self.int(2, 8), self.digits(local_len - 1));
        let split = local_len - 4;
        let base = match self.int(0, 6) {
            0 => format!("({area}) {} {}", &local[..split], &local[split..]),
            1 => format!("{area} {local}"),
            2 => format!("+86 {} {} {}", &area[1..], &local[..split], &local[split..]),
            3 => format!("{area}-{} {}", &local[..split], &local[split..]),
            _ => format!("{area}-{local}"),
        };
        match self.int(0, 7) {
            0 => format!("{base} 转 {}", self.int(100, 8999)),
            1 => format!("{base}-{}", self.int(100, 999)),
            _ => base,
        }
    }

    fn email(&mut self) -> String {
        let local = self.pick(LOCAL_PARTS);
        let domain = self.pick(DOMAINS);
        match self.int(0, 19) {
            0 => format!("{local}＠{domain}"),
            1 => format!("{local} [at] {}", domain.replace('.', " [dot] ")),
            _ => format!("{local}@{domain}"),
        }
    }

    fn ipv4(&mut self) -> String {
        let ip = match self.int(0, 2) {
            0 => format!(
                "10.{}.{}.{}",
                self.int(0, 255),
                self.int(0, 255),
                self.int(1, 254)
            ),
            1 => format!(
                "172.{}.{}.{}",
                self.int(16, 31),
                self.int(0, 255),
                self.int(1, 254)
            ),
            _ => format!("192.168.{}.{}", self.int(0, 255), self.int(1, 254)),
        };
        if self.chance(0.2) {
            format!("{ip}:{}", self.pick(&["502", "8080", "4840", "102"]))
        } else {
            ip
        }
    }

    fn ipv6(&mut self) -> String {
        let form = self.rng.random_range(0..3);
        let mut h = || format!("{:x}", self.rng.random_range(1..0xffffu32));
        match form {
            0 => format!("2001:db8:{}:{}::{}", h(), h(), h()),
            1 => format!("fe80::{}:{}:{}:{}", h(), h(), h(), h()),
            _ => format!("2001:db8:{}:{}:{}:{}:{}:{}", h(), h(), h(), h(), h(), h()),
        }
    }

    fn url(&mut self) -> String {
        let domain = self.pick(DOMAINS);
        match self.int(0, 3) {
            0 => format!(
                "https://www.{domain}/cases/{}/{}",
                self.int(2015, 2024),
                self.int(1, 999)
            ),
            1 => format!(
                "http://{}:8080/scada",
                self.ipv4().split(':').next().unwrap_or("10.0.0.1")
            ),
            2 if self.chance(0.15) => {
                // No scheme and no www.: not expected to be found.
                format!("{domain}/cases/{}", self.int(1, 999))
            }
            2 => format!("www.{domain}"),
            _ => format!("https://{domain}/report?id={}", self.digits(6)),
        }
    }

    fn plate(&mut self) -> String {
        const L: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
        let p = self.province();
        let office = L[self.rng.random_range(0..12)] as char;
        let tail = match self.int(0, 9) {
            0..=1 => format!("{}{}", self.pick(&["D", "F"]), self.digits(5)),
            2 => format!("{}{}", self.digits(5), self.pick(&["D", "F"])),
            3..=4 => format!(
                "{}{}{}",
                self.digits(1),
                L[self.rng.random_range(0..L.len())] as char,
                self.digits(3)
            ),
            _ => self.digits(5),
        };
        let sep = self.pick(&["", "", "·", " "]);
        format!("{}{office}{sep}{tail}", p.plate)
    }

    fn address_zh(&mut self) -> String {
        let (prefix, city, district) = CITIES[self.rng.random_range(0..CITIES.len())];
        let province = regions::by_code(prefix).expect("city table uses provincial prefixes");
        let prov = match self.int(0, 4) {
            0 => String::new(),
            1 => province.short_zh.to_owned(),
            _ => {
                if ["11", "12", "31", "50"].contains(&prefix) {
                    String::new()
                } else {
                    province.name_zh.to_owned()
                }
            }
        };
        let road = self.pick(ROADS);
        let suffix = self.pick(ROAD_SUFFIX);
        let sp = if self.chance(0.3) { " " } else { "" };
        let mut s = format!(
            "{prov}{city}市{district}区{road}{suffix}{sp}{}{sp}号",
            self.int(1, 899)
        );
        if self.chance(0.3) {
            s.push_str(&format!(
                "{sp}{}{sp}号楼{sp}{}{sp}室",
                self.int(1, 12),
                self.int(101, 1808)
            ));
        }
        s
    }

    fn address_en(&mut self) -> String {
        let (prefix, _, _) = CITIES[self.rng.random_range(0..CITIES.len())];
        let province = regions::by_code(prefix).expect("city table uses provincial prefixes");
        let street = self.pick(EN_STREETS);
        let kind = self.pick(EN_STREET_TYPE);
        let n = self.int(1, 1999);
        let district = self.pick(&[
            "Nanshan District",
            "Binhai New Area",
            "Pudong",
            "Jiangning District",
            "Huangdao District",
        ]);
        match self.int(0, 2) {
            0 => format!("No. {n} {street} {kind}, {district}, {}", province.name_en),
            1 => format!(
                "{n} {street} {kind}, {district}, {} {}",
                province.name_en,
                self.digits(6)
            ),
            _ => format!("{street} {kind} No. {n}"),
        }
    }

    fn gps(&mut self, chinese: bool) -> String {
        let lat = self.rng.random_range(18.0..45.0f64);
        let lon = self.rng.random_range(98.0..125.0f64);
        let dms = |v: f64| {
            let d = v.trunc();
            let m = ((v - d) * 60.0).trunc();
            let s = ((v - d) * 60.0 - m) * 60.0;
            (d as u32, m as u32, s.trunc() as u32)
        };
        let (la, lo) = (dms(lat), dms(lon));
        match (chinese, self.int(0, 2)) {
            (true, 0) => format!(
                "北纬{}°{}′{}″，东经{}°{}′{}″",
                la.0, la.1, la.2, lo.0, lo.1, lo.2
            ),
            (true, 1) => format!("北纬 {lat:.4}°, 东经 {lon:.4}°"),
            (false, 0) => format!(
                "{}°{}'{}\"N {}°{}'{}\"E",
                la.0, la.1, la.2, lo.0, lo.1, lo.2
            ),
            (false, 1) if self.chance(0.3) => format!("E {lon:.4}°, N {lat:.4}°"),
            (false, 1) => format!("lat {lat:.5}, lon {lon:.5}"),
            (_, _) => {
                if self.chance(0.5) {
                    format!("{lat:.6}, {lon:.6}")
                } else {
                    format!("{lat:.4}° N, {lon:.4}° E")
                }
            }
        }
    }

    fn contract(&mut self) -> (String, String) {
        let y = self.int(2015, 2024);
        match self.int(0, 6) {
            0 => ("合同编号：".into(), format!("HT-{y}-{}", self.digits(4))),
            1 => (String::new(), format!("PO-{}", self.digits(5))),
            2 => ("Order No. ".into(), format!("45{}", self.digits(8))),
            3 => (
                "订单号 ".into(),
                format!(
                    "DD{y}{:02}{:02}{}",
                    self.int(1, 12),
                    self.int(1, 28),
                    self.digits(3)
                ),
            ),
            4 => (
                "Contract No.: ".into(),
                format!("CT/{y}/{}", self.digits(3)),
            ),
            5 => ("采购订单号：".into(), format!("CG{y}{}", self.digits(4))),
            _ => ("工单号：".into(), format!("WO{y}-{}", self.digits(3))),
        }
    }

    fn money(&mut self, chinese: bool) -> String {
        let n = self.int(2, 980);
        let thousands = |v: u32| {
            let s = v.to_string();
            let mut out = String::new();
            for (i, c) in s.chars().enumerate() {
                if i > 0 && (s.len() - i).is_multiple_of(3) {
                    out.push(',');
                }
                out.push(c);
            }
            out
        };
        if chinese {
            match self.int(0, 6) {
                6 => format!("{} 万", n),
                0 => format!("¥{}", thousands(n * 1000)),
                1 => format!("{} 元", thousands(n * 100)),
                2 => format!("{}.{} 万元", n, self.int(0, 9)),
                3 => format!(
                    "人民币{}万{}仟元整",
                    self.pick(&["叁", "伍", "壹拾贰", "捌"]),
                    self.pick(&["伍", "贰", "玖"])
                ),
                4 => format!("RMB {}", thousands(n * 1000)),
                _ => format!("￥{} 万元", n),
            }
        } else {
            match self.int(0, 3) {
                0 => format!("USD {}", thousands(n * 100)),
                1 => format!("RMB {}", thousands(n * 1000)),
                2 => format!("CNY {}.{} million", self.int(1, 9), self.int(0, 9)),
                _ => format!("{} yuan", thousands(n * 100)),
            }
        }
    }

    fn capacity(&mut self, chinese: bool) -> (String, String) {
        if chinese {
            match self.int(0, 2) {
                0 => ("年产烧碱 ".into(), format!("{} 万吨", self.int(5, 60))),
                1 => (
                    "装机容量 ".into(),
                    format!("2×{} MW", self.pick(&["330", "350", "600", "660", "1000"])),
                ),
                _ => ("产能 ".into(), format!("{} 万吨/年", self.int(2, 80))),
            }
        } else {
            match self.int(0, 1) {
                0 => (
                    "an annual capacity of ".into(),
                    format!("{} kt/a", self.int(50, 900)),
                ),
                _ => (
                    "an installed capacity of ".into(),
                    format!("{} MW", self.int(100, 2000)),
                ),
            }
        }
    }

    fn person_zh(&mut self) -> Person {
        let surname = if self.chance(0.05) {
            self.pick(COMPOUND_SURNAMES)
        } else {
            self.pick(SURNAMES)
        }
        .to_owned();
        let given_len = if self.chance(0.3) { 1 } else { 2 };
        let mut name = surname.clone();
        for _ in 0..given_len {
            name.push_str(self.pick(GIVEN));
        }
        Person { surname, name }
    }

    fn person_en(&mut self) -> String {
        if self.chance(0.3) {
            self.pick(PINYIN).to_owned()
        } else {
            format!("{} {}", self.pick(FIRST_NAMES), self.pick(LAST_NAMES))
        }
    }

    /// A Chinese organisation: (full name, a registered short name if any).
    fn org_zh(&mut self) -> (String, Option<String>) {
        let (_, city, _) = CITIES[self.rng.random_range(0..CITIES.len())];
        let brand = self.pick(BRANDS);
        let full = match self.int(0, 9) {
            0 => format!("{brand}（集团）有限公司"),
            1 => format!("{city}{brand}热电厂"),
            2 => format!("{city}{brand}设计研究院"),
            _ => format!(
                "{city}{brand}{}{}",
                self.pick(ORG_INDUSTRY),
                self.pick(ORG_SUFFIX)
            ),
        };
        let short = format!("{brand}{}", self.pick(&["钛业", "化工", "热电", "股份"]));
        if self.chance(0.5) {
            self.registry.push(full.clone());
        }
        let registered = self.chance(0.6);
        if registered {
            self.registry.push(short.clone());
        }
        (full, registered.then_some(short))
    }

    fn org_en(&mut self) -> String {
        let name = if self.chance(0.15) {
            format!(
                "{} & {} Engineering Ltd.",
                self.pick(LAST_NAMES),
                self.pick(LAST_NAMES)
            )
        } else {
            format!("{} {}", self.pick(EN_BRANDS), self.pick(EN_ORG_TAIL))
        };
        if self.chance(0.3) {
            self.registry.push(name.clone());
        }
        name
    }

    // ----- technical tokens and near misses ----------------------------------------------

    fn temperature(&mut self) -> String {
        let t = self.int(40, 160);
        match self.int(0, 3) {
            0 => format!("{t} °C"),
            1 => format!("{t}℃"),
            2 => format!("{}–{} ℃", t, t + self.int(5, 30)),
            _ => format!("{t} ℃"),
        }
    }

    fn concentration(&mut self) -> String {
        match self.int(0, 4) {
            0 => format!("{} mg/L", self.int(50, 30000)),
            1 => format!("{} g/L", self.int(20, 320)),
            2 => format!("{} wt%", self.int(1, 32)),
            3 => format!("{} ppm", self.int(5, 900)),
            _ => format!("3,{:03} mg/L", self.int(0, 999)),
        }
    }

    fn ph(&mut self) -> String {
        let v = format!("{}.{}", self.int(1, 11), self.int(0, 9));
        match self.int(0, 2) {
            0 => format!("pH {v}"),
            1 => format!("pH={v}"),
            _ => format!("pH 值 {v}"),
        }
    }

    fn pressure(&mut self) -> String {
        match self.int(0, 2) {
            0 => format!("{}.{} MPa", self.int(0, 4), self.int(1, 9)),
            1 => format!("{}.{} MPa(G)", self.int(0, 2), self.int(1, 9)),
            _ => format!("{} kPa", self.int(50, 900)),
        }
    }

    fn dimension(&mut self) -> String {
        match self.int(0, 2) {
            0 => format!(
                "Φ{}×{}.{} mm",
                self.pick(&["19", "25", "32", "38"]),
                self.int(0, 2),
                self.pick(&["5", "7", "0", "2"])
            ),
            1 => format!("DN{}", self.pick(&["50", "80", "150", "300", "600"])),
            _ => format!(
                "{} × {}.{} mm",
                self.pick(&["25", "19"]),
                self.int(0, 1),
                self.pick(&["2", "5", "7"])
            ),
        }
    }

    fn rate(&mut self) -> String {
        format!("0.{:03} mm/a", self.int(1, 900))
    }

    fn date(&mut self, chinese: bool) -> String {
        let (y, m, d) = (self.int(2012, 2024), self.int(1, 12), self.int(1, 28));
        if chinese {
            if self.chance(0.5) {
                format!("{y}年{m}月{d}日")
            } else {
                format!("{y}-{m:02}-{d:02}")
            }
        } else {
            let months = [
                "January", "March", "May", "June", "August", "October", "November",
            ];
            if self.chance(0.5) {
                format!("{d} {} {y}", self.pick(&months))
            } else {
                format!("{y}-{m:02}-{d:02}")
            }
        }
    }

    fn bad_uscc(&mut self) -> String {
        let good = self.uscc().replace(' ', "").to_uppercase();
        let last = good.as_bytes()[17];
        let replacement = if last == b'0' { '1' } else { '0' };
        format!("{}{replacement}", &good[..17])
    }

    fn bad_resident_id(&mut self) -> String {
        if self.chance(0.5) {
            let body = self.resident_id_body();
            let check = resident_id_check(&body).expect("17 digits");
            let wrong = if check == '0' { '1' } else { '0' };
            format!("{body}{wrong}")
        } else {
            // Right check digit, impossible date (30 February).
            let body = format!(
                "{}{}{}0230{}",
                self.province().prefix,
                self.digits(4),
                self.int(1960, 1999),
                self.digits(3)
            );
            format!("{body}{}", resident_id_check(&body).expect("17 digits"))
        }
    }

    fn bad_card(&mut self) -> String {
        let iin = self.pick(IINS);
        let card = luhn_complete(&format!("{iin}{}", self.digits(9)));
        let last = card.as_bytes()[15] - b'0';
        format!("{}{}", &card[..15], (last + 1) % 10)
    }

    fn serial(&mut self) -> String {
        format!("20{}{}", self.int(15, 24), self.digits(11))
    }

    // ----- distractors: ordinary report sentences that contain no identifier ------------

    /// Two or three sentences of the kind that trip detectors: tag and batch numbers,
    /// occupations and titles that are not followed by names, industry words with legal-form
    /// suffixes, numbers with units, clause numbers. Any redaction in them is a false positive.
    fn distractors_zh(&mut self, d: &mut Doc) {
        for _ in 0..self.int(2, 3) {
            match self.int(0, 15) {
                0 => {
                    d.t(&format!(
                        "换热器位号 E-{}{}，共 {} 根换热管，堵管 {} 根。",
                        self.int(101, 399),
                        self.pick(&["A", "B", ""]),
                        self.int(200, 1800),
                        self.int(2, 60)
                    ));
                }
                1 => {
                    d.t(&format!(
                        "炉批号 {}{}-{}，材质证明书编号 ZS{}{}。",
                        self.pick(&["A", "K", "T"]),
                        self.int(15, 24),
                        self.digits(4),
                        self.int(2015, 2024),
                        self.digits(3)
                    ));
                }
                2 => {
                    let (std, p) = (self.pick(STANDARDS), self.pressure());
                    d.t("施工单位按 ")
                        .tech(std)
                        .t(" 进行了水压试验，试验压力 ")
                        .tech(&p)
                        .t("。");
                }
                3 => {
                    d.t("本厂化工车间的总工程师办公室组织了分析会，项目经理对整改质量负责。");
                }
                4 => {
                    let (p, t) = (self.pressure(), self.temperature());
                    d.t("设计总压力 ")
                        .tech(&p)
                        .t("，设计温度 ")
                        .tech(&t)
                        .t("。");
                }
                5 => {
                    d.t("管程介质含 NaCl、少量 SO₄²⁻ 和 Fe³⁺，壳程为循环冷却水。");
                }
                6 => {
                    d.t("该公司设备部负责人员对垫片进行了更换，联系人员应佩戴防护用品。");
                }
                7 => {
                    let g = self.pick(GRADES);
                    d.t("经理层会议决定更换为 ").tech(g).t(" 管束。");
                }
                8 => {
                    d.t("同类装置在沿海电厂和内陆化工厂均有报道，多家氯碱厂也曾返厂维修。");
                }
                9 => {
                    d.t(&format!(
                        "运行 {} 万小时后抽检，单元 {} 的冷却器也出现类似问题。",
                        self.int(2, 9),
                        self.int(1, 6)
                    ));
                }
                10 => {
                    d.t(&format!(
                        "依据合同约定，质保期为 {} 个月，逾期由外协单位负责。",
                        self.int(12, 36)
                    ));
                }
                11 => {
                    let g = self.pick(GRADES);
                    d.t("高温高压工况下宜选用 ")
                        .tech(g)
                        .t("，施工期间应避免铁污染。");
                }
                12 => {
                    d.t("王水浸泡试验和金工车间的加工记录均未见异常，汇总如下。");
                }
                13 => {
                    let r = format!("{}.{}", self.int(1, 4), self.int(0, 9));
                    d.t("电化学测试中开路电位为 ")
                        .tech(&format!("-{r}"))
                        .t(" V，极化电阻较 2019 版数据下降。");
                }
                14 => {
                    d.t("二元合金试样和元件表面的腐蚀产物经能谱分析以 TiO2 为主。");
                }
                _ => {
                    let c = self.concentration();
                    d.t("停车后管内残液氯离子 ").tech(&c).t("，总体呈酸性。");
                }
            }
        }
        d.t("\n");
    }

    fn distractors_en(&mut self, d: &mut Doc) {
        for _ in 0..self.int(2, 3) {
            match self.int(0, 10) {
                0 => {
                    d.t(&format!(
                        "Heat exchanger E-{}A has {} tubes; {} were plugged. ",
                        self.int(101, 399),
                        self.int(200, 1800),
                        self.int(2, 60)
                    ));
                }
                1 => {
                    d.t("The Operations Manager approved the shutdown and the plant engineer agreed. ");
                }
                2 => {
                    d.t(&format!(
                        "Plant No. {} and Line {} use the same design. ",
                        self.int(1, 4),
                        self.int(1, 8)
                    ));
                }
                3 => {
                    d.t(&format!(
                        "Heat No. {}H{} per the mill certificate. ",
                        self.int(1, 9),
                        self.digits(4)
                    ));
                }
                4 => {
                    let (p, t) = (self.pressure(), self.temperature());
                    d.t("Design pressure ").tech(&p).t(" at ").tech(&t).t(". ");
                }
                5 => {
                    d.t("Deposits contained NaCl, Fe3+ and some SO4 2-; no fluoride was found. ");
                }
                6 => {
                    d.t("See section ")
                        .near(&format!(
                            "{}.{}.{}.{}",
                            self.int(1, 9),
                            self.int(1, 9),
                            self.int(1, 9),
                            self.int(1, 9)
                        ))
                        .t(" of the procedure. ");
                }
                7 => {
                    d.t("The Engineering Department of the owner reviewed the findings with the Group. ");
                }
                8 => {
                    let g = self.pick(GRADES);
                    d.t("Mr. Chairman, the committee recommends ")
                        .tech(g)
                        .t(" for the retubing. ");
                }
                9 => {
                    d.t(&format!(
                        "After {} thousand hours the gasket seats were re-machined. ",
                        self.int(10, 60)
                    ));
                }
                _ => {
                    d.t("Costs were shared under the maintenance contract; the supplier paid for the tubes. ");
                }
            }
        }
        d.t("\n");
    }

    // ----- sections ----------------------------------------------------------------------

    fn chinese_report(&mut self) -> LabelledDoc {
        let mut d = Doc::new();
        let people: Vec<Person> = (0..3).map(|_| self.person_zh()).collect();
        let (org, short) = self.org_zh();
        let equipment = self.pick(EQUIPMENT_ZH);

        d.t(equipment).t("失效分析报告\n");
        // Client.
        match self.int(0, 2) {
            0 => {
                d.t("委托单位：")
                    .id(DetectorKind::OrgName, &org)
                    .t("（统一社会信用代码：");
                let u = self.uscc();
                d.id(DetectorKind::Uscc, &u).t("）\n");
            }
            1 => {
                d.t("用户为")
                    .id(DetectorKind::OrgName, &org)
                    .t("，信用代码 ");
                let u = self.uscc();
                d.id(DetectorKind::Uscc, &u).t("。\n");
            }
            _ => {
                d.t("本次失效设备由")
                    .id(DetectorKind::OrgName, &org)
                    .t("（");
                let u = self.uscc();
                d.id(DetectorKind::Uscc, &u).t("）送检。\n");
            }
        }
        // Address.
        match self.int(0, 3) {
            0 => {
                let a = self.address_zh();
                if self.chance(0.04) {
                    // A road without a house number: not expected to be found.
                    let road = format!("{}{}", self.pick(ROADS), self.pick(ROAD_SUFFIX));
                    d.t("厂区在").id(DetectorKind::Address, &road).t("东侧。\n");
                } else {
                    d.t("地址：").id(DetectorKind::Address, &a).t("\n");
                }
            }
            1 => {
                let a = self.address_zh();
                d.t("公司位于").id(DetectorKind::Address, &a).t("，");
                d.t("距海岸约 ")
                    .tech(&format!("{} km", self.int(2, 40)))
                    .t("。\n");
            }
            2 => {
                let a = self.address_zh();
                d.t("样品寄至").id(DetectorKind::Address, &a).t("。\n");
            }
            _ => {
                let (prefix, city, district) = CITIES[self.rng.random_range(0..CITIES.len())];
                let p = regions::by_code(prefix).expect("provincial prefix");
                d.t("该企业位于")
                    .id(
                        DetectorKind::Address,
                        &format!("{}{city}市{district}区", p.name_zh),
                    )
                    .t("，属沿海氯碱企业。\n");
            }
        }
        // Contacts.
        let p0 = &people[0];
        match self.int(0, 2) {
            0 => {
                d.t(self.pick(ROLES))
                    .id(DetectorKind::PersonName, &p0.name)
                    .t("，手机：");
            }
            1 => {
                d.t("现场联系").id(DetectorKind::PersonName, &p0.name);
                let title = self.pick(TITLES_AFTER_NAME);
                d.t(title).t("，电话 ");
            }
            _ => {
                let title = self.pick(TITLES_AFTER_SURNAME);
                d.t("请联系")
                    .id(DetectorKind::PersonName, &format!("{}{title}", p0.surname))
                    .t("，手机 ");
            }
        }
        let m = self.mobile();
        d.id(DetectorKind::Mobile, &m);
        if self.chance(0.7) {
            let l = self.landline();
            d.t("，座机 ").id(DetectorKind::Landline, &l);
        }
        if self.chance(0.7) {
            let e = self.email();
            d.t("，邮箱：").id(DetectorKind::Email, &e);
        }
        d.t("。\n");
        // Equipment and conditions.
        let grade = self.pick(GRADES);
        let std = self.pick(STANDARDS);
        d.t("设备为")
            .t(equipment)
            .t("，换热管材质 ")
            .tech(grade)
            .t("（执行 ")
            .tech(std)
            .t("），规格 ");
        let dim = self.dimension();
        d.tech(&dim).t("，");
        let installed = self.date(true);
        d.tech(&installed)
            .t("投用。介质为")
            .t(self.pick(MEDIA_ZH))
            .t("，操作温度 ");
        let (t, c, ph, pr) = (
            self.temperature(),
            self.concentration(),
            self.ph(),
            self.pressure(),
        );
        d.tech(&t)
            .t("，Cl⁻ 含量 ")
            .tech(&c)
            .t("，")
            .tech(&ph)
            .t("，操作压力 ")
            .tech(&pr)
            .t("。\n");
        // Failure.
        let found_on = self.date(true);
        d.tech(&found_on)
            .t("巡检时发现")
            .t(self.pick(FAILURES_ZH))
            .t("，累计运行约 ");
        d.tech(&format!("{} 个月", self.int(3, 96))).t("。");
        let p1 = &people[1];
        match self.int(0, 2) {
            0 => {
                let title = self.pick(TITLES_AFTER_NAME);
                d.id(DetectorKind::PersonName, &p1.name)
                    .t(title)
                    .t("现场取样，随后由");
                d.id(DetectorKind::PersonName, &p1.name).t("送检。");
            }
            1 => {
                d.t("取样人：")
                    .id(DetectorKind::PersonName, &p1.name)
                    .t("。");
            }
            _ => {
                let title = self.pick(TITLES_AFTER_SURNAME);
                d.t("由")
                    .id(DetectorKind::PersonName, &format!("{}{title}", p1.surname))
                    .t("负责拆检。");
            }
        }
        if self.chance(0.06) {
            // A name with no title or role anywhere: the detectors are not expected to find it.
            d.t("值班员")
                .id(DetectorKind::PersonName, &people[2].name)
                .t("记录了停车过程。");
        } else if self.chance(0.03) {
            // A role label the detector does not list: not expected to be found either.
            let other = self.person_zh();
            d.t("经手人：")
                .id(DetectorKind::PersonName, &other.name)
                .t("。");
        }
        d.t("测得腐蚀速率 ").tech(&self.rate()).t("。\n");
        self.distractors_zh(&mut d);
        if self.chance(0.4) {
            let sentences = reference_sentences();
            let s = sentences[self.rng.random_range(0..sentences.len())];
            d.t("参考资料摘录：").tech(s).t("\n");
        }
        // Cause and standards.
        d.t("分析认为").t(self.pick(CAUSES_ZH)).t("。检测依据 ");
        let (s1, s2) = (self.pick(STANDARDS), self.pick(STANDARDS));
        d.tech(s1).t(" 和 ").tech(s2).t("，见第 ");
        d.near(&format!(
            "{}.{}.{}.{}",
            self.int(3, 9),
            self.int(1, 9),
            self.int(1, 9),
            self.int(1, 9)
        ))
        .t(" 条。");
        if let Some(short) = &short
            && self.chance(0.5)
        {
            d.t("此前")
                .id(DetectorKind::OrgName, short)
                .t("已更换过管束。");
        } else if self.chance(0.04) {
            // An unregistered short name without a legal form: not expected to be found.
            let brand = self.pick(BRANDS);
            d.t("管材由")
                .id(DetectorKind::OrgName, &format!("{brand}钛材"))
                .t("供货。");
        }
        d.t("\n");
        // Near misses.
        match self.int(0, 4) {
            0 => {
                let v = self.bad_uscc();
                d.t("原证照代码 ").near(&v).t("（已作废）。");
            }
            1 => {
                let v = self.bad_resident_id();
                d.t("登记号 ").near(&v).t("。");
            }
            2 => {
                let v = self.bad_card();
                d.t("旧账号 ").near(&v).t("（已注销）。");
            }
            3 => {
                let v = self.serial();
                d.t("出厂编号 ").near(&v).t("。");
            }
            _ => {
                d.t("腐蚀速率对比 ")
                    .tech("0.127")
                    .t(", ")
                    .tech("0.254 mm/a")
                    .t("。");
            }
        }
        d.t("\n");
        // Money, contract, bank.
        if self.chance(0.8) {
            let money = self.money(true);
            d.t("维修费用约 ").id(DetectorKind::Money, &money).t("，");
            let (label, number) = self.contract();
            d.t(&label).id(DetectorKind::ContractNo, &number).t("，");
            let card = self.bank_card();
            let label = self.pick(&[
                "付款账号：",
                "开户行：中国工商银行某支行，账号 ",
                "退款至 ",
                "银行卡号 ",
            ]);
            d.t(label).id(DetectorKind::BankCard, &card).t("。\n");
        }
        // Logistics and identity.
        if self.chance(0.7) {
            let plate = self.plate();
            d.t("送样车辆 ")
                .id(DetectorKind::VehiclePlate, &plate)
                .t("，司机");
            let driver = &people[2];
            d.id(DetectorKind::PersonName, &format!("{}师傅", driver.surname))
                .t("（身份证号 ");
            let id = self.resident_id();
            d.id(DetectorKind::ResidentId, &id).t("）。\n");
        } else {
            let id = self.resident_id();
            d.t("检验员证件号 ")
                .id(DetectorKind::ResidentId, &id)
                .t("。\n");
        }
        // Site, systems.
        if self.chance(0.75) {
            let gps = self.gps(true);
            d.t("现场坐标 ")
                .id(DetectorKind::Gps, &gps)
                .t("；监控系统 IP ");
            let ip = self.ipv4();
            d.id(DetectorKind::Ipv4, &ip);
            if self.chance(0.5) {
                let ip6 = self.ipv6();
                d.t("，备用地址 ").id(DetectorKind::Ipv6, &ip6);
            }
            let url = self.url();
            d.t("；资料见 ").id(DetectorKind::Url, &url).t("。\n");
        }
        if self.chance(0.5) {
            let (label, value) = self.capacity(true);
            d.t("该企业")
                .t(&label)
                .id(DetectorKind::Capacity, &value)
                .t("。\n");
        }
        // Sign-off.
        let (a, b) = (&people[0], &people[1]);
        d.t("报告编制：")
            .id(DetectorKind::PersonName, &b.name)
            .t("    审核：");
        d.id(DetectorKind::PersonName, &a.name).t("\n");
        if self.chance(0.3) {
            // An English note inside a Chinese report.
            let en = self.org_en();
            d.t("Note: tubes to ")
                .tech("ASTM B338")
                .t(" ")
                .tech("Grade 2")
                .t(", supplied by ");
            d.id(DetectorKind::OrgName, &en).t(".\n");
        }
        d.done()
    }

    fn english_report(&mut self) -> LabelledDoc {
        let mut d = Doc::new();
        let person = self.person_en();
        let second = self.person_en();
        let equipment = self.pick(EQUIPMENT_EN);
        d.t("Failure analysis of a titanium ").t(equipment).t("\n");
        // Client.
        if self.chance(0.6) {
            let org = self.org_en();
            d.t("Client: ")
                .id(DetectorKind::OrgName, &org)
                .t(" (credit code ");
            let u = self.uscc();
            d.id(DetectorKind::Uscc, &u).t(").\n");
        } else {
            let (org, _) = self.org_zh();
            d.t("Owner: ").id(DetectorKind::OrgName, &org).t(", USCC ");
            let u = self.uscc();
            d.id(DetectorKind::Uscc, &u).t(".\n");
        }
        let a = self.address_en();
        d.t("Site address: ").id(DetectorKind::Address, &a).t(".\n");
        // Contacts.
        match self.int(0, 3) {
            0 => {
                d.t("Contact Mr ").id(DetectorKind::PersonName, &person);
            }
            1 => {
                d.t("Contact: ").id(DetectorKind::PersonName, &person);
            }
            2 => {
                d.t("The plant engineer ")
                    .id(DetectorKind::PersonName, &person);
            }
            _ => {
                d.t("Ms ").id(DetectorKind::PersonName, &person);
            }
        }
        let m = self.mobile();
        d.t(", mobile ").id(DetectorKind::Mobile, &m);
        if self.chance(0.6) {
            let l = self.landline();
            d.t(", tel. ").id(DetectorKind::Landline, &l);
        }
        let e = self.email();
        d.t(", e-mail ").id(DetectorKind::Email, &e).t(".\n");
        // Equipment and conditions.
        let grade = self.pick(&["Grade 2", "Gr2", "Grade 7", "Gr12", "Grade 16", "TA2"]);
        let std = self.pick(STANDARDS);
        d.t("Tubes: ").tech(grade).t(" to ").tech(std).t(", ");
        let dim = self.dimension();
        d.tech(&dim)
            .t(". Medium: ")
            .t(self.pick(MEDIA_EN))
            .t(" at ");
        let (t, c, ph, pr) = (
            self.temperature(),
            self.concentration(),
            self.ph(),
            self.pressure(),
        );
        d.tech(&t)
            .t(", chloride ")
            .tech(&c)
            .t(", ")
            .tech(&ph)
            .t(", ")
            .tech(&pr)
            .t(".\n");
        let found_on = self.date(false);
        d.t("On ")
            .tech(&found_on)
            .t(" operators found ")
            .t(self.pick(FAILURES_EN))
            .t(" after ");
        d.tech(&format!("{} months", self.int(3, 96)))
            .t(" in service. ");
        match self.int(0, 2) {
            0 => {
                d.t("Dr ")
                    .id(DetectorKind::PersonName, &second)
                    .t(" examined the samples; ");
                d.id(DetectorKind::PersonName, &second)
                    .t(" also measured ")
                    .tech(&self.rate())
                    .t(".\n");
            }
            1 => {
                d.t("Samples were inspected by engineer ")
                    .id(DetectorKind::PersonName, &second);
                d.t(" (corrosion rate ").tech(&self.rate()).t(").\n");
            }
            _ => {
                d.t("Prepared by: ")
                    .id(DetectorKind::PersonName, &second)
                    .t(". Rate ");
                d.tech(&self.rate()).t(".\n");
            }
        }
        self.distractors_en(&mut d);
        let sentences = reference_sentences();
        for _ in 0..self.int(1, 2) {
            let s = sentences[self.rng.random_range(0..sentences.len())];
            d.t("Background: ").tech(s).t("\n");
        }
        d.t("Cause: ").t(self.pick(CAUSES_EN)).t(". Assessed per ");
        let (s1, s2) = (self.pick(STANDARDS), self.pick(STANDARDS));
        d.tech(s1).t(" and ").tech(s2).t(", clause ");
        d.near(&format!(
            "{}.{}.{}.{}",
            self.int(3, 9),
            self.int(1, 9),
            self.int(1, 9),
            self.int(1, 9)
        ))
        .t(".\n");
        match self.int(0, 3) {
            0 => {
                let v = self.serial();
                d.t("Serial No. ").near(&v).t(". ");
            }
            1 => {
                let v = self.bad_card();
                d.t("Old account ").near(&v).t(" (closed). ");
            }
            2 => {
                let v = self.bad_uscc();
                d.t("Former licence ").near(&v).t(". ");
            }
            _ => {
                d.t("Firmware ")
                    .near(&format!(
                        "V{}.{}.{}.{}",
                        self.int(1, 4),
                        self.int(0, 9),
                        self.int(0, 9),
                        self.int(0, 9)
                    ))
                    .t(". ");
            }
        }
        // Commercial.
        let money = self.money(false);
        d.t("Repair cost ").id(DetectorKind::Money, &money).t("; ");
        let (label, number) = self.contract();
        d.t(&label)
            .id(DetectorKind::ContractNo, &number)
            .t("; payment to bank account ");
        let card = self.bank_card();
        d.id(DetectorKind::BankCard, &card).t(".\n");
        if self.chance(0.6) {
            let plate = self.plate();
            d.t("Samples shipped by truck ")
                .id(DetectorKind::VehiclePlate, &plate)
                .t("; driver ID No. ");
            let id = self.resident_id();
            d.id(DetectorKind::ResidentId, &id).t(".\n");
        } else {
            let id = self.resident_id();
            d.t("Inspector identity number: ")
                .id(DetectorKind::ResidentId, &id)
                .t(".\n");
        }
        let gps = self.gps(false);
        d.t("Site location ")
            .id(DetectorKind::Gps, &gps)
            .t("; SCADA at ");
        let ip = self.ipv4();
        d.id(DetectorKind::Ipv4, &ip);
        if self.chance(0.5) {
            let ip6 = self.ipv6();
            d.t(" and ").id(DetectorKind::Ipv6, &ip6);
        }
        let url = self.url();
        d.t("; documents at ").id(DetectorKind::Url, &url).t(" .\n");
        if self.chance(0.5) {
            let (label, value) = self.capacity(false);
            d.t("The plant has ")
                .t(&label)
                .id(DetectorKind::Capacity, &value)
                .t(".\n");
        }
        d.done()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_corpus() {
        assert_eq!(generate(12, 7), generate(12, 7));
        assert_ne!(generate(12, 7).docs[0].text, generate(12, 8).docs[0].text);
    }

    #[test]
    fn spans_are_on_character_boundaries_and_do_not_overlap() {
        for doc in generate(40, 1).docs {
            let mut spans: Vec<Range<usize>> = doc
                .identifiers
                .iter()
                .map(|p| p.start..p.end)
                .chain(doc.technical.iter().cloned())
                .chain(doc.near_misses.iter().cloned())
                .collect();
            spans.sort_by_key(|r| r.start);
            for w in spans.windows(2) {
                assert!(w[0].end <= w[1].start, "{:?} {:?}", w[0], w[1]);
            }
            for r in spans {
                assert!(doc.text.is_char_boundary(r.start) && doc.text.is_char_boundary(r.end));
                assert!(r.start < r.end);
            }
        }
    }
}
