//! Try it: one function of a tenant through the full pipeline (validation, the plugin, the
//! contract, the invocation log), from a form generated from the function's input JSON Schema.
//! Plain fields (text, numbers, yes/no) get an input each; nested ones share a JSON box.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use ponte_contract::{Access, Function, Scope};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::session::Session;
use super::{Fields, Frame, chosen_tenant, failed, render, tenant_ids};
use crate::api::AppState;
use crate::invoke::Host;
use crate::operator;
use crate::problem::{Problem, ProblemCode};
use crate::store::Caller;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/console/try", get(form).post(run))
}

struct Field {
    name: String,
    required: bool,
    description: String,
    hint: String,
    value: String,
}

#[derive(askama::Template)]
#[template(path = "console/try.html")]
struct TryPage {
    frame: Frame,
    tenant: String,
    tenants: Vec<String>,
    functions: Vec<&'static str>,
    function: String,
    summary: String,
    fields: Vec<Field>,
    json_fields: String,
    json: String,
    result: String,
    result_status: String,
    invocation_id: String,
}

#[derive(Deserialize, Default)]
struct Choice {
    tenant: Option<String>,
    function: Option<String>,
}

/// How a top-level property is entered: a plain value, or in the JSON box.
enum Kind {
    Text,
    Integer,
    Boolean,
    Json,
}

fn kind(property: &Value) -> Kind {
    let types: Vec<&str> = match &property["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let types: Vec<&str> = types.into_iter().filter(|t| *t != "null").collect();
    match types.as_slice() {
        ["string"] => Kind::Text,
        ["integer"] | ["number"] => Kind::Integer,
        ["boolean"] => Kind::Boolean,
        _ => Kind::Json,
    }
}

/// The input's top-level properties: `(name, property, required)`.
fn properties(function: Function) -> Vec<(String, Value, bool)> {
    let schema = serde_json::to_value(ponte_contract::schema::input_schema(function)).unwrap_or_default();
    let required: Vec<&str> =
        schema["required"].as_array().map(|r| r.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
    schema["properties"]
        .as_object()
        .map(|p| {
            p.iter()
                .map(|(name, property)| (name.clone(), resolved(&schema, property), required.contains(&name.as_str())))
                .collect()
        })
        .unwrap_or_default()
}

/// A property as a form shows it: a reference to a definition (the contract's formats, such as
/// `DocumentText`) replaced by the definition, an optional one (`anyOf` with `null`) by its
/// other branch; the property's own description kept.
fn resolved(root: &Value, property: &Value) -> Value {
    let mut shown = property.clone();
    if let Some(branches) = property["anyOf"].as_array() {
        let mut others = branches.iter().filter(|b| b["type"] != "null");
        if let (Some(only), None) = (others.next(), others.next()) {
            shown = only.clone();
        }
    }
    if let Some(name) = shown["$ref"].as_str().and_then(|r| r.strip_prefix("#/$defs/")) {
        shown = root["$defs"][name].clone();
    }
    if let Some(description) = property.get("description") {
        shown["description"] = description.clone();
    }
    shown
}

fn page(
    session: &Session,
    tenant: String,
    tenants: Vec<String>,
    function: Option<Function>,
    values: &Fields,
) -> TryPage {
    let mut fields = Vec::new();
    let mut json_fields = Vec::new();
    if let Some(function) = function {
        for (name, property, required) in properties(function) {
            match kind(&property) {
                Kind::Json => json_fields.push(name),
                kind => fields.push(Field {
                    value: values.text(&format!("field.{name}")),
                    hint: match kind {
                        Kind::Integer => "123".into(),
                        Kind::Boolean => "true / false".into(),
                        _ => String::new(),
                    },
                    description: property["description"].as_str().unwrap_or_default().to_owned(),
                    name,
                    required,
                }),
            }
        }
    }
    TryPage {
        frame: Frame::of(session),
        tenant,
        tenants,
        functions: Function::all().map(|f| f.as_str()).collect(),
        function: function.map(|f| f.as_str().to_owned()).unwrap_or_default(),
        summary: function.map(|f| f.spec().summary.to_owned()).unwrap_or_default(),
        fields,
        json_fields: json_fields.join(", "),
        json: values.text("json"),
        result: String::new(),
        result_status: String::new(),
        invocation_id: String::new(),
    }
}

/// `GET /console/try?tenant=&function=`.
async fn form(State(state): State<AppState>, session: Session, Query(choice): Query<Choice>) -> Response {
    let tenants = tenant_ids(&state, &session).await;
    let tenant = chosen_tenant(&session, choice.tenant.as_deref(), &tenants);
    let function = choice.function.as_deref().and_then(|f| f.parse::<Function>().ok());
    render(&page(&session, tenant, tenants, function, &Fields(Vec::new())))
}

/// The input the form describes.
fn input(function: Function, fields: &Fields) -> Result<Value, Problem> {
    let mut object = match fields.text("json") {
        text if text.is_empty() => Map::new(),
        text => match serde_json::from_str::<Value>(&text) {
            Ok(Value::Object(map)) => map,
            _ => return Err(Problem::new(ProblemCode::InvalidInput, "the JSON box must hold an object")),
        },
    };
    for (name, property, _) in properties(function) {
        let text = fields.text(&format!("field.{name}"));
        if text.is_empty() {
            continue;
        }
        let value = match kind(&property) {
            Kind::Integer => text.parse::<i64>().map(Value::from).unwrap_or(Value::String(text)),
            Kind::Boolean => Value::Bool(matches!(text.as_str(), "true" | "sim" | "yes" | "1")),
            Kind::Text | Kind::Json => Value::String(text),
        };
        object.insert(name, value);
    }
    Ok(Value::Object(object))
}

/// `POST /console/try`: runs it as the session's key (a platform key: as an admin of the chosen
/// tenant); a writing function gets a fresh `Idempotency-Key`.
async fn run(State(state): State<AppState>, session: Session, body: Bytes) -> Response {
    let fields = Fields::parse(&body);
    if let Some(refused) = session.refuse_unless(fields.get("csrf")) {
        return refused;
    }
    let tenants = tenant_ids(&state, &session).await;
    let tenant = chosen_tenant(&session, fields.get("tenant"), &tenants);
    let Some(function) = fields.get("function").and_then(|f| f.parse::<Function>().ok()) else {
        return failed(&session, &Problem::new(ProblemCode::UnknownFunction, "choose a function of the contract"));
    };
    if let Err(problem) = operator::tenants::reach(&session.caller, &tenant) {
        return failed(&session, &problem);
    }
    // A try is a call: it counts against the key's rate as the API's calls do.
    if let Err(wait) = state.host.key_rates.check(&session.caller.key_id) {
        let problem = Problem::new(ProblemCode::RateLimited, "this key sent too many requests a second; slow down")
            .retry_after(wait);
        return failed(&session, &problem);
    }
    let caller = Caller { key_id: session.caller.key_id.clone(), tenant: tenant.clone(), scopes: vec![Scope::Admin] };
    let mut shown = page(&session, tenant, tenants, Some(function), &fields);
    let body = match input(function, &fields) {
        Ok(input) => input.to_string(),
        Err(problem) => return failed(&session, &problem),
    };
    let id = crate::problem::new_invocation_id();
    let key = (function.spec().access == Access::Write).then(|| format!("console-{}", uuid::Uuid::new_v4()));
    let answer = match Host::authorize(&caller, function) {
        Ok(authorized) => state.host.call(authorized, body.as_bytes(), &id, key.as_deref()).await,
        Err(problem) => Err(problem),
    };
    let (status, output) = match answer {
        Ok(answer) => (answer.status, answer.output.value()),
        Err(problem) => (problem.code.status().as_u16(), problem.body()),
    };
    shown.result = serde_json::to_string_pretty(&output).unwrap_or_default();
    shown.result_status = status.to_string();
    shown.invocation_id = id;
    render(&shown)
}
