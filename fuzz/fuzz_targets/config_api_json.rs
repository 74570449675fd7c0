//! Configuration API bodies: create and replace.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(serde_json::Value::Object(body)) = serde_json::from_slice(data) {
        let _ = janrain_emulator::internals::client_from_json(&body);
    }
});
