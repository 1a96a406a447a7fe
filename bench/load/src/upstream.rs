//! The ERP stand-in: `GET /invoices?document=…` answers ten invoices, the same for every
//! customer, after a configurable latency, and counts the requests it served.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use bytes::Bytes;
use serde_json::json;

/// A running stand-in.
pub struct Upstream {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    requests: Arc<AtomicU64>,
}

impl Upstream {
    /// Requests served so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
}

#[derive(Clone)]
struct Shared {
    body: Bytes,
    latency: Duration,
    requests: Arc<AtomicU64>,
}

/// Ten open invoices in the shape the adapters and proxies map (an IXC-like record): valid
/// boleto lines and PIX codes, so Ponte's enforcement does its full work on each.
pub fn invoices() -> serde_json::Value {
    let rows: Vec<_> = (1..=10)
        .map(|i| {
            json!({
                "id": format!("{}", 1000 + i),
                "cliente": "Maria Aparecida da Silva",
                "valor": "99.90",
                "valor_aberto": "99.90",
                "juros": "0.00",
                "multa": "0.00",
                "data_emissao": "2026-03-31",
                "data_vencimento": "2026-04-10",
                "obs": "Fibra 300 Mega",
                "linha_digitavel": "00190000090312855700000001001171114120000009990",
                "codigo_barras": "00191141200000099900000003128557000000100117",
                "pix": "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***63041D3D",
            })
        })
        .collect();
    serde_json::Value::Array(rows)
}

/// Starts the stand-in on a loopback port.
///
/// # Errors
/// When it can't bind.
pub async fn start(latency: Duration) -> anyhow::Result<Upstream> {
    let requests = Arc::new(AtomicU64::new(0));
    let shared = Shared { body: Bytes::from(invoices().to_string()), latency, requests: requests.clone() };
    let app = Router::new().route("/invoices", get(list)).with_state(shared);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(Upstream { url, requests })
}

async fn list(State(shared): State<Shared>) -> impl IntoResponse {
    shared.requests.fetch_add(1, Ordering::Relaxed);
    if !shared.latency.is_zero() {
        tokio::time::sleep(shared.latency).await;
    }
    ([(header::CONTENT_TYPE, "application/json")], shared.body.clone())
}
