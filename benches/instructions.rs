//! Instructions per request, for `valgrind --tool=callgrind` to count: a repeatable figure on a
//! machine whose timings are not (`scripts/instructions` runs it and prints the table).
//!
//! `instructions CALL COUNT` builds the service of `benches/support/service.rs` (1,000 clients,
//! every layer), makes 200 unmeasured calls, then `COUNT` calls of `Call::ALL[CALL]`; the
//! difference between two counts is what those calls cost, setup and warm-up taken off.

#[path = "support/service.rs"]
mod service;

use janrain_emulator::internals::Layers;
use service::{Call, Service};

// The allocator the binary serves with.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() {
    // `cargo bench` runs every bench target with `--bench`: then run nothing.
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(call), Some(count)) = (
        args.first()
            .and_then(|n| n.parse::<usize>().ok())
            .and_then(|n| Call::ALL.get(n).copied()),
        args.get(1).and_then(|n| n.parse::<u64>().ok()),
    ) else {
        eprintln!("usage: instructions CALL COUNT, CALL one of:");
        for (n, call) in Call::ALL.iter().enumerate() {
            eprintln!("  {n}: {}", call.name());
        }
        return;
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut service = rt.block_on(Service::new(Layers::ALL));
    for _ in 0..200 {
        rt.block_on(service.call(call));
    }
    measured(&rt, &mut service, call, count);
}

/// The measured calls, apart, so that `--toggle-collect=*measured*` profiles them alone.
#[inline(never)]
fn measured(rt: &tokio::runtime::Runtime, service: &mut Service, call: Call, count: u64) {
    for _ in 0..count {
        rt.block_on(service.call(call));
    }
}
