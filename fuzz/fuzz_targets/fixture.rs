//! Fixture documents (`--import`): anything valid must round-trip through the snapshot format.
#![no_main]

use std::time::SystemTime;

use janrain_emulator::fixture::Fixture;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(fixture) = Fixture::parse(text) {
        let now = SystemTime::UNIX_EPOCH;
        let written = fixture.to_json(now);
        let again = Fixture::parse(&written.to_string()).expect("a snapshot reads back");
        assert_eq!(again.to_json(now), written);
    }
});
