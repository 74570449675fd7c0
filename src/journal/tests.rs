//! The journal's own rules: entries, budgets, cuts and redaction.

use std::sync::Arc;

use serde_json::Map;

use super::context::{CONTEXT, MAX_PARAMS, MAX_VALUE_CHARS};
use super::*;
use crate::redact::HIDDEN;

fn entry(n: usize) -> Entry {
    Entry {
        request_id: n.to_string(),
        time: SystemTime::UNIX_EPOCH,
        family: "legacy",
        method: "POST".into(),
        path: "/clients/list".into(),
        app_id: None,
        client_id: None,
        status: 200,
        legacy_code: None,
        error: None,
        detail: None,
        fault: false,
        duration_ms: 0.0,
        params: Fields::default(),
    }
}

fn noted(record: impl FnOnce()) -> Map<String, Value> {
    let context = Arc::new(RequestContext::default());
    CONTEXT.sync_scope(context.clone(), record);
    let note = context.note.lock().expect("not poisoned").clone();
    note.params.to_map()
}

#[test]
fn parameters_are_kept_without_secrets() {
    let params = noted(|| {
        note_params([
            ("client_id", "abc"),
            ("client_secret", "s3cret"),
            ("has_feature", "owner"),
            ("has_feature", "login_client"),
            ("access_token", "tok"),
        ]);
        note_json(
            serde_json::json!({
                "name": "x",
                "settings": {"db": {"Password": "p", "host": "h"}, "list": [{"api_secret": 1}]}
            })
            .as_object()
            .expect("object"),
        );
    });
    assert_eq!(
        Value::Object(params),
        serde_json::json!({
            "client_id": "abc",
            "client_secret": HIDDEN,
            "has_feature": ["owner", "login_client"],
            "access_token": HIDDEN,
            "name": "x",
            "settings": {"db": {"Password": HIDDEN, "host": "h"}, "list": [{"api_secret": HIDDEN}]}
        })
    );
}

#[test]
fn parameters_are_bounded() {
    let long = "é".repeat(MAX_VALUE_CHARS + 10);
    let names: Vec<String> = (0..MAX_PARAMS + 5).map(|n| format!("p{n}")).collect();
    let params = noted(|| {
        note_params(names.iter().map(|n| (n.as_str(), long.as_str())));
        note_json(
            serde_json::json!({"big": vec![1; MAX_VALUE_CHARS]})
                .as_object()
                .expect("object"),
        );
    });
    assert_eq!(params.len(), MAX_PARAMS);
    let first = params["p0"].as_str().expect("string");
    assert_eq!(first.chars().count(), MAX_VALUE_CHARS + 1);
    assert!(first.ends_with('…'));
    assert!(!params.contains_key("big"));
}

#[test]
fn a_large_structured_value_is_kept_as_cut_text() {
    let params = noted(|| {
        note_json(
            serde_json::json!({"big": vec![1; MAX_VALUE_CHARS]})
                .as_object()
                .expect("object"),
        );
    });
    let big = params["big"].as_str().expect("cut text");
    assert!(big.starts_with("[1,1,"));
    assert!(big.ends_with('…'));
}

#[test]
fn the_journal_is_bounded_and_newest_first() {
    let journal = Journal::new(3);
    for n in 0..5 {
        journal.record(entry(n));
    }
    let all = Query::default();
    let ids: Vec<_> = journal
        .newest_first(&all, |_| true)
        .expect("read")
        .into_iter()
        .map(|e| e.request_id)
        .collect();
    assert_eq!(ids, ["4", "3", "2"]);
    journal.clear();
    assert!(
        journal
            .newest_first(&all, |_| true)
            .expect("read")
            .is_empty()
    );
    let off = Journal::new(0);
    off.record(entry(1));
    assert!(off.newest_first(&all, |_| true).expect("read").is_empty());
}

#[test]
fn each_application_keeps_its_own_entries_and_the_busiest_gives_way() {
    let in_app = |n: usize, app: &str| Entry {
        app_id: Some(app.to_owned()),
        ..entry(n)
    };
    let journal = Journal::with_budget(5, usize::MAX);
    journal.record(in_app(0, "quiet"));
    for n in 1..=20 {
        journal.record(in_app(n, "busy"));
    }
    let ids = |app: &str| -> Vec<String> {
        let query = Query {
            app_id: Some(app),
            ..Query::default()
        };
        journal
            .newest_first(&query, |_| true)
            .expect("read")
            .into_iter()
            .map(|e| e.request_id)
            .collect()
    };
    assert_eq!(ids("quiet"), ["0"]);
    assert_eq!(ids("busy"), ["20", "19", "18", "17", "16"]);
    let since = Query {
        since: Some("18"),
        ..Query::default()
    };
    let newer: Vec<_> = journal
        .newest_first(&since, |_| true)
        .expect("read")
        .into_iter()
        .map(|e| e.request_id)
        .collect();
    assert_eq!(newer, ["20", "19"]);
    let gone = Query {
        since: Some("3"),
        ..Query::default()
    };
    assert_eq!(
        journal.newest_first(&gone, |_| true).err(),
        Some(UnknownSince)
    );
    // Over the total budget, the application holding the most gives way.
    let size = estimated_size(&in_app(0, "quiet"));
    let tight = Journal::with_budget(100, size * 6);
    tight.record(in_app(0, "quiet"));
    for n in 1..=20 {
        tight.record(in_app(n, "busy"));
    }
    let all: Vec<_> = tight
        .newest_first(&Query::default(), |_| true)
        .expect("read")
        .into_iter()
        .map(|e| e.request_id)
        .collect();
    assert!(all.contains(&"0".to_owned()), "{all:?}");
    assert!(all.len() <= 6, "{all:?}");
}

#[tokio::test]
async fn a_waiting_reader_is_woken_by_the_next_entry_and_counted_while_it_waits() {
    let journal = Journal::new(10);
    {
        let mut arrival = journal.arrival();
        arrival.enable();
        assert_eq!(journal.waiting.load(Ordering::SeqCst), 1);
        // An entry recorded after the wait was enabled, before it is awaited, still wakes it.
        journal.record(entry(1));
        tokio::time::timeout(std::time::Duration::from_secs(5), arrival)
            .await
            .expect("woken by the entry");
    }
    assert_eq!(journal.waiting.load(Ordering::SeqCst), 0);
    // With nobody waiting, an entry is still kept.
    journal.record(entry(2));
    let kept = journal
        .newest_first(&Query::default(), |_| true)
        .expect("entries");
    assert_eq!(kept.len(), 2);
}
