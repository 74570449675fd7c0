//! Heap allocations per request, counted by dhat over the whole service called in-process: what
//! each call allocates on the emulator's side (the building of the caller's request is counted
//! apart and taken off; reading the answer is not). `cargo bench --bench allocations` prints a table;
//! the figures go in docs/benchmarks.md, never in tests.

#[path = "support/service.rs"]
mod service;

use janrain_emulator::internals::Layers;
use service::{Call, Service};

#[global_allocator]
static GLOBAL: dhat::Alloc = dhat::Alloc;

/// Calls counted per row, after as many unmeasured ones.
const CALLS: u64 = 1_000;

/// Allocations and bytes allocated while `work` runs.
fn counted(work: impl FnOnce()) -> (u64, u64) {
    let before = dhat::HeapStats::get();
    work();
    let after = dhat::HeapStats::get();
    (
        after.total_blocks - before.total_blocks,
        after.total_bytes - before.total_bytes,
    )
}

fn main() {
    // `cargo bench` passes `--bench`; a filter or other flags are not taken.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    // DHAT_CALL=<n> (an index into Call::ALL) writes dhat-heap.json for that call alone instead,
    // with the stack of every allocation site, for dhat's viewer.
    if let Some(call) = std::env::var("DHAT_CALL")
        .ok()
        .and_then(|n| n.parse::<usize>().ok())
        .and_then(|n| Call::ALL.get(n).copied())
    {
        let mut service = rt.block_on(Service::new(Layers::ALL));
        let _profiler = dhat::Profiler::new_heap();
        for _ in 0..CALLS {
            rt.block_on(service.call(call));
        }
        return;
    }
    let _profiler = dhat::Profiler::builder().testing().build();
    let none = Layers {
        observe: false,
        faults: false,
        guard: false,
        trace: false,
    };
    println!("| call | layers | allocations per request | bytes allocated per request |");
    println!("|---|---|---:|---:|");
    let all = Layers::ALL;
    let each = [
        ("all", all),
        ("none", none),
        (
            "all but the journal",
            Layers {
                observe: false,
                ..all
            },
        ),
        (
            "all but fault rules",
            Layers {
                faults: false,
                ..all
            },
        ),
        (
            "all but the control guard",
            Layers {
                guard: false,
                ..all
            },
        ),
        (
            "all but the request span",
            Layers {
                trace: false,
                ..all
            },
        ),
    ];
    for call in Call::ALL {
        // Each layer's share is the same for every call but what the journal records.
        let variants = if matches!(call, Call::Health) {
            &each[..]
        } else {
            &each[..2]
        };
        for &(name, layers) in variants {
            let mut service = rt.block_on(Service::new(layers));
            for _ in 0..CALLS {
                rt.block_on(service.call(call));
            }
            let (blocks, bytes) = counted(|| {
                for _ in 0..CALLS {
                    rt.block_on(service.call(call));
                }
            });
            // The caller's side: building the request (and dropping it unsent).
            let (own_blocks, own_bytes) = counted(|| {
                for _ in 0..CALLS {
                    drop(service.request(call));
                }
            });
            println!(
                "| {} | {name} | {:.1} | {:.0} |",
                call.name(),
                (blocks - own_blocks) as f64 / CALLS as f64,
                (bytes - own_bytes) as f64 / CALLS as f64,
            );
        }
    }
}
