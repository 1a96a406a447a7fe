//! The baselines: what a team would write by hand instead of Ponte. An axum server that takes
//! `{"customer_document_number": …}`, makes the same upstream call as the bench plugins
//! (`tests/plugins/bench-*`) with reqwest, renames the same fields, and answers JSON; no keys,
//! no validation, no enforcement, no log. `POST /rust` maps in Rust; `POST /rhai` maps with a
//! Rhai script compiled once (`map.rhai`), run off the async workers as Ponte runs its scripts.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The Rhai baseline's mapping: the bench plugin's loop, as a function of the rows.
const MAP_SCRIPT: &str = include_str!("map.rhai");

#[derive(Deserialize)]
struct Input {
    customer_document_number: String,
}

#[derive(Deserialize)]
struct Row {
    id: String,
    cliente: String,
    valor: String,
    valor_aberto: String,
    juros: String,
    multa: String,
    data_emissao: String,
    data_vencimento: String,
    obs: String,
    linha_digitavel: String,
    codigo_barras: String,
    pix: String,
}

/// The contract's invoice fields, as the Rust baseline fills them.
#[derive(Serialize)]
struct Fatura {
    document_number: String,
    fatura: String,
    remote_id: String,
    code_fatura: String,
    nome_cliente: String,
    valor_inicial: String,
    valor_final: String,
    juros: String,
    multa: String,
    emissao: String,
    vencimento: String,
    historico: String,
    link_boleto: String,
    identifier: String,
    linha_digitavel: String,
    codigo_barras: String,
    pix_code: String,
}

struct Shared {
    client: reqwest::Client,
    upstream: String,
    engine: rhai::Engine,
    ast: rhai::AST,
}

/// Starts both baselines on one loopback port; answers its URL.
///
/// # Errors
/// When it can't bind or the mapping script doesn't compile.
pub async fn start(upstream: &str) -> anyhow::Result<String> {
    let engine = rhai::Engine::new();
    let ast = engine.compile(MAP_SCRIPT)?;
    let shared = Arc::new(Shared { client: reqwest::Client::new(), upstream: upstream.to_owned(), engine, ast });
    let app = Router::new().route("/rust", post(rust)).route("/rhai", post(rhai)).with_state(shared);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(url)
}

fn failed(e: impl std::fmt::Display) -> Response {
    (StatusCode::BAD_GATEWAY, e.to_string()).into_response()
}

async fn fetch(shared: &Shared, document: &str) -> Result<bytes::Bytes, Response> {
    let url = format!("{}/invoices?document={document}", shared.upstream);
    let response = shared.client.get(url).send().await.map_err(failed)?;
    if !response.status().is_success() {
        return Err(failed(response.status()));
    }
    response.bytes().await.map_err(failed)
}

async fn rust(State(shared): State<Arc<Shared>>, Json(input): Json<Input>) -> Response {
    let document = input.customer_document_number;
    let body = match fetch(&shared, &document).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let rows: Vec<Row> = match serde_json::from_slice(&body) {
        Ok(rows) => rows,
        Err(e) => return failed(e),
    };
    let out: Vec<Fatura> = rows
        .into_iter()
        .map(|row| Fatura {
            document_number: document.clone(),
            fatura: row.id.clone(),
            remote_id: row.id.clone(),
            code_fatura: row.id,
            nome_cliente: row.cliente,
            valor_inicial: row.valor,
            valor_final: row.valor_aberto,
            juros: row.juros,
            multa: row.multa,
            emissao: row.data_emissao,
            vencimento: row.data_vencimento,
            historico: row.obs,
            link_boleto: String::new(),
            identifier: String::new(),
            linha_digitavel: row.linha_digitavel,
            codigo_barras: row.codigo_barras,
            pix_code: row.pix,
        })
        .collect();
    Json(out).into_response()
}

async fn rhai(State(shared): State<Arc<Shared>>, Json(input): Json<Input>) -> Response {
    let document = input.customer_document_number;
    let body = match fetch(&shared, &document).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let rows: Value = match serde_json::from_slice(&body) {
        Ok(rows) => rows,
        Err(e) => return failed(e),
    };
    let mapped = tokio::task::spawn_blocking(move || {
        let rows = ponte_host::runtime::rhai::convert::to_dynamic(&rows);
        let out: rhai::Dynamic = shared
            .engine
            .call_fn(&mut rhai::Scope::new(), &shared.ast, "map", (rows, document))
            .map_err(|e| e.to_string())?;
        ponte_host::runtime::rhai::convert::to_json(&out).map_err(|e| e.to_string())
    })
    .await;
    match mapped {
        Ok(Ok(out)) => Json(out).into_response(),
        Ok(Err(e)) => failed(e),
        Err(e) => failed(e),
    }
}
