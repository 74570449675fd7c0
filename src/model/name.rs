//! Client names (`name` / `description`), and which count as missing.

use std::sync::Arc;

/// A client's name: `name` in the Configuration API, `description` in the legacy API. Shared,
/// like [`ClientId`](super::ClientId).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientName(Arc<str>);

impl ClientName {
    /// The longest name either API accepts, in characters.
    pub const MAX_CHARS: usize = 1024;

    /// A name as the APIs accept it: at least one visible character (white space, control
    /// characters and characters that display as nothing, such as U+200B, do not count) and at
    /// most [`ClientName::MAX_CHARS`] characters. Names are kept exactly as given.
    pub fn parse(raw: &str) -> Result<Self, NameError> {
        if raw.chars().all(is_invisible) {
            return Err(NameError::Missing);
        }
        if raw.chars().nth(Self::MAX_CHARS).is_some() {
            return Err(NameError::TooLong);
        }
        Ok(Self(raw.into()))
    }

    /// A name from stored or imported state, where the APIs' rules may not have applied (a real
    /// tenant's, or an earlier version's): anything but the empty text.
    pub fn stored(raw: &str) -> Option<Self> {
        (!raw.is_empty()).then(|| Self(raw.into()))
    }

    /// A name fixed in the emulator's own code.
    pub(crate) fn known(name: &'static str) -> Self {
        Self(name.into())
    }
}

shared_text!(ClientName);

/// Why a name was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// Empty, or without a visible character: the APIs treat it as not given.
    #[error("the name has no visible character")]
    Missing,
    /// Over [`ClientName::MAX_CHARS`] characters.
    #[error("the name is longer than {} characters", ClientName::MAX_CHARS)]
    TooLong,
}

/// Characters that do not make a name visible: white space, control characters, and the
/// characters Unicode marks as default-ignorable (zero-width spaces and joiners, direction marks,
/// variation selectors, the byte order mark, fillers).
fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{061C}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{17B4}'
                | '\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{206F}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{FFF0}'..='\u{FFF8}'
                | '\u{1BCA0}'..='\u{1BCA3}'
                | '\u{1D173}'..='\u{1D17A}'
                | '\u{E0000}'..='\u{E0FFF}'
        )
}
