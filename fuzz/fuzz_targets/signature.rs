//! The janrain-signed canonical texts and their verification, from any path, date and parameters.
#![no_main]

use janrain_emulator::internals::signature;
use janrain_emulator::model::ClientSecret;
use janrain_emulator::internals::Params;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(4, |b| *b == 0);
    let (Some(path), Some(date), Some(params), Some(header)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return;
    };
    let (Ok(path), Ok(date), Ok(header)) = (
        std::str::from_utf8(path),
        std::str::from_utf8(date),
        std::str::from_utf8(header),
    ) else {
        return;
    };
    let _ = signature::parse_date(date);
    let Ok(params) = Params::parse(params) else {
        return;
    };
    let texts = signature::candidates(path, date, &params);
    if let Some((_, sig)) = signature::parse_credentials(header) {
        let secret = ClientSecret::new("fuzzsecret").expect("non-empty");
        let _ = signature::verifies(&secret, &texts, &sig);
    }
});
