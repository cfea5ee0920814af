//! Checkpoints (C2SP tlog-checkpoint): the signed tree head, as a signed note.
//!
//! The note text is, one per line: the origin (the log's identity), the tree size in ASCII
//! decimal without leading zeros, the root hash in standard base64, then optional non-empty
//! extension lines. The log signs it with its Ed25519 note key; witnesses add v1
//! cosignatures (C2SP tlog-cosignature), which sign the same text, extension lines included.
//!
//! ```text
//! example.com/behind-the-sofa
//! 20852163
//! CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=
//!
//! — example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=
//! ```

use crate::hash::Hash;
use crate::keys::{SignerKey, VerifierKey};
use crate::note::{Note, NoteError, VerifiedSignature};

/// Why a checkpoint text or signed checkpoint was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    /// The signed note is malformed or a trusted signature on it is bad.
    #[error("the signed note is not valid: {0}")]
    Note(#[from] NoteError),
    /// Fewer than the three mandatory lines, or no final newline.
    #[error(
        "a checkpoint has an origin, a tree size and a root hash, each on a line ending in a newline"
    )]
    TooFewLines,
    /// The origin line is empty or contains a control character.
    #[error("the origin line must be non-empty and free of control characters")]
    InvalidOrigin,
    /// The origin is not the one this log is known by.
    #[error("the checkpoint is for origin {found:?}, not {expected:?}")]
    OriginMismatch {
        /// The origin the verifier trusts.
        expected: String,
        /// The origin in the checkpoint.
        found: String,
    },
    /// The size line is not ASCII decimal without leading zeros, or too large.
    #[error("the tree size line {0:?} is not a decimal number without leading zeros")]
    InvalidTreeSize(String),
    /// The root hash line is not the standard base64 of 32 bytes.
    #[error("the root hash line {0:?} is not the standard base64 of a 32-byte hash")]
    InvalidRootHash(String),
    /// An extension line is empty or contains a control character.
    #[error("extension lines must be non-empty and free of control characters")]
    InvalidExtensionLine,
    /// The log's own signature is not on the note.
    #[error("the checkpoint carries no valid signature by the log key {0}")]
    MissingLogSignature(String),
    /// Fewer valid witness cosignatures than the policy requires.
    #[error("{verified} valid witness cosignature(s), {required} required")]
    NotEnoughCosignatures {
        /// How many the policy requires.
        required: usize,
        /// How many verified.
        verified: usize,
    },
}

/// A tree head: which log, how many leaves, which root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    origin: String,
    size: u64,
    root: Hash,
    extensions: Vec<String>,
}

fn is_valid_line(line: &str) -> bool {
    !line.is_empty() && !line.chars().any(char::is_control)
}

impl Checkpoint {
    /// A checkpoint without extension lines.
    pub fn new(origin: &str, size: u64, root: Hash) -> Result<Self, CheckpointError> {
        if !is_valid_line(origin) {
            return Err(CheckpointError::InvalidOrigin);
        }
        Ok(Self {
            origin: origin.to_owned(),
            size,
            root,
            extensions: Vec::new(),
        })
    }

    /// Adds an extension line (the spec does not recommend them: monitors cannot audit them).
    pub fn with_extension(mut self, line: &str) -> Result<Self, CheckpointError> {
        if !is_valid_line(line) {
            return Err(CheckpointError::InvalidExtensionLine);
        }
        self.extensions.push(line.to_owned());
        Ok(self)
    }

    /// The log's identity.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The number of leaves.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The Merkle Tree Hash of those leaves.
    pub fn root(&self) -> &Hash {
        &self.root
    }

    /// The extension lines, without newlines.
    pub fn extensions(&self) -> &[String] {
        &self.extensions
    }

    /// The note text: each line followed by a newline.
    pub fn to_text(&self) -> String {
        let mut text = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            self.root.to_base64()
        );
        for line in &self.extensions {
            text.push_str(line);
            text.push('\n');
        }
        text
    }

    /// Parses a note text (not a signed note; see [`open_checkpoint`]).
    pub fn parse(text: &str) -> Result<Self, CheckpointError> {
        let body = text
            .strip_suffix('\n')
            .ok_or(CheckpointError::TooFewLines)?;
        let mut lines = body.split('\n');
        let (Some(origin), Some(size), Some(root)) = (lines.next(), lines.next(), lines.next())
        else {
            return Err(CheckpointError::TooFewLines);
        };
        let size = parse_size(size)?;
        let root = Hash::from_base64(root)
            .map_err(|_| CheckpointError::InvalidRootHash(root.to_owned()))?;
        let mut checkpoint = Self::new(origin, size, root)?;
        for line in lines {
            checkpoint = checkpoint.with_extension(line)?;
        }
        Ok(checkpoint)
    }

    /// The checkpoint as a note signed by the log's Ed25519 key.
    pub fn sign(&self, log_key: &SignerKey) -> Result<Note, CheckpointError> {
        let mut note = Note::new(self.to_text())?;
        note.sign(log_key)?;
        Ok(note)
    }
}

fn parse_size(line: &str) -> Result<u64, CheckpointError> {
    let invalid = || CheckpointError::InvalidTreeSize(line.to_owned());
    let canonical = line == "0" || (!line.starts_with('0') && !line.is_empty());
    if !canonical || !line.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    line.parse().map_err(|_| invalid())
}

/// Whom a verifier trusts for one log.
#[derive(Debug, Clone)]
pub struct TrustPolicy {
    /// The log's note verifier key.
    pub log_key: VerifierKey,
    /// The origin the log's checkpoints must carry (by default the log key's name, as the
    /// spec recommends).
    pub origin: String,
    /// Witness cosignature keys.
    pub witnesses: Vec<VerifierKey>,
    /// How many distinct witnesses must have cosigned.
    pub required_cosignatures: usize,
}

impl TrustPolicy {
    /// Trust `log_key` alone, for the origin named like the key.
    pub fn new(log_key: VerifierKey) -> Self {
        Self {
            origin: log_key.name().to_owned(),
            log_key,
            witnesses: Vec::new(),
            required_cosignatures: 0,
        }
    }

    /// Expects `origin` instead of the key name.
    pub fn with_origin(mut self, origin: &str) -> Self {
        self.origin = origin.to_owned();
        self
    }

    /// Also requires `required` cosignatures among `witnesses`.
    pub fn with_witnesses(mut self, witnesses: Vec<VerifierKey>, required: usize) -> Self {
        self.witnesses = witnesses;
        self.required_cosignatures = required;
        self
    }
}

/// A checkpoint whose log signature, origin and witness quorum have been verified.
#[derive(Debug, Clone)]
pub struct OpenedCheckpoint {
    /// The tree head.
    pub checkpoint: Checkpoint,
    /// The log's signature.
    pub log_signature: VerifiedSignature,
    /// The valid witness cosignatures, one per witness, with their timestamps.
    pub cosignatures: Vec<VerifiedSignature>,
    /// The parsed note, to add cosignatures or re-serialize.
    pub note: Note,
}

/// Parses a signed checkpoint and checks it against `policy`, in this order: note syntax,
/// every signature by a trusted key (a bad one rejects the note), the log's signature, the
/// checkpoint text, the origin, the witness quorum.
pub fn open_checkpoint(
    signed_note: &str,
    policy: &TrustPolicy,
) -> Result<OpenedCheckpoint, CheckpointError> {
    let note = Note::parse(signed_note)?;
    let mut known = Vec::with_capacity(1 + policy.witnesses.len());
    known.push(policy.log_key.clone());
    known.extend(policy.witnesses.iter().cloned());
    let missing_log = || CheckpointError::MissingLogSignature(policy.log_key.to_string());
    let verified = match note.verify(&known) {
        Ok(verified) => verified,
        Err(NoteError::NoVerifiedSignature) => return Err(missing_log()),
        Err(other) => return Err(other.into()),
    };
    let is_log = |s: &VerifiedSignature| {
        s.name == policy.log_key.name() && s.key_id == policy.log_key.key_id()
    };
    let log_signature = verified
        .iter()
        .find(|s| is_log(s))
        .cloned()
        .ok_or_else(missing_log)?;
    let checkpoint = Checkpoint::parse(note.text())?;
    if checkpoint.origin != policy.origin {
        return Err(CheckpointError::OriginMismatch {
            expected: policy.origin.clone(),
            found: checkpoint.origin,
        });
    }
    let cosignatures: Vec<VerifiedSignature> = verified
        .into_iter()
        .filter(|s| {
            !is_log(s)
                && policy
                    .witnesses
                    .iter()
                    .any(|w| w.name() == s.name && w.key_id() == s.key_id)
        })
        .collect();
    if cosignatures.len() < policy.required_cosignatures {
        return Err(CheckpointError::NotEnoughCosignatures {
            required: policy.required_cosignatures,
            verified: cosignatures.len(),
        });
    }
    Ok(OpenedCheckpoint {
        checkpoint,
        log_signature,
        cosignatures,
        note,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::leaf_hash;
    use crate::keys::{KeyError, SignatureType};
    use crate::note::NoteSignature;

    const SPEC_EXAMPLE: &str =
        "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";

    fn log_key() -> SignerKey {
        SignerKey::from_seed("ticorr.example/ledger", SignatureType::Ed25519, &[1; 32]).unwrap()
    }

    fn witness(n: u8) -> SignerKey {
        SignerKey::from_seed(
            &format!("witness.example/w{n}"),
            SignatureType::CosignatureV1,
            &[10 + n; 32],
        )
        .unwrap()
    }

    fn checkpoint(size: u64) -> Checkpoint {
        Checkpoint::new(
            "ticorr.example/ledger",
            size,
            leaf_hash(&size.to_be_bytes()),
        )
        .unwrap()
    }

    #[test]
    fn the_spec_example_parses_and_formats_back() {
        let checkpoint = Checkpoint::parse(SPEC_EXAMPLE).unwrap();
        assert_eq!(checkpoint.origin(), "example.com/behind-the-sofa");
        assert_eq!(checkpoint.size(), 20852163);
        assert_eq!(checkpoint.to_text(), SPEC_EXAMPLE);
        let extended = format!("{SPEC_EXAMPLE}ext one\next two\n");
        let checkpoint = Checkpoint::parse(&extended).unwrap();
        assert_eq!(checkpoint.extensions(), ["ext one", "ext two"]);
        assert_eq!(checkpoint.to_text(), extended);
    }

    #[test]
    fn malformed_bodies_are_refused() {
        let root = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=";
        let cases = [
            (format!("o\n1\n{root}"), CheckpointError::TooFewLines),
            ("o\n1\n".to_owned(), CheckpointError::TooFewLines),
            (format!("\n1\n{root}\n"), CheckpointError::InvalidOrigin),
            (
                format!("o\n01\n{root}\n"),
                CheckpointError::InvalidTreeSize("01".into()),
            ),
            (
                format!("o\n+1\n{root}\n"),
                CheckpointError::InvalidTreeSize("+1".into()),
            ),
            (
                format!("o\n\n{root}\n"),
                CheckpointError::InvalidTreeSize(String::new()),
            ),
            (
                format!("o\n18446744073709551616\n{root}\n"),
                CheckpointError::InvalidTreeSize("18446744073709551616".into()),
            ),
            (
                "o\n1\nAAAA\n".to_owned(),
                CheckpointError::InvalidRootHash("AAAA".into()),
            ),
            (
                format!("o\n1\n{root}\n\n"),
                CheckpointError::InvalidExtensionLine,
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(Checkpoint::parse(&text), Err(expected), "{text:?}");
        }
        assert_eq!(
            Checkpoint::parse(&format!("o\n0\n{root}\n"))
                .unwrap()
                .size(),
            0
        );
    }

    #[test]
    fn signed_checkpoints_round_trip() {
        let key = log_key();
        let signed = checkpoint(42).sign(&key).unwrap().to_string();
        let policy = TrustPolicy::new(key.verifier_key());
        let opened = open_checkpoint(&signed, &policy).unwrap();
        assert_eq!(opened.checkpoint, checkpoint(42));
        assert_eq!(opened.log_signature.name, "ticorr.example/ledger");
        assert!(opened.cosignatures.is_empty());
        assert_eq!(opened.note.to_string(), signed);
    }

    #[test]
    fn another_key_a_changed_body_or_a_changed_size_fails() {
        let key = log_key();
        let policy = TrustPolicy::new(key.verifier_key());
        let signed = checkpoint(42).sign(&key).unwrap().to_string();

        let stranger =
            SignerKey::from_seed("ticorr.example/ledger", SignatureType::Ed25519, &[2; 32])
                .unwrap();
        let by_stranger = checkpoint(42).sign(&stranger).unwrap().to_string();
        assert_eq!(
            open_checkpoint(&by_stranger, &policy).unwrap_err(),
            CheckpointError::MissingLogSignature(key.verifier_key().to_string())
        );

        let resized = signed.replacen("\n42\n", "\n43\n", 1);
        assert!(matches!(
            open_checkpoint(&resized, &policy).unwrap_err(),
            CheckpointError::Note(NoteError::InvalidSignature { .. })
        ));

        let rerooted = signed.replacen(
            &checkpoint(42).root().to_base64(),
            &checkpoint(43).root().to_base64(),
            1,
        );
        assert!(matches!(
            open_checkpoint(&rerooted, &policy).unwrap_err(),
            CheckpointError::Note(NoteError::InvalidSignature { .. })
        ));

        let elsewhere = TrustPolicy::new(key.verifier_key()).with_origin("other.example/log");
        assert!(matches!(
            open_checkpoint(&signed, &elsewhere).unwrap_err(),
            CheckpointError::OriginMismatch { .. }
        ));
    }

    #[test]
    fn cosignatures_round_trip_with_their_timestamps() {
        let key = log_key();
        let mut note = checkpoint(7)
            .with_extension("ext")
            .unwrap()
            .sign(&key)
            .unwrap();
        note.cosign(&witness(1), 1_679_315_147).unwrap();
        note.cosign(&witness(2), 1_700_000_000).unwrap();
        let signed = note.to_string();

        let witnesses: Vec<VerifierKey> = (1..=3).map(|n| witness(n).verifier_key()).collect();
        let policy = TrustPolicy::new(key.verifier_key()).with_witnesses(witnesses.clone(), 2);
        let opened = open_checkpoint(&signed, &policy).unwrap();
        let stamps: Vec<_> = opened
            .cosignatures
            .iter()
            .map(|s| (s.name.as_str(), s.timestamp))
            .collect();
        assert_eq!(
            stamps,
            [
                ("witness.example/w1", Some(1_679_315_147)),
                ("witness.example/w2", Some(1_700_000_000))
            ]
        );
        assert_eq!(
            note.signatures()[1].cosignature_timestamp(),
            Some(1_679_315_147)
        );

        let strict = TrustPolicy::new(key.verifier_key()).with_witnesses(witnesses, 3);
        assert_eq!(
            open_checkpoint(&signed, &strict).unwrap_err(),
            CheckpointError::NotEnoughCosignatures {
                required: 3,
                verified: 2
            }
        );

        // The cosignature covers the timestamp: moving it breaks the signature.
        let original = &note.signatures()[1];
        let mut bytes = original.signature().to_vec();
        bytes[7] ^= 1;
        let forged_line = NoteSignature::new(original.name(), original.key_id(), bytes)
            .unwrap()
            .to_line();
        let forged = signed.replacen(&original.to_line(), &forged_line, 1);
        assert!(matches!(
            open_checkpoint(&forged, &policy).unwrap_err(),
            CheckpointError::Note(NoteError::InvalidSignature { .. })
        ));

        // The cosignature covers the extension lines too.
        let changed_extension = signed.replacen("\next\n", "\nEXT\n", 1);
        assert!(matches!(
            open_checkpoint(&changed_extension, &policy).unwrap_err(),
            CheckpointError::Note(NoteError::InvalidSignature { .. })
        ));
    }

    #[test]
    fn cosigning_needs_a_cosignature_key_and_a_valid_timestamp() {
        let mut note = checkpoint(1).sign(&log_key()).unwrap();
        assert!(matches!(
            note.cosign(&log_key(), 1),
            Err(NoteError::Key(KeyError::WrongSignatureType { .. }))
        ));
        assert!(matches!(
            note.cosign(&witness(1), u64::MAX),
            Err(NoteError::Key(KeyError::Malformed(_)))
        ));
    }

    #[test]
    fn the_spec_cosignature_carries_its_timestamp() {
        // From C2SP tlog-cosignature: key ID 8d66cf3f, then the timestamp 1679315147.
        let example = format!(
            "{SPEC_EXAMPLE}\n— witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n"
        );
        let note = Note::parse(&example).unwrap();
        assert_eq!(
            note.signatures()[0].cosignature_timestamp(),
            Some(1_679_315_147)
        );
    }
}
