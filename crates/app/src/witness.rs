//! `ticorr witness`: an independent witness of the platform's transparency log.
//!
//! A witness runs outside the platform, with its own key and its own state. Each round it
//! fetches the log's latest checkpoint, checks the log's signature with the log key it was
//! configured with, and checks that the new tree extends the one it last cosigned (an
//! RFC 9162 consistency proof from the log). Only then does it cosign (C2SP
//! tlog-cosignature) and send the cosignature back. A log that rewrote, dropped or reordered
//! history cannot prove consistency, so it collects no more cosignatures from this witness;
//! the refusal is logged and the state is left untouched.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, anyhow};
use serde::{Deserialize, Serialize};
use ticorr_ledger::{Checkpoint, Hash, SignatureType, SignerKey, TrustPolicy, VerifierKey};

/// What the witness remembers: the last checkpoint it cosigned.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct State {
    size: u64,
    /// Standard base64.
    root: String,
}

pub struct Witness {
    pub log_url: String,
    pub log_key: VerifierKey,
    pub key: SignerKey,
    pub state_file: PathBuf,
}

/// Loads the witness key from `path`, creating one named `name` when the file is missing.
pub fn load_or_create_key(path: &Path, name: &str) -> anyhow::Result<SignerKey> {
    match std::fs::read_to_string(path) {
        Ok(text) => SignerKey::parse(text.trim()).map_err(|e| anyhow!("{}: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = SignerKey::generate(name, SignatureType::CosignatureV1)
                .map_err(|e| anyhow!("{e}"))?;
            ticorr_platform::ledger::write_secret(path, &key.to_private_key_string())
                .with_context(|| format!("cannot write {}", path.display()))?;
            Ok(key)
        }
        Err(e) => Err(anyhow!("{}: {e}", path.display())),
    }
}

/// What one round did.
#[derive(Debug, PartialEq)]
pub enum Outcome {
    /// Cosigned a checkpoint of this size.
    Cosigned(u64),
    /// Nothing new since the last cosigned checkpoint.
    Unchanged(u64),
}

impl Witness {
    fn load_state(&self) -> anyhow::Result<Option<State>> {
        match std::fs::read_to_string(&self.state_file) {
            Ok(text) => Ok(Some(serde_json::from_str(&text).with_context(|| {
                format!("{} is not valid", self.state_file.display())
            })?)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    fn save_state(&self, state: &State) -> anyhow::Result<()> {
        let tmp = self.state_file.with_extension("tmp");
        if let Some(dir) = self.state_file.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&tmp, serde_json::to_vec_pretty(state)?)?;
        std::fs::rename(&tmp, &self.state_file)?;
        Ok(())
    }

    fn get(&self, path: &str) -> anyhow::Result<String> {
        let url = format!("{}{path}", self.log_url.trim_end_matches('/'));
        let mut res = ureq::get(&url)
            .call()
            .with_context(|| format!("GET {url}"))?;
        Ok(res.body_mut().read_to_string()?)
    }

    /// One round: fetch, verify, check consistency, cosign, submit. Errors are refusals.
    pub fn round(&self) -> anyhow::Result<Outcome> {
        let text = self.get("/api/v1/ledger/checkpoint")?;
        let policy = TrustPolicy::new(self.log_key.clone());
        let opened = ticorr_ledger::open_checkpoint(&text, &policy)
            .map_err(|e| anyhow!("the checkpoint does not verify: {e}"))?;
        let cp: &Checkpoint = &opened.checkpoint;
        let state = self.load_state()?;
        let previous = match &state {
            Some(prev) => Some((
                prev.size,
                Hash::from_base64(&prev.root).map_err(|e| anyhow!("state root: {e}"))?,
            )),
            None => None,
        };
        let proof = match &previous {
            Some((old, _)) if *old < cp.size() => {
                let body: serde_json::Value = serde_json::from_str(&self.get(&format!(
                    "/api/v1/ledger/proof/consistency?from={old}&to={}",
                    cp.size()
                ))?)?;
                body["hashes"]
                    .as_array()
                    .ok_or_else(|| anyhow!("the consistency proof is malformed"))?
                    .iter()
                    .map(|h| {
                        h.as_str()
                            .and_then(|s| Hash::from_base64(s).ok())
                            .ok_or_else(|| anyhow!("bad hash in the proof"))
                    })
                    .collect::<anyhow::Result<Vec<_>>>()?
            }
            _ => vec![],
        };
        let grown = ticorr_ledger::witness::may_cosign(previous, cp.size(), cp.root(), &proof)
            .map_err(|e| anyhow!("refused: {e}"))?;
        if !grown {
            // Already cosigned; send it again in case the log lost it.
            self.submit(&opened.note)?;
            return Ok(Outcome::Unchanged(cp.size()));
        }
        self.submit(&opened.note)?;
        self.save_state(&State {
            size: cp.size(),
            root: cp.root().to_base64(),
        })?;
        Ok(Outcome::Cosigned(cp.size()))
    }

    fn submit(&self, note: &ticorr_ledger::Note) -> anyhow::Result<()> {
        let mut own = ticorr_ledger::Note::new(note.text()).map_err(|e| anyhow!("{e}"))?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        own.cosign(&self.key, now).map_err(|e| anyhow!("{e}"))?;
        let url = format!(
            "{}/api/v1/ledger/cosignatures",
            self.log_url.trim_end_matches('/')
        );
        ureq::post(&url)
            .header("content-type", "text/plain")
            .send(own.to_string())
            .with_context(|| format!("POST {url}"))?;
        Ok(())
    }

    /// Runs rounds until stopped (or once). In a loop, refusals are logged and retried.
    pub fn run(&self, interval: Duration, once: bool) -> anyhow::Result<()> {
        loop {
            match self.round() {
                Ok(outcome) => tracing::info!(witness = self.key.name(), ?outcome, "witness round"),
                Err(e) if once => return Err(e),
                Err(e) => tracing::error!(witness = self.key.name(), error = %e, "witness refused"),
            }
            if once {
                return Ok(());
            }
            std::thread::sleep(interval);
        }
    }
}
