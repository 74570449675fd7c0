//! Which family a request path belongs to, so that every layer (the journal, fault rules, the
//! fallbacks) can tell without knowing the families' code.

/// The families the emulator serves, by path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// The legacy Clients API, at the root of the Capture domain.
    Legacy,
    /// The Configuration API, under `/config`.
    ConfigApi,
    /// The emulator's control plane, under [`CONTROL_PREFIX`].
    Control,
}

/// The prefix no emulated API uses.
pub const CONTROL_PREFIX: &str = "/__emulator";

impl Family {
    /// The family of a request path.
    pub fn of(path: &str) -> Self {
        let under = |prefix: &str| {
            path.strip_prefix(prefix)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        };
        if under(CONTROL_PREFIX) {
            Family::Control
        } else if under("/config") {
            Family::ConfigApi
        } else {
            // The legacy API owns the root of the Capture domain.
            Family::Legacy
        }
    }

    /// How the journal names the family; the control plane is not journaled.
    pub fn journal_name(self) -> Option<&'static str> {
        match self {
            Family::Legacy => Some("legacy"),
            Family::ConfigApi => Some("config"),
            Family::Control => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Family;

    #[test]
    fn paths_belong_to_families() {
        assert_eq!(Family::of("/clients/add"), Family::Legacy);
        assert_eq!(Family::of("/"), Family::Legacy);
        assert_eq!(Family::of("/configuration"), Family::Legacy);
        assert_eq!(Family::of("/config"), Family::ConfigApi);
        assert_eq!(Family::of("/config/app/clients/x/y"), Family::ConfigApi);
        assert_eq!(Family::of("/__emulator/nope"), Family::Control);
        assert_eq!(Family::of("/__emulatorx"), Family::Legacy);
    }
}
