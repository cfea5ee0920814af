//! The index as the platform uses it: bilingual queries, concepts, facets that count only
//! what a caller may see, misspellings, the change-feed position.

use ticorr_search::{Access, Change, Doc, Only, Request, Scope, SearchIndex, Vocabulary};

fn vocabulary() -> Vocabulary {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../refdata/search_vocabulary.toml"
    ))
    .unwrap();
    Vocabulary::parse(&text).unwrap()
}

fn doc(id: &str, title: &str, body: &str, concepts: &[&str], level: &str, owner: &str) -> Doc {
    Doc {
        doc_type: "equipment".into(),
        id: id.into(),
        title: title.into(),
        body: body.into(),
        keywords: vec![],
        concepts: concepts.iter().map(|c| c.to_string()).collect(),
        level: level.into(),
        owner: Some(owner.into()),
        parks: if level == "park" {
            vec!["park-1".into()]
        } else {
            vec![]
        },
        facets: vec![
            (
                "grade".into(),
                if id.ends_with('7') { "Gr7" } else { "Gr2" }.into(),
            ),
            ("level".into(), level.into()),
        ],
        url: format!("/equipment/{id}"),
        boost: 1.0,
    }
}

fn corpus() -> Vec<Doc> {
    vec![
        doc(
            "e1",
            "E-101 盐水预热器",
            "管壳式换热器，介质：淡盐水 85 °C",
            &[
                "equipment_type.shell_and_tube_heat_exchanger",
                "material.titanium",
                "grade.gr2",
                "equipment.crevice_present",
            ],
            "industry",
            "org-a",
        ),
        doc(
            "e2",
            "E-102 Chlorine cooler",
            "Plate heat exchanger in wet chlorine service",
            &[
                "equipment_type.plate_heat_exchanger",
                "material.titanium",
                "grade.gr2",
                "equipment.deposits_present",
            ],
            "private",
            "org-a",
        ),
        doc(
            "e3",
            "H-201 电加热器",
            "镀液加热",
            &[
                "equipment_type.electric_heater",
                "material.titanium",
                "grade.gr2",
            ],
            "park",
            "org-b",
        ),
        doc(
            "e7",
            "E-301 Seawater condenser",
            "Condenser tubes, seawater cooled",
            &[
                "equipment_type.condenser",
                "material.titanium",
                "grade.gr7",
                "equipment.crevice_present",
            ],
            "private",
            "org-c",
        ),
    ]
}

fn index() -> SearchIndex {
    let index = SearchIndex::in_memory(vocabulary()).unwrap();
    let docs = corpus();
    index
        .rebuild(0, docs.into_iter().map(Ok::<_, String>))
        .unwrap();
    index
}

fn everything() -> Access {
    let mut any_of = Vec::new();
    for level in ["public", "private", "park", "industry", "macro"] {
        any_of.push(Scope {
            doc_type: "equipment".into(),
            level: level.into(),
            only: Only::All,
        });
    }
    Access { any_of }
}

fn ids(index: &SearchIndex, q: &str, access: &Access) -> Vec<String> {
    let mut ids: Vec<String> = index
        .search(
            &Request {
                text: q.into(),
                limit: 50,
                ..Request::default()
            },
            access,
        )
        .unwrap()
        .hits
        .into_iter()
        .map(|h| h.id)
        .collect();
    ids.sort();
    ids
}

#[test]
fn a_chinese_query_and_its_english_counterpart_find_the_same_records() {
    let index = index();
    let all = everything();
    let zh = ids(&index, "钛换热器 缝隙腐蚀", &all);
    let en = ids(&index, "titanium heat exchanger crevice corrosion", &all);
    assert_eq!(zh, ["e1", "e2"]);
    assert_eq!(zh, en);
    assert_eq!(ids(&index, "TA2", &all), ids(&index, "Grade 2", &all));
    assert_eq!(ids(&index, "Gr2", &all), ["e1", "e2", "e3"]);
}

#[test]
fn english_words_are_stemmed_and_tolerate_a_typo() {
    let index = index();
    let all = everything();
    assert_eq!(ids(&index, "condensers", &all), ["e7"]);
    assert_eq!(ids(&index, "seawatr", &all), ["e7"]);
    assert!(ids(&index, "xylophone", &all).is_empty());
}

#[test]
fn totals_and_facets_count_only_what_the_caller_may_see() {
    let index = index();
    // An enterprise of org-a settled in park-1: its own records, the park's, the industry's.
    let access = Access {
        any_of: vec![
            Scope {
                doc_type: "equipment".into(),
                level: "private".into(),
                only: Only::Owner("org-a".into()),
            },
            Scope {
                doc_type: "equipment".into(),
                level: "park".into(),
                only: Only::Parks(vec!["park-1".into()]),
            },
            Scope {
                doc_type: "equipment".into(),
                level: "industry".into(),
                only: Only::All,
            },
        ],
    };
    let r = index
        .search(
            &Request {
                text: "钛".into(),
                facets: vec!["grade".into(), "level".into()],
                limit: 2,
                ..Request::default()
            },
            &access,
        )
        .unwrap();
    assert_eq!(r.total, 3, "e7 belongs to another organisation");
    assert_eq!(r.hits.len(), 2);
    let grade_total: u64 = r.facets["grade"].iter().map(|(_, n)| n).sum();
    assert_eq!(grade_total, 3);
    assert!(r.facets["grade"].iter().all(|(v, _)| v != "Gr7"));
    // Nobody sees anything without a scope.
    let none = index
        .search(
            &Request {
                text: "钛".into(),
                limit: 5,
                ..Request::default()
            },
            &Access::default(),
        )
        .unwrap();
    assert_eq!(none.total, 0);
}

#[test]
fn facet_filters_narrow_and_snippets_mark_the_words() {
    let index = index();
    let r = index
        .search(
            &Request {
                text: "seawater".into(),
                filters: vec![("grade".into(), "Gr7".into())],
                limit: 5,
                ..Request::default()
            },
            &everything(),
        )
        .unwrap();
    assert_eq!(r.total, 1);
    assert!(
        r.hits[0].snippet.contains("<mark>seawater</mark>"),
        "{}",
        r.hits[0].snippet
    );
    let r = index
        .search(
            &Request {
                text: "seawater".into(),
                filters: vec![("grade".into(), "Gr2".into())],
                limit: 5,
                ..Request::default()
            },
            &everything(),
        )
        .unwrap();
    assert_eq!(r.total, 0);
}

#[test]
fn changes_replace_and_remove_documents_and_record_the_position() {
    let index = index();
    let all = everything();
    assert_eq!(index.position().unwrap(), Some(0));
    let mut e3 = corpus().remove(2);
    e3.title = "H-201 Immersion heater".into();
    index
        .apply(
            &[
                Change::Upsert(Box::new(e3)),
                Change::Delete {
                    doc_type: "equipment".into(),
                    id: "e7".into(),
                },
            ],
            42,
        )
        .unwrap();
    assert_eq!(index.position().unwrap(), Some(42));
    assert_eq!(index.num_docs(), 3);
    assert_eq!(ids(&index, "immersion", &all), ["e3"]);
    assert!(ids(&index, "condenser", &all).is_empty());
}

#[test]
fn an_index_on_disk_is_reopened_with_its_position_and_refuses_a_second_writer() {
    let dir = tempfile::tempdir().unwrap();
    {
        let index = SearchIndex::open(dir.path(), vocabulary()).unwrap();
        assert_eq!(index.position().unwrap(), None);
        index
            .rebuild(7, corpus().into_iter().map(Ok::<_, String>))
            .unwrap();
        let second = SearchIndex::open(dir.path(), vocabulary());
        assert!(
            matches!(second, Err(ticorr_search::SearchError::Busy)),
            "{second:?}"
        );
    }
    let index = SearchIndex::open(dir.path(), vocabulary()).unwrap();
    assert_eq!(index.position().unwrap(), Some(7));
    assert_eq!(index.num_docs(), 4);
}

#[test]
fn a_failed_rebuild_leaves_the_index_as_it_was() {
    let index = index();
    let docs = vec![Ok(corpus().remove(0)), Err("database went away".to_owned())];
    let err = index.rebuild(9, docs.into_iter()).unwrap_err();
    assert!(err.to_string().contains("database went away"));
    assert_eq!(index.num_docs(), 4);
    assert_eq!(index.position().unwrap(), Some(0));
}
