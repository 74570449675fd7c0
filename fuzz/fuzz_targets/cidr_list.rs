//! Allowlists: single blocks and JSON arrays of them.
#![no_main]

use janrain_emulator::model::{Cidr, Whitelist};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(block) = Cidr::parse(text) {
            assert_eq!(block.as_str(), text);
        }
    }
    if let Ok(serde_json::Value::Array(items)) = serde_json::from_slice(data) {
        let _ = Whitelist::from_json(&items);
    }
});
