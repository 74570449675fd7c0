//! The `janrain-emulator` binary: what it does is `janrain_emulator::command::main`.

use std::process::ExitCode;

// glibc's allocator serialises threads on its arena locks under this many small, short-lived
// allocations; jemalloc's per-thread caches do not, and it keeps the idle footprint small
// (see docs/benchmarks.md).
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    janrain_emulator::command::main()
}
