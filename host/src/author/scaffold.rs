//! `ponte plugin new`: a plugin folder that passes `ponte plugin test --replay` from the start.
//!
//! The generated adapter talks to a small, typical REST ERP (customers by CPF/CNPJ, open
//! invoices by customer, one invoice by id, products; a bearer token), written to be replaced
//! piece by piece with the author's ERP's calls. Its fixtures are recorded here, by running the
//! conformance scenarios against [`example_erp`], a stand-in of that ERP, so the folder starts
//! green and the author sees what a recording looks like.

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
    /// The generated plugin failed its own scenarios (a bug in Ponte: please report it).
    #[error("the generated plugin does not pass its scenarios (a bug in Ponte):\n{0}")]
    Broken(String),
}

/// Writes a Rhai plugin named `name` serving `functions` into `parent/name`, with its fixtures
/// recorded, and returns the folder.
///
/// # Errors
/// A [`ScaffoldError`].
pub async fn new_rhai_plugin(parent: &Path, name: &str, functions: &[Function]) -> Result<PathBuf, ScaffoldError> {
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
    let write = |file: &str, text: &str| {
        let path = folder.join(file);
        std::fs::create_dir_all(path.parent().unwrap_or(&folder)).map_err(|e| ScaffoldError::Io(path.clone(), e))?;
        std::fs::write(&path, text).map_err(|e| ScaffoldError::Io(path.clone(), e))
    };
    write("plugin.toml", &manifest(name, &chosen))?;
    write("main.rhai", &script(name, &chosen))?;
    write(conformance::PLAN_FILE, &plan(name))?;
    write("README.md", &readme(name))?;
    if let Err(e) = record_fixtures(&folder).await {
        // Leave nothing half-made behind.
        let _ = std::fs::remove_dir_all(&folder);
        return Err(e);
    }
    Ok(folder)
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

fn manifest(name: &str, functions: &[Function]) -> String {
    let list: String = functions.iter().map(|f| format!("    \"{f}\",\n")).collect();
    format!(
        r#"# The plugin's manifest: what it serves, where it may connect, what it needs.
# Reference: docs/plugin-authors.md (Manifest).
name = "{name}"
version = "0.1.0"
runtime = "rhai"
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

fn readme(name: &str) -> String {
    format!(
        r#"# {name}

A Ponte adapter, generated by `ponte plugin new`. It starts out talking to an example REST
ERP; replace its calls with your ERP's, one function at a time, following
`docs/plugin-authors.md`.

```sh
ponte plugin test {name} --replay          # the scenarios, against fixtures/recorded.json
ponte invoke {name} list_invoices --input '{{"customer_document_number": "714.602.380-01"}}'
ponte plugin record {name}                 # run the scenarios against the live ERP (test.toml) and save them
```
"#
    )
}

fn script(name: &str, functions: &[Function]) -> String {
    let mut out = format!(
        r#"// {name}: a Ponte adapter. Generated by `ponte plugin new`; see docs/plugin-authors.md.
//
// One Rhai function per contract function, named as the contract names it, taking the
// validated input and returning the raw result. The host checks and normalizes what it
// returns (documents, money, dates, boleto lines, PIX codes) before any caller sees it, so
// pass the ERP's values on as they come: "99,90", "10/06/2026" and "R$ 1.234,50" are fine.
//
// The helpers used below (`text`, `none`, `document_key`, `boleto_line`, `clean`, `shorten`,
// `url_encode`) are the host's prelude: every script has them.
"#
    );
    for function in functions {
        out.push('\n');
        out.push_str(template(*function));
    }
    if functions.contains(&Function::ListTotemInvoices) && !functions.contains(&Function::ListInvoices) {
        out.push('\n');
        out.push_str(LIST_INVOICES);
    }
    let needs_customer = functions.iter().any(|f| !matches!(f, Function::ListProducts | Function::GetBoletoPdf));
    if needs_customer {
        out.push_str(FIND_CUSTOMER);
    }
    if functions
        .iter()
        .any(|f| matches!(f, Function::ListInvoices | Function::ListTotemInvoices | Function::GetInvoice))
    {
        out.push_str(INVOICE);
    }
    out.push_str(ERP_GET);
    out
}

fn template(function: Function) -> &'static str {
    match function {
        Function::GetCustomer => GET_CUSTOMER,
        Function::GetCustomerContacts => GET_CUSTOMER_CONTACTS,
        Function::ListInvoices => LIST_INVOICES,
        Function::ListTotemInvoices => LIST_TOTEM_INVOICES,
        Function::GetInvoice => GET_INVOICE,
        Function::GetBoletoPdf => GET_BOLETO_PDF,
        _ => LIST_PRODUCTS,
    }
}

const GET_CUSTOMER: &str = r#"/// The customer with this CPF/CNPJ; `not_found` when the ERP has none.
fn get_customer(input) {
    let customer = find_customer(input.customer_document_number);
    if none(customer) {
        fail("not_found", "the ERP has no customer with this CPF/CNPJ");
    }
    let address = customer.endereco;
    #{
        remote_id: text(customer.id),
        name: text(customer.nome),
        document_number: document_key(customer.cpf_cnpj),
        email: customer.email,
        phone: customer.celular,
        address: #{
            street: text(address.logradouro),
            number: text(address.numero),
            complement: text(address.complemento),
            neighborhood: text(address.bairro),
            city: text(address.cidade),
            state: text(address.uf),
            zip_code: text(address.cep),
        },
        status: if customer.ativo { "active" } else { "inactive" },
    }
}
"#;

const GET_CUSTOMER_CONTACTS: &str = r#"/// The customer's e-mail and phone; `[]` for an unknown customer.
fn get_customer_contacts(input) {
    let customer = find_customer(input.customer_document_number);
    if none(customer) {
        return [];
    }
    let contacts = [];
    if text(customer.email) != "" {
        contacts.push(#{ type: "email", value: customer.email });
    }
    if text(customer.celular) != "" {
        contacts.push(#{ type: "phone", value: customer.celular });
    }
    contacts
}
"#;

const LIST_INVOICES: &str = r#"/// The customer's open invoices; `[]` for an unknown customer.
fn list_invoices(input) {
    let customer = find_customer(input.customer_document_number);
    if none(customer) {
        return [];
    }
    let answer = erp_get("/api/v1/faturas", #{ cliente_id: customer.id, situacao: "aberta" });
    let invoices = [];
    for row in answer.registros {
        invoices.push(invoice(row, customer));
    }
    invoices
}
"#;

const LIST_TOTEM_INVOICES: &str = r#"/// The customer's open invoices for the kiosk (the host sorts them, the oldest due first).
fn list_totem_invoices(input) {
    list_invoices(input)
}
"#;

const GET_INVOICE: &str = r#"/// One of the customer's invoices, as a list of one; `[]` when it is not theirs.
fn get_invoice(input) {
    let customer = find_customer(input.customer_document_number);
    if none(customer) {
        return [];
    }
    let row = erp_get("/api/v1/faturas/" + url_encode(input.customer_bill_id), #{});
    if none(row) || text(row.cliente_id) != text(customer.id) {
        return [];
    }
    [invoice(row, customer)]
}
"#;

const GET_BOLETO_PDF: &str = r#"/// The boleto's PDF, base64 (`response: "base64"` keeps a binary body intact); `not_found` when
/// the ERP has no such boleto.
fn get_boleto_pdf(input) {
    let response = http(#{
        method: "GET",
        url: config("base_url") + "/api/v1/faturas/" + url_encode(input.boleto_id) + "/boleto",
        headers: #{ Authorization: "Bearer " + config("token") },
        response: "base64",
    });
    if response.status == 404 {
        fail("not_found", `the ERP has no boleto ${input.boleto_id}`);
    }
    if response.status >= 500 {
        fail("upstream_unavailable", `the ERP answered HTTP ${response.status} for the boleto`);
    }
    if response.status != 200 {
        fail("upstream_error", `the ERP answered HTTP ${response.status} for the boleto`);
    }
    #{ base_64: response.body }
}
"#;

const LIST_PRODUCTS: &str = r#"/// The products (plans) the provider sells.
fn list_products(input) {
    let products = [];
    for row in erp_get("/api/v1/produtos", #{}).registros {
        products.push(#{ codigo: text(row.id), nome: text(row.nome) });
    }
    products
}
"#;

const FIND_CUSTOMER: &str = r#"
// ---------------------------------------------------------------------------------------------
// The ERP's API
// ---------------------------------------------------------------------------------------------

/// The ERP's customer with this document, or ().
fn find_customer(document) {
    let answer = erp_get("/api/v1/clientes", #{ cpf_cnpj: document_key(document) });
    if none(answer) || answer.registros.is_empty() {
        return ();
    }
    answer.registros[0]
}
"#;

const INVOICE: &str = r#"
/// An ERP invoice in the contract's shape. The host adds `codigo_barras` from the line and
/// checks every check digit; `boleto_line` turns the ERP's barcode into the line.
fn invoice(row, customer) {
    let barcode = text(row.codigo_barras);
    #{
        document_number: document_key(customer.cpf_cnpj),
        fatura: text(row.id),
        nome_cliente: text(customer.nome),
        valor_inicial: row.valor,
        valor_final: row.valor_atualizado,
        juros: row.juros,
        multa: row.multa,
        emissao: row.emissao,
        vencimento: row.vencimento,
        historico: text(row.descricao),
        link_boleto: text(row.link),
        linha_digitavel: if barcode == "" { "" } else { boleto_line(barcode) },
        code_fatura: text(row.id),
        identifier: "",
        remote_id: text(row.id),
        pix_code: text(row.pix_copia_cola),
    }
}
"#;

const ERP_GET: &str = r#"
/// GET on the ERP's API: the parsed JSON answer, () for a 404, and the right failure for the
/// rest (the host turns `fail` codes into the caller's problem).
fn erp_get(path, query) {
    let response = http(#{
        method: "GET",
        url: config("base_url") + path,
        query: query,
        headers: #{ Authorization: "Bearer " + config("token"), Accept: "application/json" },
    });
    if response.status == 404 {
        return ();
    }
    if response.status == 401 || response.status == 403 {
        fail("upstream_error", `the ERP refused the token (HTTP ${response.status})`);
    }
    if response.status >= 500 || response.status == 429 {
        fail("upstream_unavailable", `the ERP answered HTTP ${response.status}`);
    }
    if response.status != 200 {
        fail("upstream_error", `the ERP answered HTTP ${response.status}: ${shorten(clean(response.body), 200)}`);
    }
    try {
        parse_json(response.body)
    } catch {
        fail("upstream_error", "the ERP answered something that is not JSON: " + shorten(clean(response.body), 200));
    }
}
"#;

/// The stand-in ERP the scaffold's fixtures are recorded against: three customers (one with
/// two open invoices, one with none, a company with one), two products, a bearer token.
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
