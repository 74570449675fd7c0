//! The proxy's reading of a target (`CONNECT host:port`, an absolute-form URL's authority):
//! whatever it accepts is a Janrain host name and nothing else.
#![no_main]

use janrain_emulator::internals::proxy_target;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for need_port in [true, false] {
        if let Ok(target) = proxy_target(text, need_port) {
            let host = target.host.as_str();
            assert!(
                [".janraincapture.com", ".janrain.com"]
                    .iter()
                    .any(|domain| host.ends_with(domain) && host.len() > domain.len()),
                "{text:?} gave {host}"
            );
            assert!(
                host.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-'),
                "{text:?} gave {host}"
            );
            assert!(!text.contains('@'), "{text:?}");
            assert!(!need_port || target.port.is_some(), "{text:?}");
        }
    }
});
