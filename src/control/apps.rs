//! Applications at run time: `/__emulator/apps...`. One isolated application per test, made in
//! one call, reset or read on its own, and deleted with its clients when the test is done.

use axum::extract::{FromRequest, FromRequestParts, Json, Request, State};
use axum::http::{HeaderMap, StatusCode, header, request::Parts};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::{ControlError, ControlPath, ErrorBody, Status, ok};
use crate::body::{self, RenderedJson};
use crate::config::APP_OWNER_CLIENT_NAME;
use crate::error::ApiError;
use crate::fixture::{self, FixtureApp};
use crate::model::CaptureDomain;
use crate::model::{AppId, Client, ClientId, ClientName, ClientSecret, Feature};
use crate::state::ServerState;
use crate::store::{AppSummary, StoreError, default_capture_domain};

/// A JSON object body, or none at all (read as `{}`).
#[derive(Debug)]
pub struct OptionalJson(pub Map<String, Value>);

impl FromRequest<ServerState> for OptionalJson {
    type Rejection = ControlError;

    async fn from_request(request: Request, state: &ServerState) -> Result<Self, ControlError> {
        Ok(Self(
            body::read_optional_json_object(request, &state.config).await?,
        ))
    }
}

/// An application as the control plane lists it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AppListed {
    /// Its id.
    app_id: String,
    /// The hosts whose legacy calls it serves.
    capture_domains: Vec<String>,
    /// How many clients it has.
    clients: usize,
    /// Whether it is the default application (of legacy calls that name no other).
    default: bool,
}

impl AppListed {
    fn new(summary: AppSummary, default_app: &AppId) -> Self {
        Self {
            default: &summary.app_id == default_app,
            app_id: summary.app_id.to_string(),
            capture_domains: names(&summary.capture_domains),
            clients: summary.clients,
        }
    }
}

/// `{"apps": [...]}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AppList {
    /// Every application, in the order they were made.
    apps: Vec<AppListed>,
}

/// A new application: what a test needs to point a client library at it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AppCreated {
    /// Its id.
    app_id: String,
    /// The hosts whose legacy calls it serves (legacy calls find it by their credentials too).
    capture_domains: Vec<String>,
    /// Its owner client's id.
    owner_client_id: String,
    /// Its owner client's secret.
    owner_client_secret: String,
    /// The base URL to give a legacy client library, as seen from the caller's own `Host`.
    legacy_base_url: String,
    /// The base URL of its Configuration API (`.../config/{appId}`).
    config_base_url: String,
    /// How many clients it has, the owner included.
    clients: usize,
}

/// `POST /__emulator/apps`: a new application holding its owner client, and whatever else the
/// body says.
#[utoipa::path(
    post,
    path = "/__emulator/apps",
    summary = "Make an isolated application",
    request_body(content = Object, description = "Optional: an application as the fixture format writes it (`app_id`, `capture_domains`, `clients`, `settings`), and `owner_client_id` / `owner_client_secret`; what is left out is generated"),
    responses(
        (status = 201, description = "Made", body = AppCreated),
        (status = 400, description = "An invalid application", body = ErrorBody),
        (status = 409, description = "Its id, a capture domain or a client id is taken, or there are as many applications as allowed", body = ErrorBody)
    )
)]
pub async fn create(
    State(state): State<ServerState>,
    headers: HeaderMap,
    OptionalJson(mut body): OptionalJson,
) -> Result<(StatusCode, Json<AppCreated>), ControlError> {
    let owner_id = take_string(&mut body, "owner_client_id")?;
    let owner_secret = take_string(&mut body, "owner_client_secret")?;
    let generated_id = !body.contains_key("app_id");
    // A generated id that happens to be taken is drawn again; a given one is the caller's.
    for _ in 0..8 {
        let mut spec = body.clone();
        if generated_id {
            spec.insert(
                "app_id".into(),
                Value::String(state.store.generated_app_id().to_string()),
            );
        }
        let mut app = FixtureApp::parse(&Value::Object(spec))
            .map_err(|e| ControlError::Invalid(e.to_string()))?;
        if !body.contains_key("capture_domains") {
            app.capture_domains = vec![default_capture_domain(&app.app_id)];
        }
        let owner = owner_of(
            &state,
            &mut app,
            owner_id.as_deref(),
            owner_secret.as_deref(),
        )?;
        let summary = (app.capture_domains.clone(), app.clients.len());
        let app_id = app.app_id.clone();
        match state.store.create_app(app) {
            Ok(()) => {
                let base = base_url(&headers);
                return Ok((
                    StatusCode::CREATED,
                    Json(AppCreated {
                        app_id: app_id.to_string(),
                        capture_domains: names(&summary.0),
                        owner_client_id: owner.id.to_string(),
                        owner_client_secret: owner.secret.expose().to_owned(),
                        config_base_url: format!("{base}/config/{app_id}"),
                        legacy_base_url: base,
                        clients: summary.1,
                    }),
                ));
            }
            Err(StoreError::AppExists(_)) if generated_id => {}
            Err(error) => return Err(error.into()),
        }
    }
    Err(ControlError::Api(ApiError::Internal(
        "no free application id was found".into(),
    )))
}

/// The application's owner: a client of the body with `owner_client_id` (which must have the
/// `owner` feature), else a new client with that id (or a generated one) and the given secret
/// (or a generated one). Without `owner_client_id`, the body's first owner client, if any.
fn owner_of(
    state: &ServerState,
    app: &mut FixtureApp,
    id: Option<&str>,
    secret: Option<&str>,
) -> Result<Client, ControlError> {
    let invalid = |text: String| ControlError::Invalid(text);
    let found = match id {
        Some(id) => app.clients.iter().find(|c| c.id.as_str() == id),
        None if secret.is_none() => app
            .clients
            .iter()
            .find(|c| c.features.contains(Feature::Owner)),
        None => None,
    };
    if let Some(client) = found {
        if !client.features.contains(Feature::Owner) {
            return Err(invalid(format!(
                "owner_client_id: client {} of the application has no owner feature",
                client.id
            )));
        }
        if secret.is_some_and(|secret| !client.secret.matches(secret)) {
            return Err(invalid(format!(
                "owner_client_secret: client {} of the application has another secret",
                client.id
            )));
        }
        return Ok(client.clone());
    }
    let id = match id {
        Some(id) => ClientId::parse(id).map_err(|e| invalid(format!("owner_client_id: {e}")))?,
        None => ClientId::generated(state.store.ids().client_token()),
    };
    let secret = match secret {
        Some(secret) => ClientSecret::new(secret)
            .ok_or_else(|| invalid("owner_client_secret: must not be empty".into()))?,
        None => ClientSecret::generated(state.store.ids().client_token()),
    };
    let owner = Client::owner(id, secret, ClientName::known(APP_OWNER_CLIENT_NAME));
    app.clients.insert(0, owner.clone());
    Ok(owner)
}

fn take_string(body: &mut Map<String, Value>, field: &str) -> Result<Option<String>, ControlError> {
    match body.remove(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(ControlError::Invalid(format!("{field} must be a string"))),
    }
}

/// Capture domains as the control plane's answers write them.
fn names(domains: &[CaptureDomain]) -> Vec<String> {
    domains.iter().map(ToString::to_string).collect()
}

/// `http://<the caller's Host>`: the emulator as the caller reaches it.
fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .filter(|host| CaptureDomain::of_host(host).is_ok())
        .unwrap_or("127.0.0.1:8080");
    format!("http://{host}")
}

/// `GET /__emulator/apps`: every application, with its capture domains and number of clients.
#[utoipa::path(
    get,
    path = "/__emulator/apps",
    summary = "Every application",
    responses((status = 200, description = "The applications, in the order they were made", body = AppList))
)]
pub async fn list(State(state): State<ServerState>) -> Json<AppList> {
    let apps = state
        .store
        .apps()
        .into_iter()
        .map(|summary| AppListed::new(summary, &state.default_app))
        .collect();
    Json(AppList { apps })
}

/// The application a control path such as `/__emulator/apps/{app_id}` names: 404 when the
/// segment is no application id at all, as when no application has it.
#[derive(Debug)]
pub struct AppInPath(pub AppId);

impl FromRequestParts<ServerState> for AppInPath {
    type Rejection = ControlError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &ServerState,
    ) -> Result<Self, ControlError> {
        let ControlPath(segment) = ControlPath::from_request_parts(parts, state).await?;
        AppId::parse(&segment)
            .map(Self)
            .map_err(|_| ControlError::NotFound("no such application".into()))
    }
}

/// `GET /__emulator/apps/{appId}`.
#[utoipa::path(
    get,
    path = "/__emulator/apps/{app_id}",
    summary = "One application",
    params(("app_id" = String, Path, description = "The application id")),
    responses(
        (status = 200, description = "The application", body = AppListed),
        (status = 404, description = "No such application", body = ErrorBody)
    )
)]
pub async fn get(
    State(state): State<ServerState>,
    AppInPath(app): AppInPath,
) -> Result<Json<AppListed>, ControlError> {
    let summary = state.store.app_summary(&app)?;
    Ok(Json(AppListed::new(summary, &state.default_app)))
}

/// `DELETE /__emulator/apps/{appId}`: the application, its clients and settings are gone at
/// once. The default application stays: legacy calls that name no other go to it.
#[utoipa::path(
    delete,
    path = "/__emulator/apps/{app_id}",
    summary = "Delete an application, its clients and their credentials",
    params(("app_id" = String, Path, description = "The application id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such application", body = ErrorBody),
        (status = 409, description = "The default application", body = ErrorBody)
    )
)]
pub async fn delete(
    State(state): State<ServerState>,
    AppInPath(app): AppInPath,
) -> Result<StatusCode, ControlError> {
    if app == state.default_app {
        return Err(ControlError::Conflict(
            "the default application cannot be deleted: legacy calls that name no other go to it"
                .into(),
        ));
    }
    state.store.delete_app(&app)?;
    // Its fault rules could never fire again.
    state.faults.forget_app(app.as_str());
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /__emulator/apps/{appId}/reset`: that application alone back to how it was when made
/// (or at start, for those of the start).
#[utoipa::path(
    post,
    path = "/__emulator/apps/{app_id}/reset",
    summary = "One application back to how it was made",
    params(("app_id" = String, Path, description = "The application id")),
    responses(
        (status = 200, description = "Reset", body = Status),
        (status = 404, description = "No such application", body = ErrorBody),
        (status = 409, description = "A client id or capture domain it had is another's now", body = ErrorBody)
    )
)]
pub async fn reset(
    State(state): State<ServerState>,
    AppInPath(app): AppInPath,
) -> Result<Json<Status>, ControlError> {
    state.store.reset_app(&app)?;
    Ok(ok())
}

/// `GET /__emulator/apps/{appId}/snapshot`: a fixture document of that application alone.
#[utoipa::path(
    get,
    path = "/__emulator/apps/{app_id}/snapshot",
    summary = "One application, in the fixture format",
    params(("app_id" = String, Path, description = "The application id")),
    responses(
        (status = 200, description = "{\"apps\": [the application]}, ready for --import", body = Object),
        (status = 404, description = "No such application", body = ErrorBody)
    )
)]
pub async fn snapshot(
    State(state): State<ServerState>,
    AppInPath(app): AppInPath,
) -> Result<RenderedJson, ControlError> {
    let one = state.store.app_snapshot(&app)?;
    let bytes = fixture::write_document(&[one.view()], state.store.now());
    Ok(RenderedJson(bytes.into()))
}
