//! `ponte plugin new`: a plugin folder that passes `ponte plugin test --replay` from the start.
//!
//! The generated adapter talks to a small, typical REST ERP (customers by CPF/CNPJ, open
//! invoices by customer, one invoice by id, products; a bearer token), written to be replaced
//! piece by piece with the author's ERP's calls. Its fixtures are recorded here, by running the
//! conformance scenarios against [`example_erp`], a stand-in of that ERP, so the folder starts
//! green and the author sees what a recording looks like.

mod rhai;
pub mod rust;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use ponte_contract::Function;
use ponte_contract::normalize::pix::PixCode;
use serde_json::{Value, json};

use super::conformance::{self, Fixtures, Mode};
use super::{Session, SessionOptions};
use crate::capabilities::http::HttpResponse;
use crate::capabilities::http::exchange::Responder;

/// The functions the scaffold has code for, and the default selection.
pub const TEMPLATES: &[Function] = &[
    Function::GetCustomer,
    Function::GetCustomerContacts,
    Function::ListInvoices,
    Function::ListTotemInvoices,
    Function::GetInvoice,
    Function::GetBoletoPdf,
    Function::ListProducts,
];

/// One runtime's code for each of the [`TEMPLATES`].
struct Code {
    get_customer: &'static str,
    get_customer_contacts: &'static str,
    list_invoices: &'static str,
    list_totem_invoices: &'static str,
    get_invoice: &'static str,
    get_boleto_pdf: &'static str,
    list_products: &'static str,
}

impl Code {
    /// The code for `function`, one of the [`TEMPLATES`] (checked before any code is written).
    fn of(&self, function: Function) -> &'static str {
        match function {
            Function::GetCustomer => self.get_customer,
            Function::GetCustomerContacts => self.get_customer_contacts,
            Function::ListInvoices => self.list_invoices,
            Function::ListTotemInvoices => self.list_totem_invoices,
            Function::GetInvoice => self.get_invoice,
            Function::GetBoletoPdf => self.get_boleto_pdf,
            _ => self.list_products,
        }
    }
}

/// Selected when `--functions` is not given.
pub const DEFAULT_FUNCTIONS: &[Function] = &[Function::GetCustomer, Function::ListInvoices, Function::GetInvoice];

/// The example ERP's address in the generated settings.
const EXAMPLE_URL: &str = "https://erp.example.com";

/// Why a scaffold was not made.
#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    /// A plugin name must be lower-case letters, digits and `-`.
    #[error("`{0}` is not a plugin name: use lower-case letters, digits and `-`, starting with a letter")]
    BadName(String),
    /// The folder exists.
    #[error("{0} already exists; choose another name or folder")]
    Exists(PathBuf),
    /// A function the scaffold has no code for.
    #[error("the scaffold has no code for `{0}` yet; it has: {1}")]
    NoTemplate(Function, String),
    /// Writing failed.
    #[error("{0}: {1}")]
    Io(PathBuf, std::io::Error),
    /// The generated Rust plugin did not build (no Rust toolchain, no network for the
    /// dependencies, the target not installable).
    #[error("the generated plugin did not build:\n{0}")]
    Build(String),
    /// The generated plugin failed its own scenarios (a bug in Ponte: please report it).
    #[error("the generated plugin does not pass its scenarios (a bug in Ponte):\n{0}")]
    Broken(String),
}

/// The runtime a scaffold is written for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Runtime {
    /// `main.rhai`, run by the host's Rhai engine.
    Rhai,
    /// A Rust crate on the PDK, built into `plugin.wasm` (`wasm32-wasip2`) by `ponte plugin
    /// build`; the PDK from where [`rust::Pdk`] says.
    Rust(rust::Pdk),
}

/// Writes a plugin named `name` serving `functions` (the [`DEFAULT_FUNCTIONS`] when empty) for
/// `runtime` into `parent/name`, builds it when it is Rust, records its fixtures against the
/// example ERP, and returns the folder. Nothing is left behind when a step fails.
///
/// # Errors
/// A [`ScaffoldError`].
pub async fn new_plugin(
    parent: &Path,
    name: &str,
    runtime: Runtime,
    functions: &[Function],
) -> Result<PathBuf, ScaffoldError> {
    let valid = name.len() <= 40
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !valid {
        return Err(ScaffoldError::BadName(name.to_owned()));
    }
    let available = || TEMPLATES.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
    let mut chosen: Vec<Function> = Vec::new();
    for function in functions {
        if !TEMPLATES.contains(function) {
            return Err(ScaffoldError::NoTemplate(*function, available()));
        }
        if !chosen.contains(function) {
            chosen.push(*function);
        }
    }
    if chosen.is_empty() {
        chosen = DEFAULT_FUNCTIONS.to_vec();
    }
    let folder = parent.join(name);
    if folder.exists() {
        return Err(ScaffoldError::Exists(folder));
    }
    // Made in a hidden folder beside it and renamed when whole: a failure, or a Ctrl-C during
    // the build, never leaves a half-made plugin under the name.
    // (The folder keeps its name inside it: a manifest's name is its folder's.)
    let staging = parent.join(format!(".ponte-new-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    let made = write_and_record(&staging.join(name), name, &runtime, &chosen).await.and_then(|()| {
        if folder.exists() {
            return Err(ScaffoldError::Exists(folder.clone()));
        }
        std::fs::rename(staging.join(name), &folder).map_err(|e| ScaffoldError::Io(folder.clone(), e))
    });
    let _ = std::fs::remove_dir_all(&staging);
    made.map(|()| folder)
}

async fn write_and_record(
    folder: &Path,
    name: &str,
    runtime: &Runtime,
    functions: &[Function],
) -> Result<(), ScaffoldError> {
    let write = |file: &str, text: &str| {
        let path = folder.join(file);
        std::fs::create_dir_all(path.parent().unwrap_or(folder)).map_err(|e| ScaffoldError::Io(path.clone(), e))?;
        std::fs::write(&path, text).map_err(|e| ScaffoldError::Io(path.clone(), e))
    };
    match runtime {
        Runtime::Rhai => {
            write("plugin.toml", &manifest(name, "runtime = \"rhai\"", functions))?;
            write("main.rhai", &rhai::script(name, functions))?;
        }
        Runtime::Rust(pdk) => {
            write("plugin.toml", &manifest(name, rust::RUNTIME, functions))?;
            write("Cargo.toml", &rust::cargo_toml(name, pdk))?;
            write("src/lib.rs", &rust::source(name, functions))?;
            write(".gitignore", rust::GITIGNORE)?;
            write("rustfmt.toml", rust::RUSTFMT)?;
            if let Some(lock) = pdk.lock_file() {
                // The versions the PDK was tested with; cargo drops what the plugin doesn't use.
                let target = folder.join("Cargo.lock");
                std::fs::copy(&lock, &target).map_err(|e| ScaffoldError::Io(target, e))?;
            }
        }
    }
    write(conformance::PLAN_FILE, &plan(name))?;
    write("README.md", &readme(name, runtime))?;
    if matches!(runtime, Runtime::Rust(_)) {
        let plugin = folder.to_owned();
        tokio::task::spawn_blocking(move || super::component::build(&plugin))
            .await
            .map_err(|e| ScaffoldError::Build(e.to_string()))?
            .map_err(|e| ScaffoldError::Build(e.to_string()))?;
    }
    record_fixtures(folder).await
}

/// Runs the scenarios against the stand-in ERP and saves what was exchanged.
async fn record_fixtures(folder: &Path) -> Result<(), ScaffoldError> {
    let settings = BTreeMap::from([
        ("base_url".to_owned(), EXAMPLE_URL.to_owned()),
        ("token".to_owned(), "example-token".to_owned()),
    ]);
    let options = SessionOptions {
        plugin: folder.to_owned(),
        settings,
        allow_private: Vec::new(),
        timeout: Duration::from_secs(10),
        clock: None,
    };
    let broken = |e: String| ScaffoldError::Broken(e);
    let mut session = Session::start(options).await.map_err(|e| broken(e.to_string()))?;
    session.serve(Responder(Arc::new(example_erp)));
    let plan = conformance::read_plan(folder).map_err(|e| broken(e.to_string()))?;
    let (outcomes, mut recorded) = conformance::run(&mut session, &plan.roles, Mode::Live, &Fixtures::default()).await;
    if outcomes.iter().any(|o| !o.passed()) {
        return Err(broken(conformance::render(&outcomes)));
    }
    recorded.settings = session.recordable_settings();
    recorded.allow_private = Vec::new();
    conformance::write_fixtures(folder, &recorded).map_err(|e| broken(e.to_string()))?;
    Ok(())
}

/// The manifest; `runtime` is its `runtime = ...` line and what follows it (an `entry`).
fn manifest(name: &str, runtime: &str, functions: &[Function]) -> String {
    let list: String = functions.iter().map(|f| format!("    \"{f}\",\n")).collect();
    format!(
        r#"# The plugin's manifest: what it serves, where it may connect, what it needs.
# Reference: docs/plugin-authors.md (Manifest).
name = "{name}"
version = "0.1.0"
{runtime}
description = "{name}: a Ponte adapter (generated by `ponte plugin new`)"
functions = [
{list}]
# The only hosts the plugin may call: `{{base_url}}` is the origin of the `base_url` setting.
hosts = ["{{base_url}}"]

[settings.base_url]
description = "The ERP's address, e.g. https://erp.example.com"

[settings.token]
description = "The API token the ERP issued for Ponte"
secret = true
"#
    )
}

fn plan(name: &str) -> String {
    let variable = name.to_ascii_uppercase().replace('-', "_");
    format!(
        r#"# `ponte plugin test` and `ponte plugin record`: who plays each role among the ERP's test
# customers, and the live ERP. Reference: docs/plugin-authors.md (Testing).
[roles]
customer = "714.602.380-01"       # has open invoices and contacts
no_invoices = "384.919.530-94"    # a customer without open invoices
company = "12.ABC.345/01DE-35"    # a company (alphanumeric CNPJ)
# unknown = "529.982.247-25"      # a valid CPF that is nobody's (this one by default)
# invoice = "5001"                # one of `customer`'s open invoices (the first listed by default)

[live]
settings = {{ base_url = "{EXAMPLE_URL}", token = "${{env:{variable}_TOKEN}}" }}
# allow_private = ["127.0.0.1"]   # when the ERP lives on a private address
# timeout = "20s"
"#
    )
}

fn readme(name: &str, runtime: &Runtime) -> String {
    let (code, build) = match runtime {
        Runtime::Rhai => ("`main.rhai`", String::new()),
        Runtime::Rust(_) => (
            "`src/lib.rs` (a Rust crate on the PDK, `ponte-pdk`, built into `plugin.wasm`)",
            format!(
                "ponte plugin build {name}                  # cargo build --release --target wasm32-wasip2, copied to plugin.wasm\n\
                 cargo doc --open --manifest-path {name}/Cargo.toml   # the PDK's reference\n"
            ),
        ),
    };
    let built = match runtime {
        Runtime::Rhai => "",
        Runtime::Rust(_) => {
            "\n`ponte plugin test`, `ponte plugin record`, `ponte invoke` and `ponte dev` build the plugin\nfirst, so they always run the code as it is now.\n"
        }
    };
    format!(
        r#"# {name}

A Ponte adapter, generated by `ponte plugin new`: {code}. It starts out talking to an
example REST ERP; replace its calls with your ERP's, one function at a time, following
`docs/plugin-authors.md`.

```sh
{build}ponte plugin test {name} --replay          # the scenarios, against fixtures/recorded.json
ponte invoke {name} list_invoices --input '{{"customer_document_number": "714.602.380-01"}}'
ponte plugin record {name}                 # run the scenarios against the live ERP (test.toml) and save them
ponte dev {name}                           # serve it, reloaded on every save
```
{built}"#
    )
}

/// The stand-in ERP the scaffold's fixtures are recorded against: three customers (one with
/// two open invoices, one with none, a company with one), two products, a bearer token; an
/// unknown record is a 404, but an unknown boleto an error inside an HTTP 200, as many ERPs
/// answer it.
pub fn example_erp(method: &str, url: &url::Url, _body: &[u8]) -> HttpResponse {
    let answer = |status: u16, body: Value| HttpResponse {
        status,
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.to_string().into_bytes(),
    };
    if method != "GET" {
        return answer(405, json!({ "erro": "método não permitido" }));
    }
    let query: BTreeMap<String, String> = url.query_pairs().into_owned().collect();
    let customers = example_customers();
    let invoices = example_invoices();
    match url.path() {
        "/api/v1/clientes" => {
            let wanted = query.get("cpf_cnpj").map(String::as_str).unwrap_or_default();
            let found: Vec<&Value> = customers
                .iter()
                .filter(|c| ponte_contract::text::document_key(c["cpf_cnpj"].as_str().unwrap_or_default()) == wanted)
                .collect();
            answer(200, json!({ "registros": found }))
        }
        "/api/v1/faturas" => {
            let id = query.get("cliente_id").map(String::as_str).unwrap_or_default();
            let found: Vec<&Value> = invoices.iter().filter(|i| i["cliente_id"] == id).collect();
            answer(200, json!({ "registros": found }))
        }
        "/api/v1/produtos" => answer(
            200,
            json!({ "registros": [{ "id": 1, "nome": "Fibra 300 Mega" }, { "id": 2, "nome": "Fibra 600 Mega" }] }),
        ),
        path => {
            let id = path.strip_prefix("/api/v1/faturas/").unwrap_or_default();
            let (id, pdf) = id.strip_suffix("/boleto").map_or((id, false), |id| (id, true));
            match invoices.iter().find(|i| i["id"] == id) {
                Some(_) if pdf => HttpResponse {
                    status: 200,
                    headers: vec![("content-type".into(), "application/pdf".into())],
                    body: b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".to_vec(),
                },
                Some(found) => answer(200, found.clone()),
                // As many ERPs do: an unknown boleto is an error inside an HTTP 200.
                None if pdf => answer(200, json!({ "sucesso": false, "mensagem": "<b>Boleto não encontrado</b>" })),
                None => answer(404, json!({ "erro": "Registro não encontrado" })),
            }
        }
    }
}

fn example_customers() -> Vec<Value> {
    let address = json!({ "logradouro": "Rua das Flores", "numero": "100", "complemento": "", "bairro": "Centro", "cidade": "São Paulo", "uf": "SP", "cep": "01001-000" });
    vec![
        json!({ "id": "101", "nome": "Maria Aparecida da Silva", "cpf_cnpj": "714.602.380-01", "email": "maria.silva@example.com", "celular": "(11) 98765-4321", "ativo": true, "endereco": address }),
        json!({ "id": "102", "nome": "João Pereira", "cpf_cnpj": "384.919.530-94", "email": "", "celular": "(11) 91234-5678", "ativo": true, "endereco": address }),
        json!({ "id": "103", "nome": "ACME Telecom Ltda", "cpf_cnpj": "12.ABC.345/01DE-35", "email": "financeiro@acme.example.com", "celular": "", "ativo": true, "endereco": address }),
    ]
}

fn example_invoices() -> Vec<Value> {
    let pix = PixCode::build_static(
        "financeiro@provedor.example.com",
        "PROVEDOR EXEMPLO",
        "SAO PAULO",
        Some("99.90"),
        "FATURA5001",
    )
    .map(|p| p.as_str().to_owned())
    .unwrap_or_default();
    vec![
        json!({ "id": "5002", "cliente_id": "101", "valor": "99,90", "valor_atualizado": "99,90", "juros": "0,00", "multa": "0,00",
                "emissao": "01/06/2026", "vencimento": "10/07/2026", "descricao": "Fibra 300 Mega", "link": "",
                "codigo_barras": "", "pix_copia_cola": pix }),
        json!({ "id": "5001", "cliente_id": "101", "valor": "99,90", "valor_atualizado": "101,89", "juros": "0,09", "multa": "1,90",
                "emissao": "01/04/2026", "vencimento": "10/04/2026", "descricao": "Fibra 300 Mega", "link": "",
                "codigo_barras": "00191141200000099900000003128557000000100117", "pix_copia_cola": "" }),
        json!({ "id": "5003", "cliente_id": "103", "valor": "1.234,50", "valor_atualizado": "1.234,50", "juros": "0,00", "multa": "0,00",
                "emissao": "2026-06-01", "vencimento": "2026-06-20", "descricao": "Link dedicado 1 Gbps", "link": "https://erp.example.com/boleto/5003",
                "codigo_barras": "", "pix_copia_cola": "" }),
    ]
}
