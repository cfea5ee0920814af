//! Signed notes (C2SP signed-note), the envelope of checkpoints.
//!
//! A signed note is a UTF-8 text ending in a newline, a blank line, then one or more lines
//! `— <key name> <base64(4-byte big-endian key ID || signature)>` (em dash U+2014, space).
//! No ASCII control character other than newline may appear anywhere. The text is separated
//! from the signatures by the *last* blank line.
//!
//! Verification follows the spec and Go's `note.Open`: a signature whose (name, key ID) is
//! not among the given verifiers is ignored; one that is must verify, or the whole note is
//! rejected; at least one must verify. Repeated signatures by one key count once. At most
//! [`MAX_SIGNATURES`] signature lines are read (the spec requires at least 16).

use std::collections::HashSet;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::keys::{KeyError, SignatureType, SignerKey, VerifierKey, is_valid_key_name};

/// Signature lines read at most, as Go's `note.Open`.
pub const MAX_SIGNATURES: usize = 100;

const SIGNATURE_PREFIX: &str = "\u{2014} ";

/// Why a note could not be parsed, signed or verified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    /// An ASCII control character other than newline.
    #[error("the note contains a control character other than newline")]
    ControlCharacter,
    /// The note text does not end with a newline.
    #[error("the note text does not end with a newline")]
    MissingFinalNewline,
    /// No blank line followed by signature lines.
    #[error("the note has no signature block (a blank line followed by signature lines)")]
    MissingSignatureBlock,
    /// A signature line is not `— <name> <base64>` with a valid name and at least 5 bytes.
    #[error("signature line {line} is malformed")]
    MalformedSignatureLine {
        /// 1-based line number within the signature block.
        line: usize,
    },
    /// More than [`MAX_SIGNATURES`] signature lines.
    #[error("the note has more than {MAX_SIGNATURES} signatures")]
    TooManySignatures,
    /// Two different verifier keys share a name and key ID.
    #[error("two different verifier keys are named {name} with key ID {key_id:08x}")]
    AmbiguousKey {
        /// The shared name.
        name: String,
        /// The shared key ID.
        key_id: u32,
    },
    /// A signature by a known key does not verify.
    #[error("the signature by {name} (key ID {key_id:08x}) does not verify")]
    InvalidSignature {
        /// The key name.
        name: String,
        /// The key ID.
        key_id: u32,
    },
    /// No signature by any of the given keys.
    #[error("the note carries no signature by any of the trusted keys")]
    NoVerifiedSignature,
    /// The signing key cannot make this signature.
    #[error(transparent)]
    Key(#[from] KeyError),
}

/// One signature line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    name: String,
    key_id: u32,
    signature: Vec<u8>,
}

impl NoteSignature {
    /// A signature line from its parts, e.g. a cosignature kept apart from the note.
    pub fn new(name: &str, key_id: u32, signature: Vec<u8>) -> Result<Self, NoteError> {
        if !is_valid_key_name(name) {
            return Err(KeyError::InvalidName(name.to_owned()).into());
        }
        if signature.is_empty() {
            return Err(NoteError::MalformedSignatureLine { line: 1 });
        }
        Ok(Self {
            name: name.to_owned(),
            key_id,
            signature,
        })
    }

    /// The key name on the line.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key ID (first four bytes of the decoded signature).
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The signature bytes after the key ID.
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }

    /// The timestamp of a v1 cosignature (the first 8 bytes, big-endian), if this signature
    /// has a cosignature's length. Only meaningful once the signature has been verified with
    /// a type `0x04` key.
    pub fn cosignature_timestamp(&self) -> Option<u64> {
        (self.signature.len() == 72)
            .then(|| {
                self.signature
                    .first_chunk::<8>()
                    .map(|t| u64::from_be_bytes(*t))
            })
            .flatten()
    }

    /// The line as it appears in the note, newline included.
    pub fn to_line(&self) -> String {
        let mut bytes = Vec::with_capacity(4 + self.signature.len());
        bytes.extend_from_slice(&self.key_id.to_be_bytes());
        bytes.extend_from_slice(&self.signature);
        format!(
            "{SIGNATURE_PREFIX}{} {}\n",
            self.name,
            STANDARD.encode(bytes)
        )
    }
}

/// A signature that verified with one of the given keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedSignature {
    /// The key name.
    pub name: String,
    /// The key ID.
    pub key_id: u32,
    /// The key's signature type.
    pub signature_type: SignatureType,
    /// The cosignature time (seconds since the POSIX epoch) for type `0x04`.
    pub timestamp: Option<u64>,
}

/// A note text with its signatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    text: String,
    signatures: Vec<NoteSignature>,
}

fn check_text(text: &str) -> Result<(), NoteError> {
    if text.chars().any(|c| c < ' ' && c != '\n') {
        return Err(NoteError::ControlCharacter);
    }
    if !text.ends_with('\n') {
        return Err(NoteError::MissingFinalNewline);
    }
    Ok(())
}

impl Note {
    /// An unsigned note; `text` must end with a newline and contain no other control
    /// characters.
    pub fn new(text: impl Into<String>) -> Result<Self, NoteError> {
        let text = text.into();
        check_text(&text)?;
        Ok(Self {
            text,
            signatures: Vec::new(),
        })
    }

    /// Parses a signed note; checks the syntax only (see [`Note::verify`]).
    pub fn parse(message: &str) -> Result<Self, NoteError> {
        if message.chars().any(|c| c < ' ' && c != '\n') {
            return Err(NoteError::ControlCharacter);
        }
        let split = message
            .rfind("\n\n")
            .ok_or(NoteError::MissingSignatureBlock)?;
        let (text, block) = (&message[..=split], &message[split + 2..]);
        let Some(block) = block.strip_suffix('\n') else {
            return Err(NoteError::MissingSignatureBlock);
        };
        let mut signatures = Vec::new();
        for (number, line) in block.split('\n').enumerate() {
            if number == MAX_SIGNATURES {
                return Err(NoteError::TooManySignatures);
            }
            let malformed = NoteError::MalformedSignatureLine { line: number + 1 };
            let rest = line
                .strip_prefix(SIGNATURE_PREFIX)
                .ok_or_else(|| malformed.clone())?;
            let (name, b64) = rest.split_once(' ').unwrap_or((rest, ""));
            if !is_valid_key_name(name) {
                return Err(malformed);
            }
            let bytes = STANDARD.decode(b64).map_err(|_| malformed.clone())?;
            let Some((key_id, signature)) = bytes.split_first_chunk::<4>() else {
                return Err(malformed);
            };
            if signature.is_empty() {
                return Err(malformed);
            }
            signatures.push(NoteSignature {
                name: name.to_owned(),
                key_id: u32::from_be_bytes(*key_id),
                signature: signature.to_vec(),
            });
        }
        Ok(Self {
            text: text.to_owned(),
            signatures,
        })
    }

    /// The note text, final newline included.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The signature lines, in order.
    pub fn signatures(&self) -> &[NoteSignature] {
        &self.signatures
    }

    /// Adds a signature line, replacing any earlier one by the same key (name and ID).
    pub fn add_signature(&mut self, signature: NoteSignature) {
        self.signatures
            .retain(|s| (s.name.as_str(), s.key_id) != (signature.name.as_str(), signature.key_id));
        self.signatures.push(signature);
    }

    /// Signs the text with an Ed25519 (type `0x01`) key, as a log signs its checkpoint.
    pub fn sign(&mut self, key: &SignerKey) -> Result<(), NoteError> {
        let signature = key.sign_text(&self.text)?;
        self.add_signature(NoteSignature {
            name: key.name().to_owned(),
            key_id: key.key_id(),
            signature,
        });
        Ok(())
    }

    /// Adds a v1 cosignature (type `0x04`) made at `timestamp` (seconds since the POSIX
    /// epoch), as a witness does once it has checked the checkpoint's consistency.
    pub fn cosign(&mut self, key: &SignerKey, timestamp: u64) -> Result<(), NoteError> {
        let signature = key.cosign_text(&self.text, timestamp)?;
        self.add_signature(NoteSignature {
            name: key.name().to_owned(),
            key_id: key.key_id(),
            signature,
        });
        Ok(())
    }

    /// Verifies the signatures made by `known` keys; ignores the others. Returns the
    /// verified signatures in note order, one per key.
    pub fn verify(&self, known: &[VerifierKey]) -> Result<Vec<VerifiedSignature>, NoteError> {
        let mut seen: HashSet<(&str, u32)> = HashSet::new();
        let mut verified = Vec::new();
        for signature in &self.signatures {
            let mut matching = known
                .iter()
                .filter(|k| k.name() == signature.name && k.key_id() == signature.key_id);
            let Some(key) = matching.next() else {
                continue;
            };
            if matching.any(|other| other != key) {
                return Err(NoteError::AmbiguousKey {
                    name: signature.name.clone(),
                    key_id: signature.key_id,
                });
            }
            if !seen.insert((signature.name.as_str(), signature.key_id)) {
                continue;
            }
            let timestamp = key.check(&self.text, &signature.signature).map_err(|()| {
                NoteError::InvalidSignature {
                    name: signature.name.clone(),
                    key_id: signature.key_id,
                }
            })?;
            verified.push(VerifiedSignature {
                name: signature.name.clone(),
                key_id: signature.key_id,
                signature_type: key.signature_type(),
                timestamp,
            });
        }
        if verified.is_empty() {
            return Err(NoteError::NoVerifiedSignature);
        }
        Ok(verified)
    }
}

/// The signed note: text, blank line, signature lines. A note without signatures prints as
/// its text and a blank line, which [`Note::parse`] rejects.
impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)?;
        f.write_str("\n")?;
        for signature in &self.signatures {
            f.write_str(&signature.to_line())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Vectors from golang.org/x/mod/sumdb/note (note_test.go).
    const PETER_SKEY: &str =
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    const PETER_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    const ENOCH_VKEY: &str = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
    const TEXT: &str = "If you think cryptography is the answer to your problem,\n\
                        then you don't know what your problem is.\n";
    const PETER_SIG: &str = "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
    const ENOCH_SIG: &str = "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

    fn peter() -> VerifierKey {
        VerifierKey::parse(PETER_VKEY).unwrap()
    }

    fn enoch() -> VerifierKey {
        VerifierKey::parse(ENOCH_VKEY).unwrap()
    }

    #[test]
    fn signing_reproduces_go_byte_for_byte() {
        let mut note = Note::new(TEXT).unwrap();
        note.sign(&SignerKey::parse(PETER_SKEY).unwrap()).unwrap();
        assert_eq!(note.to_string(), format!("{TEXT}\n{PETER_SIG}"));
    }

    #[test]
    fn go_signed_notes_verify_and_unknown_keys_are_ignored() {
        let message = format!("{TEXT}\n{PETER_SIG}{ENOCH_SIG}");
        let note = Note::parse(&message).unwrap();
        assert_eq!(note.text(), TEXT);
        assert_eq!(note.to_string(), message);

        let only_peter = note.verify(&[peter()]).unwrap();
        assert_eq!(only_peter.len(), 1);
        assert_eq!(only_peter[0].name, "PeterNeumann");
        assert_eq!(only_peter[0].key_id, 0xc74f20a3);

        let both = note.verify(&[peter(), enoch()]).unwrap();
        assert_eq!(both.len(), 2);
        assert_eq!(both[1].name, "EnochRoot");

        assert_eq!(note.verify(&[]), Err(NoteError::NoVerifiedSignature));
    }

    #[test]
    fn a_bad_signature_by_a_known_key_rejects_the_note() {
        let bad = format!("{}ABCD{}", &PETER_SIG[..60], &PETER_SIG[60..]);
        let note = Note::parse(&format!("{TEXT}\n{bad}")).unwrap();
        assert_eq!(
            note.verify(&[peter()]),
            Err(NoteError::InvalidSignature {
                name: "PeterNeumann".into(),
                key_id: 0xc74f20a3
            })
        );
        // The same line is merely ignored by a verifier that does not know the key.
        assert_eq!(note.verify(&[enoch()]), Err(NoteError::NoVerifiedSignature));
    }

    #[test]
    fn changed_text_or_another_key_fails() {
        let changed = Note::parse(&format!("{}X\n\n{PETER_SIG}", TEXT.trim_end())).unwrap();
        assert!(matches!(
            changed.verify(&[peter()]),
            Err(NoteError::InvalidSignature { .. })
        ));
        // A key with the same name but another public key has another key ID: ignored.
        let other = SignerKey::generate("PeterNeumann", SignatureType::Ed25519).unwrap();
        let note = Note::parse(&format!("{TEXT}\n{PETER_SIG}")).unwrap();
        assert_eq!(
            note.verify(&[other.verifier_key()]),
            Err(NoteError::NoVerifiedSignature)
        );
    }

    #[test]
    fn repeated_signatures_count_once_and_key_ids_cannot_be_forged() {
        let note = Note::parse(&format!("{TEXT}\n{PETER_SIG}{PETER_SIG}")).unwrap();
        assert_eq!(note.verify(&[peter()]).unwrap().len(), 1);
        assert_eq!(note.verify(&[peter(), peter()]).unwrap().len(), 1);

        // A different key claiming the same name and key ID.
        let impostor = VerifierKey::new(
            "PeterNeumann",
            SignatureType::Ed25519,
            *enoch().public_key(),
        )
        .unwrap();
        let forged_id = VerifierKey::parse(&format!(
            "PeterNeumann+c74f20a3+{}",
            impostor.to_string().rsplit_once('+').unwrap().1
        ));
        assert!(matches!(forged_id, Err(KeyError::KeyIdMismatch { .. })));
    }

    #[test]
    fn malformed_messages_are_refused() {
        let cases = [
            (TEXT.to_owned(), NoteError::MissingSignatureBlock),
            (format!("{TEXT}\n"), NoteError::MissingSignatureBlock),
            (
                format!("{TEXT}\n{}", &PETER_SIG[..PETER_SIG.len() - 1]),
                NoteError::MissingSignatureBlock,
            ),
            (
                format!("\u{1}{TEXT}\n{PETER_SIG}"),
                NoteError::ControlCharacter,
            ),
            (
                format!(
                    "{TEXT}\n— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
                ),
                NoteError::MalformedSignatureLine { line: 1 },
            ),
            (
                format!("{TEXT}\n{PETER_SIG}Unexpected line.\n"),
                NoteError::MalformedSignatureLine { line: 2 },
            ),
            (
                format!("{TEXT}\n— PeterNeumann AAAA\n"),
                NoteError::MalformedSignatureLine { line: 1 },
            ),
            (
                format!("{TEXT}\n{}", PETER_SIG.repeat(MAX_SIGNATURES + 1)),
                NoteError::TooManySignatures,
            ),
        ];
        for (message, expected) in cases {
            assert_eq!(Note::parse(&message), Err(expected), "{message:?}");
        }
        assert_eq!(Note::new("no newline"), Err(NoteError::MissingFinalNewline));
        assert_eq!(Note::new("tab\there\n"), Err(NoteError::ControlCharacter));
    }

    #[test]
    fn re_signing_replaces_the_earlier_signature() {
        let key = SignerKey::parse(PETER_SKEY).unwrap();
        let mut note = Note::new(TEXT).unwrap();
        note.sign(&key).unwrap();
        note.sign(&key).unwrap();
        assert_eq!(note.signatures().len(), 1);
        let witness = SignerKey::generate("w.example/1", SignatureType::CosignatureV1).unwrap();
        assert!(matches!(
            note.sign(&witness),
            Err(NoteError::Key(KeyError::WrongSignatureType { .. }))
        ));
        assert!(matches!(
            note.cosign(&key, 1),
            Err(NoteError::Key(KeyError::WrongSignatureType { .. }))
        ));
    }
}
