//! Search as a platform service: one index for every module's records.
//!
//! A module makes a record type searchable by implementing [`Source`] and calls [`changed`]
//! in the same transaction as every change to such a record. The rows it writes form the
//! change feed (`search_outbox`); [`Search::catch_up`] applies the feed to this node's
//! index in order and stores the last position applied inside the index commit, so a change
//! committed before a crash is indexed after the restart, and an index deleted on disk is
//! rebuilt from the database ([`Search::rebuild`], `ticorr reindex`).
//!
//! Access is decided at query time by the policies: [`Search::access`] asks them, for the
//! caller and each document type and level, whether records the caller owns, records shared
//! with the caller's parks, and anybody's records may be read, and the index applies the
//! answer inside the query — so totals and facet counts only count what the caller may see.
//! The hits of the page are then passed through the gate like any other list, which audits
//! the reads the policies say are audited.

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, LazyLock};

use sqlx::{AnyConnection, Row};
use ticorr_db::{Db, Engine};
use ticorr_kernel::{Level, OrgId, OrgKind, Timestamp};
pub use ticorr_search::{
    Access, Change, Doc, Hit, Only, Recognised, Request, Response, Scope, SearchError, SearchIndex,
    Vocabulary,
};
use uuid::Uuid;

use crate::gate::{Caller, Denied, Gate};
use crate::policy::{Action, Principal, RecordRef, Resource};

const VOCABULARY: &str = include_str!("../../../refdata/search_vocabulary.toml");

/// How many feed rows, or documents of a rebuild, are handled per round trip.
const BATCH: usize = 1000;

/// A boxed future, for the methods of [`Source`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A record type a module makes searchable.
pub trait Source: Send + Sync + 'static {
    /// The document type; also the record kind the policies decide on.
    fn doc_type(&self) -> &'static str;
    /// The facet dimensions its documents carry.
    fn facets(&self) -> &'static [&'static str];
    /// The documents of `ids`; an id without a record is simply absent.
    fn load<'a>(
        &'a self,
        db: &'a Db,
        ids: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<Doc>, sqlx::Error>>;
    /// Up to `limit` documents in id order, after `after`.
    fn page<'a>(
        &'a self,
        db: &'a Db,
        after: Option<String>,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<Doc>, sqlx::Error>>;
    /// How many documents `page` would yield in all (the total of a rebuild's progress).
    fn count<'a>(&'a self, db: &'a Db) -> BoxFuture<'a, Result<u64, sqlx::Error>>;
}

/// Where a rebuild of this node's index stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RebuildStatus {
    Running,
    Done,
    Failed,
}

/// A rebuild started by the operator, as its status resource reports it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Rebuild {
    pub id: String,
    pub status: RebuildStatus,
    pub progress: RebuildProgress,
    /// Why it failed; the index then still holds what it held before.
    pub error: Option<String>,
    /// Who started it.
    pub started_by: String,
    pub started_at: Timestamp,
    pub finished_at: Option<Timestamp>,
}

#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct RebuildProgress {
    /// Documents read from the database so far.
    pub done: u64,
    /// Documents the registered types held when the rebuild began.
    pub total: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum RebuildError {
    #[error("a rebuild of the search index is already running")]
    Running(Box<Rebuild>),
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error(transparent)]
    Storage(#[from] sqlx::Error),
}

#[derive(Debug, thiserror::Error)]
pub enum SearchServiceError {
    #[error(transparent)]
    Index(#[from] SearchError),
    #[error("refdata/search_vocabulary.toml: {0}")]
    Vocabulary(String),
    #[error(transparent)]
    Storage(#[from] sqlx::Error),
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error("the search index task failed: {0}")]
    Task(String),
}

static SHIPPED: LazyLock<Result<Vocabulary, String>> =
    LazyLock::new(|| Vocabulary::parse(VOCABULARY).map_err(|e| e.to_string()));

/// The vocabulary shipped with the binary (`refdata/search_vocabulary.toml`).
pub fn vocabulary() -> Result<&'static Vocabulary, SearchServiceError> {
    SHIPPED
        .as_ref()
        .map_err(|e| SearchServiceError::Vocabulary(e.clone()))
}

/// Records, in the caller's transaction, that a searchable record was created, changed or
/// deleted.
pub async fn changed(
    conn: &mut AnyConnection,
    doc_type: &str,
    id: &str,
    now: Timestamp,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO search_outbox (doc_type, doc_id, created_at) VALUES ($1, $2, $3)")
        .bind(doc_type)
        .bind(id)
        .bind(now.to_rfc3339())
        .execute(conn)
        .await?;
    Ok(())
}

/// The job that deletes old rows of the change feed.
pub const PRUNE_FEED_JOB: &str = "search.prune-feed";

/// Deletes the change feed's rows written before `before` and raises the pruned mark to
/// the highest number deleted, in one transaction; a node whose index is behind the mark
/// rebuilds it ([`Search::catch_up`]). Every node catches up within seconds while it runs,
/// so only a node down for longer than the retention pays that. Returns the rows deleted.
pub async fn prune_feed(db: &Db, before: Timestamp) -> Result<u64, sqlx::Error> {
    let mut tx = db.pool().begin().await?;
    let upto: i64 = sqlx::query(
        "SELECT CAST(COALESCE(MAX(seq), 0) AS BIGINT) AS m FROM search_outbox WHERE created_at < $1",
    )
    .bind(before.to_rfc3339())
    .fetch_one(&mut *tx)
    .await?
    .try_get("m")?;
    if upto == 0 {
        return Ok(0);
    }
    let deleted = sqlx::query("DELETE FROM search_outbox WHERE seq <= $1")
        .bind(upto)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    sqlx::query("UPDATE search_outbox_pruned SET upto = $1 WHERE id = 1 AND upto < $1")
        .bind(upto)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    tracing::info!(deleted, upto, "search change feed pruned");
    Ok(deleted)
}

/// This node's index and the sources that fill it. Cheap to clone.
#[derive(Clone)]
pub struct Search {
    inner: Arc<Inner>,
}

struct Inner {
    index: Arc<SearchIndex>,
    sources: Vec<Arc<dyn Source>>,
    /// One catch-up or rebuild at a time on this node.
    writing: tokio::sync::Mutex<()>,
    /// The last rebuild started through [`Search::start_rebuild`].
    last_rebuild: std::sync::Mutex<Option<Rebuild>>,
}

impl std::fmt::Debug for Search {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Search")
            .field("index", &self.inner.index)
            .field("types", &self.types())
            .finish()
    }
}

impl Search {
    /// Opens the index in `dir` (creating an empty one).
    pub fn open(dir: &Path, sources: Vec<Arc<dyn Source>>) -> Result<Search, SearchServiceError> {
        let index = SearchIndex::open(dir, vocabulary()?.clone())?;
        Ok(Self::with_index(index, sources))
    }

    /// An index in memory.
    pub fn in_memory(sources: Vec<Arc<dyn Source>>) -> Result<Search, SearchServiceError> {
        let index = SearchIndex::in_memory(vocabulary()?.clone())?;
        Ok(Self::with_index(index, sources))
    }

    fn with_index(index: SearchIndex, sources: Vec<Arc<dyn Source>>) -> Search {
        Search {
            inner: Arc::new(Inner {
                index: Arc::new(index),
                sources,
                writing: tokio::sync::Mutex::new(()),
                last_rebuild: std::sync::Mutex::new(None),
            }),
        }
    }

    pub fn vocabulary(&self) -> &Vocabulary {
        self.inner.index.vocabulary()
    }

    /// The registered document types.
    pub fn types(&self) -> Vec<&'static str> {
        self.inner.sources.iter().map(|s| s.doc_type()).collect()
    }

    /// The facet dimensions of the given types (of all when empty), each once.
    pub fn facets(&self, types: &[String]) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for s in &self.inner.sources {
            if types.is_empty() || types.iter().any(|t| t == s.doc_type()) {
                for f in s.facets() {
                    if !out.iter().any(|o| o == f) {
                        out.push((*f).to_owned());
                    }
                }
            }
        }
        out
    }

    pub fn num_docs(&self) -> u64 {
        self.inner.index.num_docs()
    }

    /// The change-feed position the index reflects (`None`: never filled).
    pub fn position(&self) -> Result<Option<i64>, SearchServiceError> {
        Ok(self.inner.index.position()?)
    }

    /// Applies the change feed up to what is committed; rebuilds an index never filled.
    /// Returns the number of feed rows applied.
    pub async fn catch_up(&self, db: &Db) -> Result<usize, SearchServiceError> {
        let _writing = self.inner.writing.lock().await;
        let Some(mut position) = self.inner.index.position()? else {
            drop(_writing);
            self.rebuild(db, |_| {}).await?;
            return Ok(0);
        };
        let (latest, pruned) = latest(db).await?;
        if position < pruned {
            // The rows this index still needed were pruned: only a rebuild brings it back.
            tracing::warn!(
                position,
                pruned,
                "the search index is behind the pruned change feed; rebuilding it"
            );
            drop(_writing);
            self.rebuild(db, |_| {}).await?;
            return Ok(0);
        }
        if latest <= position {
            return Ok(0);
        }
        let horizon = committed_horizon(db).await?;
        let mut applied = 0;
        while position < horizon {
            let rows = sqlx::query(
                "SELECT seq, doc_type, doc_id FROM search_outbox \
                 WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3",
            )
            .bind(position)
            .bind(horizon)
            .bind(BATCH as i64)
            .fetch_all(db.pool())
            .await?;
            let Some(last) = rows.last() else {
                // Only rolled-back numbers remain below the horizon.
                position = horizon;
                self.apply(Vec::new(), position).await?;
                break;
            };
            let last: i64 = last.try_get("seq")?;
            let mut wanted: Vec<(String, String)> = Vec::with_capacity(rows.len());
            for row in &rows {
                let key = (row.try_get("doc_type")?, row.try_get("doc_id")?);
                if !wanted.contains(&key) {
                    wanted.push(key);
                }
            }
            let changes = self.load_changes(db, wanted).await?;
            applied += rows.len();
            position = last;
            self.apply(changes, position).await?;
        }
        Ok(applied)
    }

    async fn load_changes(
        &self,
        db: &Db,
        wanted: Vec<(String, String)>,
    ) -> Result<Vec<Change>, SearchServiceError> {
        let mut changes = Vec::with_capacity(wanted.len());
        for source in &self.inner.sources {
            let ids: Vec<String> = wanted
                .iter()
                .filter(|(t, _)| t == source.doc_type())
                .map(|(_, id)| id.clone())
                .collect();
            if ids.is_empty() {
                continue;
            }
            let docs = source.load(db, &ids).await?;
            for id in ids {
                match docs.iter().find(|d| d.id == id) {
                    Some(doc) => changes.push(Change::Upsert(Box::new(doc.clone()))),
                    None => changes.push(Change::Delete {
                        doc_type: source.doc_type().to_owned(),
                        id,
                    }),
                }
            }
        }
        for (t, id) in &wanted {
            if !self.types().contains(&t.as_str()) {
                tracing::warn!(doc_type = %t, doc_id = %id, "change of an unregistered search type ignored");
            }
        }
        Ok(changes)
    }

    async fn apply(&self, changes: Vec<Change>, position: i64) -> Result<(), SearchServiceError> {
        let index = self.inner.index.clone();
        tokio::task::spawn_blocking(move || index.apply(&changes, position))
            .await
            .map_err(|e| SearchServiceError::Task(e.to_string()))??;
        Ok(())
    }

    /// Rebuilds the index from the database, reporting the number of documents read so
    /// far to `progress`. Searches keep answering from the old content until the end.
    pub async fn rebuild(
        &self,
        db: &Db,
        progress: impl Fn(u64) + Send,
    ) -> Result<u64, SearchServiceError> {
        let _writing = self.inner.writing.lock().await;
        // Every change after this point is still in the feed and will be applied again.
        let position = committed_horizon(db).await?;
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Vec<Doc>, String>>(4);
        let index = self.inner.index.clone();
        let writer = tokio::task::spawn_blocking(move || {
            let docs = std::iter::from_fn(move || rx.blocking_recv()).flat_map(|page| match page {
                Ok(docs) => docs.into_iter().map(Ok).collect::<Vec<_>>(),
                Err(e) => vec![Err(e)],
            });
            index.rebuild(position, docs)
        });
        let mut read = 0u64;
        for source in &self.inner.sources {
            let mut after = None;
            loop {
                match source.page(db, after.clone(), BATCH).await {
                    Ok(docs) => {
                        let n = docs.len();
                        after = docs.last().map(|d| d.id.clone());
                        read += n as u64;
                        progress(read);
                        if n > 0 && tx.send(Ok(docs)).await.is_err() {
                            break;
                        }
                        if n < BATCH {
                            break;
                        }
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e.to_string())).await;
                        break;
                    }
                }
            }
        }
        drop(tx);
        let added = writer
            .await
            .map_err(|e| SearchServiceError::Task(e.to_string()))??;
        tracing::info!(documents = added, position, "search index rebuilt");
        Ok(added)
    }

    /// Starts rebuilding this node's index in the background, if the policies let the
    /// caller operate the platform; follow it with [`Search::rebuild_status`]. Searches
    /// keep answering from the old content until the rebuild ends. Refused while one runs.
    pub async fn start_rebuild(
        &self,
        db: &Db,
        gate: &Gate,
        caller: &Caller,
    ) -> Result<Rebuild, RebuildError> {
        let mut conn = db.pool().acquire().await?;
        gate.check(
            &mut conn,
            caller,
            Action::OperateJobs,
            &crate::jobs::access::operations(),
        )
        .await?;
        drop(conn);
        let rebuild = {
            let mut last = self.lock_last();
            if let Some(r) = last.as_ref().filter(|r| r.status == RebuildStatus::Running) {
                return Err(RebuildError::Running(Box::new(r.clone())));
            }
            let r = Rebuild {
                id: Uuid::now_v7().to_string(),
                status: RebuildStatus::Running,
                progress: RebuildProgress { done: 0, total: 0 },
                error: None,
                started_by: caller
                    .principal
                    .actor()
                    .map(|a| a.display_name.clone())
                    .unwrap_or_default(),
                started_at: gate.clock().now(),
                finished_at: None,
            };
            *last = Some(r.clone());
            r
        };
        tracing::info!(rebuild.id = %rebuild.id, by = %rebuild.started_by, "search index rebuild started");
        let (search, db, clock) = (self.clone(), db.clone(), gate.clock().clone());
        tokio::spawn(async move {
            let outcome = search.rebuild_counted(&db).await;
            let mut last = search.lock_last();
            if let Some(r) = last.as_mut() {
                r.finished_at = Some(clock.now());
                match outcome {
                    Ok(added) => {
                        r.status = RebuildStatus::Done;
                        r.progress.done = added;
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "search index rebuild failed");
                        r.status = RebuildStatus::Failed;
                        r.error = Some(e.to_string());
                    }
                }
            }
        });
        Ok(rebuild)
    }

    /// The last rebuild started on this node, if the caller may operate the platform.
    pub async fn rebuild_status(
        &self,
        db: &Db,
        gate: &Gate,
        caller: &Caller,
    ) -> Result<Option<Rebuild>, Denied> {
        let mut conn = db.pool().acquire().await?;
        // Viewing is not audited (the page polls it); starting is.
        gate.check(
            &mut conn,
            caller,
            Action::ViewJob,
            &crate::jobs::access::operations(),
        )
        .await?;
        Ok(self.lock_last().clone())
    }

    fn lock_last(&self) -> std::sync::MutexGuard<'_, Option<Rebuild>> {
        self.inner
            .last_rebuild
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// [`Search::rebuild`], with the total counted first and the progress kept in the
    /// status of the last rebuild.
    async fn rebuild_counted(&self, db: &Db) -> Result<u64, SearchServiceError> {
        let mut total = 0;
        for source in &self.inner.sources {
            total += source.count(db).await?;
        }
        if let Some(r) = self.lock_last().as_mut() {
            r.progress.total = total;
        }
        self.rebuild(db, |done| {
            if let Some(r) = self.lock_last().as_mut() {
                r.progress.done = done;
                r.progress.total = r.progress.total.max(done);
            }
        })
        .await
    }

    /// What `caller` may see of every registered type, as the policies decide.
    pub fn access(&self, gate: &Gate, caller: &Caller) -> Access {
        let mut any_of = Vec::new();
        for source in &self.inner.sources {
            any_of.extend(scopes(gate, caller, source.doc_type()));
        }
        Access { any_of }
    }

    /// Searches what the caller may see, and passes the page's hits through the gate.
    pub async fn search(
        &self,
        db: &Db,
        gate: &Gate,
        caller: &Caller,
        mut request: Request,
    ) -> Result<Response, SearchServiceError> {
        let known = self.types();
        request.types.retain(|t| known.contains(&t.as_str()));
        let access = self.access(gate, caller);
        let index = self.inner.index.clone();
        let mut response = tokio::task::spawn_blocking(move || index.search(&request, &access))
            .await
            .map_err(|e| SearchServiceError::Task(e.to_string()))??;
        let sources = &self.inner.sources;
        let kind_of = |t: &str| {
            sources
                .iter()
                .map(|s| s.doc_type())
                .find(|k| *k == t)
                .unwrap_or("unknown")
        };
        let before = response.hits.len();
        let mut conn = db.pool().acquire().await?;
        let hits = std::mem::take(&mut response.hits);
        response.hits = gate
            .filter(&mut conn, caller, Action::Read, hits, |h| {
                Resource::Record(record_of(kind_of(&h.doc_type), h))
            })
            .await?;
        if response.hits.len() != before {
            tracing::error!(
                dropped = before - response.hits.len(),
                "search hits outside the caller's scope were dropped; the scopes and the policies disagree"
            );
        }
        Ok(response)
    }
}

fn record_of(kind: &'static str, hit: &Hit) -> RecordRef {
    let org = |s: &str| OrgId::from_uuid(Uuid::parse_str(s).unwrap_or(Uuid::nil()));
    RecordRef {
        kind,
        id: hit.id.clone(),
        level: hit.level.parse().unwrap_or(Level::Private),
        owner: hit.owner.as_deref().map(org).unwrap_or_else(|| org("")),
        parks: hit.parks.iter().map(|p| org(p)).collect(),
    }
}

/// An organisation no caller belongs to, and a park none is settled in.
fn stranger() -> OrgId {
    OrgId::from_uuid(Uuid::max())
}
fn strange_park() -> OrgId {
    OrgId::from_uuid(Uuid::from_u128(u128::MAX - 1))
}

/// Asks the policies, for each level, whether the caller may read the records of `kind`
/// that belong to anybody, to the caller's organisation, or to the caller's parks.
fn scopes(gate: &Gate, caller: &Caller, kind: &'static str) -> Vec<Scope> {
    let (own, parks) = match &caller.principal {
        Principal::Person(a) => {
            let mut parks = a.org_parks.clone();
            if a.org_kind == OrgKind::Park {
                parks.push(a.org_id);
            }
            (Some(a.org_id), parks)
        }
        Principal::Anonymous | Principal::Platform => (None, Vec::new()),
    };
    let may_read = |owner: OrgId, parks: Vec<OrgId>, level: Level| {
        let resource = Resource::Record(RecordRef {
            kind,
            id: String::new(),
            level,
            owner,
            parks,
        });
        gate.would_allow(caller, Action::Read, &resource)
    };
    let mut out = Vec::new();
    for level in Level::ALL {
        let scope = |only| Scope {
            doc_type: kind.to_owned(),
            level: level.as_str().to_owned(),
            only,
        };
        if may_read(stranger(), vec![strange_park()], level) {
            out.push(scope(Only::All));
            continue;
        }
        if let Some(own) = own
            && may_read(own, Vec::new(), level)
        {
            out.push(scope(Only::Owner(own.to_string())));
        }
        if !parks.is_empty() && may_read(stranger(), parks.clone(), level) {
            out.push(scope(Only::Parks(
                parks.iter().map(|p| p.to_string()).collect(),
            )));
        }
    }
    out
}

/// The feed's highest number and the highest number pruned, in one statement.
const FEED_STATE: &str = "SELECT CAST(COALESCE(MAX(seq), 0) AS BIGINT) AS m, \
       (SELECT upto FROM search_outbox_pruned WHERE id = 1) AS p \
     FROM search_outbox";

/// (highest number, highest pruned) from a row of [`FEED_STATE`].
fn feed_state(row: &sqlx::any::AnyRow) -> Result<(i64, i64), sqlx::Error> {
    let pruned: Option<i64> = row.try_get("p")?;
    Ok((row.try_get("m")?, pruned.unwrap_or(0)))
}

/// The highest feed position visible now, committed or not in order (a cheap test for
/// "nothing new" before [`committed_horizon`]), and the highest position pruned.
async fn latest(db: &Db) -> Result<(i64, i64), sqlx::Error> {
    feed_state(&sqlx::query(FEED_STATE).fetch_one(db.pool()).await?)
}

/// The highest feed position below which every row is committed. On PostgreSQL a writer
/// holds its row's number uncommitted until its transaction ends, so a later number can
/// commit first; a SHARE lock on the feed waits for the writers in flight and keeps new
/// ones out for the instant it takes to read the maximum. SQLite has one writer at a time.
/// With every row pruned the feed is empty, but what was pruned was committed, so the
/// pruned mark counts too.
async fn committed_horizon(db: &Db) -> Result<i64, sqlx::Error> {
    let (max, pruned) = match db.engine() {
        Engine::Sqlite => latest(db).await?,
        Engine::Postgres => {
            let mut tx = db.pool().begin().await?;
            sqlx::query("LOCK TABLE search_outbox IN SHARE MODE")
                .execute(&mut *tx)
                .await?;
            let state = feed_state(&sqlx::query(FEED_STATE).fetch_one(&mut *tx).await?)?;
            tx.commit().await?;
            state
        }
    };
    Ok(max.max(pruned))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_vocabulary_is_valid() {
        let v = vocabulary().unwrap();
        assert!(v.len() > 30);
        assert!(v.concept("grade.gr2").unwrap().unverified());
        assert!(!v.expand("equipment.crevice_present").is_empty());
    }
}
