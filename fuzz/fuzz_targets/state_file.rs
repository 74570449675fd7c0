//! State files: any bytes on disk open as a state, or are refused cleanly and left untouched.
#![no_main]

use janrain_emulator::internals::StateFile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("state.db");
    std::fs::write(&path, data).expect("written");
    if StateFile::open(&path).is_err() {
        assert_eq!(std::fs::read(&path).expect("read"), data, "a refused file is untouched");
    }
});
