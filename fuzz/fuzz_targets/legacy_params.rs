//! Form and query parameters, and the JSON arrays carried in them.
#![no_main]

use janrain_emulator::internals::Params;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(params) = Params::parse(data) {
        for name in ["features", "has_features", "whitelist"] {
            let _ = params.json_array(name);
        }
        let _ = params.required("description");
    }
});
