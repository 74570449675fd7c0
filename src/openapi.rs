//! The OpenAPI 3.1 document of every route, served at `/__emulator/openapi.json`.
//!
//! It is generated from the handlers themselves: each family's router is an `OpenApiRouter`
//! whose routes are registered together with their `#[utoipa::path]` description, so a route
//! cannot exist without appearing in the document.

use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ArrayBuilder, ObjectBuilder, RefOr, Schema, Type};
use utoipa::{Modify, OpenApi, PartialSchema, ToSchema};

use crate::family::Family;
use crate::model::{Cidr, ClientId, ClientName, ClientSecret, Feature, Features, Whitelist};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "janrain-emulator",
        description = "A local emulator of the Janrain / Akamai Identity Cloud API-client \
                       management APIs: the legacy Clients and Settings API of the Capture \
                       domain (HTTP 200 with a `stat` envelope on every answer) and the \
                       Configuration API (`/config/{app_id}/clients`, \
                       `/config/{app_id}/settings`), over one store of clients and settings, \
                       plus the emulator's own control plane under `/__emulator/`."
    ),
    modifiers(&SecuritySchemes),
    components(schemas(crate::config_api::Errors, Feature)),
    tags(
        (name = "legacy", description = "Legacy Clients and Settings API (`/clients/*`, `/settings/*`). Parameters may come in the query string or a form body."),
        (name = "config", description = "Configuration API (`/config/{app_id}/clients...`, `/config/{app_id}/settings`). HTTP Basic only."),
        (name = "control", description = "The emulator's control plane (`/__emulator/*`).")
    )
)]
struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "basic",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Basic).build()),
        );
        components.add_security_scheme(
            "janrain_signed",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "Authorization",
                "`Signature <client_id>:<base64 HMAC-SHA1>` with a `Date: YYYY-MM-DD HH:MM:SS` \
                 header (UTC); legacy API only",
            ))),
        );
        components.add_security_scheme(
            "client_id",
            SecurityScheme::ApiKey(ApiKey::Query(ApiKeyValue::new("client_id"))),
        );
        components.add_security_scheme(
            "client_secret",
            SecurityScheme::ApiKey(ApiKey::Query(ApiKeyValue::new("client_secret"))),
        );
    }
}

/// The document's frame (title, security schemes, tags, shared schemas), to which the route
/// table adds every path.
pub fn base() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// The document of a route table: each operation tagged with its family, what every legacy
/// operation shares said once, operation ids made unique.
pub fn finish(mut document: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    family_tags(&mut document);
    legacy_family(&mut document);
    unique_operation_ids(&mut document);
    document
}

/// An operation's family is its path's ([`Family::of`], as the journal and the fault rules
/// tell it), so that no handler repeats it.
fn family_tags(document: &mut utoipa::openapi::OpenApi) {
    for (path, item) in document.paths.paths.iter_mut() {
        let tag = match Family::of(path) {
            Family::Legacy => "legacy",
            Family::ConfigApi => "config",
            Family::Control => "control",
        };
        for (_, operation) in operations(item) {
            operation.tags = Some(vec![tag.to_owned()]);
        }
    }
}

/// The operations of a path, with their methods: the four the routes use.
fn operations(item: &mut PathItem) -> impl Iterator<Item = (&'static str, &mut Operation)> {
    [
        ("get", &mut item.get),
        ("post", &mut item.post),
        ("put", &mut item.put),
        ("delete", &mut item.delete),
    ]
    .into_iter()
    .filter_map(|(method, operation)| Some((method, operation.as_mut()?)))
}

/// What every legacy operation has, written here once rather than on each handler: its three
/// forms of credentials, and its one status (a 200 answer without a description of its own gets
/// the family's).
fn legacy_family(document: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::security::SecurityRequirement;
    let none: [&str; 0] = [];
    let security = vec![
        SecurityRequirement::new("basic", none),
        SecurityRequirement::new("janrain_signed", none),
        SecurityRequirement::new("client_id", none).add("client_secret", none),
    ];
    for item in document.paths.paths.values_mut() {
        for (_, operation) in operations(item) {
            let legacy = operation
                .tags
                .as_ref()
                .is_some_and(|tags| tags.iter().any(|tag| tag == "legacy"));
            if !legacy {
                continue;
            }
            operation.security = Some(security.clone());
            if let Some(RefOr::T(answer)) = operation.responses.responses.get_mut("200")
                && answer.description.is_empty()
            {
                answer.description = LEGACY_ANSWER.to_owned();
            }
        }
    }
}

/// The description of every legacy answer.
const LEGACY_ANSWER: &str = "Always HTTP 200: `stat` is `ok` or `error`";

/// Operation ids come from handler names, which repeat across families (`list`) and across the
/// methods one legacy handler serves (GET and POST). OpenAPI wants them unique: prefix the tag,
/// and suffix the method where that is not enough.
fn unique_operation_ids(document: &mut utoipa::openapi::OpenApi) {
    let mut seen = std::collections::HashSet::new();
    for item in document.paths.paths.values_mut() {
        for (method, operation) in operations(item) {
            let tag = operation
                .tags
                .as_ref()
                .and_then(|tags| tags.first().cloned())
                .unwrap_or_default();
            let name = operation.operation_id.clone().unwrap_or_default();
            let mut id = format!("{tag}_{name}");
            if !seen.insert(id.clone()) {
                id = format!("{id}_{method}");
                seen.insert(id.clone());
            }
            operation.operation_id = Some(id);
        }
    }
}

fn string_schema(description: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .into()
}

fn string_array(description: &str) -> RefOr<Schema> {
    ArrayBuilder::new()
        .items(ObjectBuilder::new().schema_type(Type::String))
        .description(Some(description))
        .into()
}

impl PartialSchema for ClientId {
    fn schema() -> RefOr<Schema> {
        string_schema("A client id: 32 lower-case letters and digits when generated")
    }
}
impl ToSchema for ClientId {}

impl PartialSchema for ClientSecret {
    fn schema() -> RefOr<Schema> {
        string_schema("A client secret: 32 lower-case letters and digits when generated")
    }
}
impl ToSchema for ClientSecret {}

impl PartialSchema for ClientName {
    fn schema() -> RefOr<Schema> {
        string_schema("A client's name (the legacy API's description)")
    }
}
impl ToSchema for ClientName {}

impl PartialSchema for Cidr {
    fn schema() -> RefOr<Schema> {
        string_schema("An IPv4 CIDR block, such as 10.0.0.0/8")
    }
}
impl ToSchema for Cidr {}

impl PartialSchema for Whitelist {
    fn schema() -> RefOr<Schema> {
        string_array("An IP allowlist of IPv4 CIDR blocks; [\"0.0.0.0/0\"] admits every address")
    }
}
impl ToSchema for Whitelist {}

impl PartialSchema for Feature {
    fn schema() -> RefOr<Schema> {
        let names = Feature::ALL.map(Feature::as_str);
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(names))
            .description(Some("A client feature (permission set)"))
            .into()
    }
}
impl ToSchema for Feature {}

impl PartialSchema for Features {
    fn schema() -> RefOr<Schema> {
        ArrayBuilder::new()
            .items(Feature::schema())
            .description(Some("A client's features"))
            .into()
    }
}
impl ToSchema for Features {}
