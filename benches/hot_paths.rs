//! Micro-benchmarks of the inner pieces every request goes through: signature verification,
//! store inserts and lookups as the store grows, and response serialisation.
//! `cargo bench --bench hot_paths`; the figures go in docs/benchmarks.md, never in tests.

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use janrain_emulator::caller::Caller;
use janrain_emulator::clock::SystemClock;
use janrain_emulator::internals::IdGenerator;
use janrain_emulator::internals::Params;
use janrain_emulator::internals::clients_listing;
use janrain_emulator::internals::signature;
use janrain_emulator::model::{
    AppId, Client, ClientId, ClientName, ClientSecret, Feature, Features, Whitelist,
};
use janrain_emulator::store::{NameRule, NewClient, Route, Store};

const LOCAL: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

fn new_client(name: String) -> NewClient {
    NewClient {
        name: ClientName::parse(&name).expect("name"),
        features: Features::assignable([Feature::DirectAccess]).expect("features"),
        whitelist: Whitelist::allow_all(),
    }
}

/// A store with one application, its owner (also returned as the caller of the creates), and
/// `clients` more clients.
fn store_with(clients: usize) -> (Store, Caller, Vec<String>) {
    let store = Store::new(IdGenerator::seeded(1), Arc::new(SystemClock));
    let app = AppId::parse("benchapp").expect("app");
    store.add_app(&app, Vec::new()).expect("app");
    let owner = Client::new(
        ClientId::parse("benchowner").expect("id"),
        ClientSecret::new("ownersecret").expect("secret"),
        ClientName::parse("owner").expect("name"),
        Features::stored([Feature::Owner]),
    );
    store.insert_client(&app, owner).expect("owner");
    let caller = store
        .authenticate(Route::App(&app), "benchowner", LOCAL, |_| Ok(()), |_| true)
        .1
        .expect("owner");
    let ids = (0..clients)
        .map(|n| {
            store
                .create_client(&caller, new_client(format!("client {n}")), NameRule::Unique)
                .expect("create")
                .id
                .to_string()
        })
        .collect();
    (store, caller, ids)
}

fn signatures(c: &mut Criterion) {
    let params =
        Params::parse(b"description=my+client&features=%5B%22direct_access%22%5D").expect("params");
    let secret = ClientSecret::new("ownersecret").expect("secret");
    let date = "2024-01-02 03:04:05";
    let texts = signature::candidates("/clients/add", date, &params);
    let good = signature::sign("ownersecret", &texts[0]);
    let decoded = base64_decode(&good);
    c.bench_function("signature: canonical texts", |b| {
        b.iter(|| signature::candidates(black_box("/clients/add"), date, black_box(&params)))
    });
    c.bench_function("signature: verify", |b| {
        b.iter(|| signature::verifies(black_box(&secret), black_box(&texts), black_box(&decoded)))
    });
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .expect("base64")
}

fn store_growth(c: &mut Criterion) {
    let mut group = c.benchmark_group("store");
    for size in [1_000, 10_000, 100_000] {
        let (store, owner, ids) = store_with(size);
        let app = owner.app.clone();
        let mut n = 0_u64;
        group.bench_with_input(BenchmarkId::new("create", size), &size, |b, _| {
            b.iter(|| {
                n += 1;
                store
                    .create_client(&owner, new_client(format!("extra {n}")), NameRule::Unique)
                    .expect("create")
            })
        });
        let middle = ids[size / 2].clone();
        group.bench_with_input(BenchmarkId::new("authenticate", size), &size, |b, _| {
            b.iter(|| {
                store.authenticate(
                    Route::App(&app),
                    black_box(&middle),
                    LOCAL,
                    |_| Ok(()),
                    |_| true,
                )
            })
        });
    }
    group.finish();
}

fn serialisation(c: &mut Criterion) {
    let (store, owner, _) = store_with(10);
    let app = owner.app;
    let clients = store.list_clients(&app, |_| true).expect("list");
    c.bench_function("serialise: 10 clients, Configuration API", |b| {
        b.iter(|| clients_listing(&app, black_box(&clients)))
    });
}

criterion_group!(benches, signatures, store_growth, serialisation);
criterion_main!(benches);
