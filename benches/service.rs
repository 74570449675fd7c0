//! The whole service called in-process, without sockets: what the emulator's own code costs a
//! request, apart from the kernel's networking, and what each layer adds to it.
//! `cargo bench --bench service`; the figures go in docs/benchmarks.md, never in tests.

#[path = "support/service.rs"]
mod service;

use criterion::{Criterion, criterion_group, criterion_main};
use janrain_emulator::internals::Layers;
use service::{Call, Service};

// The allocator the binary serves with.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn calls(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("service");
    for call in Call::ALL {
        let mut service = rt.block_on(Service::new(Layers::ALL));
        group.bench_function(call.name(), |b| b.iter(|| rt.block_on(service.call(call))));
    }
    group.finish();
}

/// Each layer's share: the same calls with every layer, with none, and with all but one.
fn layers(c: &mut Criterion) {
    let rt = runtime();
    let all = Layers::ALL;
    let variants = [
        ("every layer", all),
        (
            "no layer",
            Layers {
                observe: false,
                faults: false,
                guard: false,
                trace: false,
            },
        ),
        (
            "without the journal",
            Layers {
                observe: false,
                ..all
            },
        ),
        (
            "without fault rules",
            Layers {
                faults: false,
                ..all
            },
        ),
        (
            "without the control guard",
            Layers {
                guard: false,
                ..all
            },
        ),
        (
            "without the request span",
            Layers {
                trace: false,
                ..all
            },
        ),
    ];
    let mut group = c.benchmark_group("layers");
    for call in [Call::Health, Call::Create] {
        for (name, layers) in variants {
            let mut service = rt.block_on(Service::new(layers));
            group.bench_function(format!("{}, {name}", call.name()), |b| {
                b.iter(|| rt.block_on(service.call(call)))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, calls, layers);
criterion_main!(benches);
