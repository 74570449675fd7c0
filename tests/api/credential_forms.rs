//! Every legacy operation through every credential form.

use janrain_emulator::clock::Clock;
use janrain_emulator::config::{DEFAULT_OWNER_CLIENT_ID, DEFAULT_OWNER_CLIENT_SECRET};
use reqwest::RequestBuilder;

use crate::helpers::{TestApp, basic, date_header, signed_headers, spawn_app};

#[derive(Debug, Clone, Copy)]
enum Form {
    Basic,
    BodyParameters,
    QueryParameters,
    SignedBody,
    SignedQuery,
}

fn request(app: &TestApp, form: Form, path: &str, params: &[(&str, &str)]) -> RequestBuilder {
    let (id, secret) = (DEFAULT_OWNER_CLIENT_ID, DEFAULT_OWNER_CLIENT_SECRET);
    let url = app.url(path);
    let with_credentials: Vec<(&str, &str)> = [("client_id", id), ("client_secret", secret)]
        .into_iter()
        .chain(params.iter().copied())
        .collect();
    let signed = |request: RequestBuilder| {
        let date = date_header(app.clock.now());
        signed_headers(path, params, id, secret, &date)
            .into_iter()
            .fold(request, |request, (name, value)| {
                request.header(name, value)
            })
    };
    match form {
        Form::Basic => app
            .http
            .post(url)
            .header("authorization", basic(id, secret))
            .form(params),
        Form::BodyParameters => app.http.post(url).form(&with_credentials),
        Form::QueryParameters => app.http.post(url).query(&with_credentials),
        Form::SignedBody => signed(app.http.post(url).form(params)),
        Form::SignedQuery => signed(app.http.get(url).query(params)),
    }
}

#[tokio::test]
async fn every_operation_in_every_form() {
    let app = spawn_app().await;
    for form in [
        Form::Basic,
        Form::BodyParameters,
        Form::QueryParameters,
        Form::SignedBody,
        Form::SignedQuery,
    ] {
        let added = app
            .legacy_send(request(
                &app,
                form,
                "/clients/add",
                &[
                    ("description", "matrix"),
                    ("features", r#"["direct_access", "owner"]"#),
                ],
            ))
            .await;
        assert_eq!(added["stat"], "ok", "{form:?} add: {added}");
        let id = added["client_id"].as_str().expect("id").to_owned();
        let id = id.as_str();
        let steps: [(&str, Vec<(&str, &str)>); 7] = [
            ("/clients/list", vec![("has_features", r#"["owner"]"#)]),
            (
                "/clients/set_description",
                vec![("for_client_id", id), ("description", "renamed")],
            ),
            (
                "/clients/set_features",
                vec![("for_client_id", id), ("features", r#"["access_issuer"]"#)],
            ),
            (
                "/clients/set_whitelist",
                vec![
                    ("for_client_id", id),
                    ("whitelist", r#"["10.0.0.0/8", "127.0.0.1/32"]"#),
                ],
            ),
            ("/clients/clear_whitelist", vec![("for_client_id", id)]),
            (
                "/clients/reset_secret",
                vec![("for_client_id", id), ("hours_to_live", "1")],
            ),
            ("/clients/delete", vec![("client_id_for_deletion", id)]),
        ];
        for (path, params) in steps {
            let body = app.legacy_send(request(&app, form, path, &params)).await;
            assert_eq!(body["stat"], "ok", "{form:?} {path}: {body}");
        }
    }
    assert_eq!(app.names().await, ["Emulator owner client"]);
}
