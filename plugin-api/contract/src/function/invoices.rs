//! Invoices ("faturas"), boletos and payment posting ("baixa").
//!
//! The [`Fatura`] is the seed's shape, all strings, plus the host-derived `codigo_barras`. Its
//! guarantees: the customer's document is a verified CPF/CNPJ and is the one asked for, amounts
//! are `"1234.50"`, dates `YYYY-MM-DD`, the boleto line has every check digit right (or is `""`),
//! the barcode is derived from it (or the line from the barcode, when that is all the ERP gives),
//! and the PIX code's CRC is right (or it is `""`).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::enforce::{ContractViolation, Enforcer, Fields, ViolationCode, WarningCode, each, object};
use crate::normalize::boleto::{Barcode, BoletoError, BoletoLine};
use crate::normalize::date::parse_datetime;
use crate::normalize::money::{IntegerUnit, Money};
use crate::normalize::pix::PixCode;
use crate::validate::{InputError, document_field, optional_document_field};
use crate::{Contract, Function, RemoteId};

/// An invoice, in the seed's shape (every field a string).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Fatura {
    /// The customer's CPF/CNPJ, without punctuation, verified.
    pub document_number: String,
    /// The invoice's id.
    pub fatura: String,
    /// The customer's name.
    pub nome_cliente: String,
    /// Original amount, `"1234.50"`.
    pub valor_inicial: String,
    /// Amount due now (with interest and fine), `"1234.50"`.
    pub valor_final: String,
    /// Interest, `"0.00"` when none.
    pub juros: String,
    /// Fine, `"0.00"` when none.
    pub multa: String,
    /// Issue date, `YYYY-MM-DD`, or `""` when the ERP has none.
    pub emissao: String,
    /// Due date, `YYYY-MM-DD`.
    pub vencimento: String,
    /// The plan's id or name.
    pub historico: String,
    /// An `http(s)` link to the boleto, or `""`: then the caller uses `get_boleto_pdf`.
    pub link_boleto: String,
    /// The 47- or 48-digit line, every check digit verified, or `""`.
    pub linha_digitavel: String,
    /// The invoice's code in the ERP.
    pub code_fatura: String,
    /// Which PIX setup to use when the provider has several.
    pub identifier: String,
    /// The boleto's id in the ERP.
    pub remote_id: String,
    /// A PIX copia-e-cola whose CRC16 is verified, or `""` (the app's configured PIX applies).
    pub pix_code: String,
    /// The 44-digit barcode derived from `linha_digitavel` (`""` when there is no line). Added
    /// by the host.
    pub codigo_barras: String,
}

/// Input of `list_invoices`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListInvoicesInput {
    /// The customer's CPF/CNPJ (punctuation accepted).
    #[schemars(with = "crate::schema::formats::DocumentText")]
    pub customer_document_number: String,
    /// Only this contract's invoices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract_id: Option<RemoteId>,
}

/// Input of the functions that take only the customer's document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerInput {
    /// The customer's CPF/CNPJ (punctuation accepted).
    #[schemars(with = "crate::schema::formats::DocumentText")]
    pub customer_document_number: String,
}

/// Input of `get_invoice`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetInvoiceInput {
    /// The boleto's id in the ERP (`remote_id` of a [`Fatura`]).
    pub customer_bill_id: RemoteId,
    /// The customer's CPF/CNPJ.
    #[schemars(with = "crate::schema::formats::DocumentText")]
    pub customer_document_number: String,
}

/// Input of `get_boleto_pdf`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetBoletoPdfInput {
    /// The boleto's id in the ERP.
    pub boleto_id: RemoteId,
    /// The customer's CPF/CNPJ. Optional for compatibility with the seed's shape, but callers
    /// should send it: an adapter then refuses (`not_found`) a boleto of another customer, so a
    /// caller can't enumerate ids to fetch other people's boletos.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<crate::schema::formats::DocumentText>")]
    pub customer_document_number: Option<String>,
}

/// A base64-encoded PDF (`get_boleto_pdf`, `get_fiscal_note_pdf`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Pdf {
    /// The PDF, standard base64 without line breaks; decodes to bytes starting with `%PDF`.
    pub base_64: String,
}

/// Input of `settle_invoice`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SettleInvoiceInput {
    /// The payment.
    pub transaction: Transaction,
    /// The paid boleto's id in the ERP.
    pub boleto_id: RemoteId,
    /// The customer's CPF/CNPJ.
    #[schemars(with = "crate::schema::formats::DocumentText")]
    pub customer_document_number: String,
}

/// How a payment was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    /// PIX (a bank's webhook).
    Pix,
    /// Credit card (TEF at the totem).
    Card,
    /// Debit card.
    Debit,
    /// Cash.
    Cash,
    /// Boleto paid at a bank.
    Boleto,
}

impl PaymentMethod {
    /// The method's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentMethod::Pix => "pix",
            PaymentMethod::Card => "card",
            PaymentMethod::Debit => "debit",
            PaymentMethod::Cash => "cash",
            PaymentMethod::Boleto => "boleto",
        }
    }

    const ALL: [(&'static str, PaymentMethod); 5] = [
        ("pix", PaymentMethod::Pix),
        ("card", PaymentMethod::Card),
        ("debit", PaymentMethod::Debit),
        ("cash", PaymentMethod::Cash),
        ("boleto", PaymentMethod::Boleto),
    ];
}

/// The payment being posted: `{id, amount, paid_at, method, ...}`; other fields pass through to
/// the plugin untouched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Map<String, Value>", into = "Map<String, Value>")]
pub struct Transaction {
    /// The payment's unique id at the payment provider (PIX `endToEndId`/txid, card NSU).
    pub id: String,
    /// The amount paid, `"1234.50"` after validation.
    pub amount: String,
    /// When it was paid: ISO 8601 date-time with offset.
    pub paid_at: String,
    /// How it was paid.
    pub method: PaymentMethod,
    /// Every other field, passed to the plugin as sent.
    pub extra: Map<String, Value>,
}

impl TryFrom<Map<String, Value>> for Transaction {
    type Error = String;

    fn try_from(mut map: Map<String, Value>) -> Result<Self, String> {
        let mut take_text = |key: &str| -> Result<String, String> {
            match map.remove(key) {
                Some(Value::String(s)) => Ok(s),
                // A JSON number is reais, read from its exact text (`1.005` is one real and
                // half a cent, not the Brazilian "1.005" that means a thousand and five).
                Some(Value::Number(n)) if key == "amount" => {
                    Ok(Money::from_json(&Value::Number(n.clone()), IntegerUnit::Reais)
                        .map_or_else(|_| n.to_string(), |money| money.to_string()))
                }
                Some(Value::Null) | None => Err(format!("missing field `{key}`")),
                Some(_) => Err(format!("field `{key}` must be a string")),
            }
        };
        let id = take_text("id")?;
        let amount = take_text("amount")?;
        let paid_at = take_text("paid_at")?;
        let method_text = take_text("method")?;
        let method = PaymentMethod::ALL
            .iter()
            .find(|(name, _)| *name == method_text)
            .map(|(_, m)| *m)
            .ok_or_else(|| "field `method` must be one of pix, card, debit, cash, boleto".to_owned())?;
        Ok(Transaction { id, amount, paid_at, method, extra: map })
    }
}

impl From<Transaction> for Map<String, Value> {
    fn from(t: Transaction) -> Self {
        let mut map = t.extra;
        map.insert("id".into(), Value::String(t.id));
        map.insert("amount".into(), Value::String(t.amount));
        map.insert("paid_at".into(), Value::String(t.paid_at));
        map.insert("method".into(), Value::String(t.method.as_str().to_owned()));
        map
    }
}

impl JsonSchema for Transaction {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Transaction".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let money = generator.subschema_for::<crate::schema::formats::MoneyText>();
        let instant = generator.subschema_for::<crate::schema::formats::DateTimeText>();
        schemars::json_schema!({
            "description": "The payment being posted. Fields other than these pass through to the plugin.",
            "type": "object",
            "required": ["id", "amount", "paid_at", "method"],
            "properties": {
                "id": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": crate::validate::TEXT_PATTERN,
                       "description": "The payment's unique id at the payment provider (PIX endToEndId/txid, card NSU)."},
                "amount": {"description": "Amount paid, more than zero: text (`\"1234.50\"`, `\"1.234,50\"`) or a JSON number in reais (`1234.5`).",
                           "anyOf": [money, {"type": "number", "minimum": 0.005, "maximum": 10_000_000_000_000.004_f64,
                                             "description": "Reais, rounded half up to cents: at least R$ 0.01 and at most R$ 10 000 000 000 000 once rounded."}]},
                "paid_at": instant,
                "method": {"type": "string", "enum": ["pix", "card", "debit", "cash", "boleto"]}
            },
            "additionalProperties": true
        })
    }
}

/// Output of `settle_invoice`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SettleInvoiceOutput {
    /// Whether the ERP took the payment.
    pub success: bool,
    /// The ERP's full answer, whatever its shape.
    pub api_response: Value,
}

/// `list_invoices`.
pub struct ListInvoices;
impl Contract for ListInvoices {
    const FUNCTION: Function = Function::ListInvoices;
    type Input = ListInvoicesInput;
    type Output = Vec<Fatura>;

    fn validate(input: &mut Self::Input) -> Result<(), InputError> {
        document_field("customer_document_number", &mut input.customer_document_number)
    }

    fn enforce(raw: &Value, cx: &mut Enforcer<'_>) -> Result<Self::Output, ContractViolation> {
        each(raw, cx, fatura)
    }
}

/// `list_totem_invoices`: the same invoices, oldest due first.
pub struct ListTotemInvoices;
impl Contract for ListTotemInvoices {
    const FUNCTION: Function = Function::ListTotemInvoices;
    type Input = CustomerInput;
    type Output = Vec<Fatura>;

    fn validate(input: &mut Self::Input) -> Result<(), InputError> {
        document_field("customer_document_number", &mut input.customer_document_number)
    }

    fn enforce(raw: &Value, cx: &mut Enforcer<'_>) -> Result<Self::Output, ContractViolation> {
        let mut faturas = each(raw, cx, fatura)?;
        // `YYYY-MM-DD` sorts as text; the sort is stable, so equal dates keep the ERP's order.
        faturas.sort_by(|a, b| a.vencimento.cmp(&b.vencimento));
        Ok(faturas)
    }
}

/// `get_invoice`: zero or one invoice, and only the one asked for.
pub struct GetInvoice;
impl Contract for GetInvoice {
    const FUNCTION: Function = Function::GetInvoice;
    type Input = GetInvoiceInput;
    type Output = Vec<Fatura>;

    fn validate(input: &mut Self::Input) -> Result<(), InputError> {
        document_field("customer_document_number", &mut input.customer_document_number)
    }

    fn enforce(raw: &Value, cx: &mut Enforcer<'_>) -> Result<Self::Output, ContractViolation> {
        let faturas = each(raw, cx, fatura)?;
        if faturas.len() > 1 {
            return Err(ContractViolation::new(
                ViolationCode::TooManyResults,
                "$",
                "get_invoice returns at most one invoice",
            ));
        }
        if let (Some(asked), Some(found)) = (cx.input_text("customer_bill_id"), faturas.first())
            && found.remote_id != asked
            && found.fatura != asked
        {
            return Err(ContractViolation::new(
                ViolationCode::ForeignRecord,
                "$[0].remote_id",
                "the invoice returned is not the one asked for",
            ));
        }
        Ok(faturas)
    }
}

/// `get_boleto_pdf`.
pub struct GetBoletoPdf;
impl Contract for GetBoletoPdf {
    const FUNCTION: Function = Function::GetBoletoPdf;
    type Input = GetBoletoPdfInput;
    type Output = Pdf;

    fn validate(input: &mut Self::Input) -> Result<(), InputError> {
        optional_document_field(&mut input.customer_document_number)
    }

    fn enforce(raw: &Value, _: &mut Enforcer<'_>) -> Result<Self::Output, ContractViolation> {
        pdf(raw)
    }
}

/// `settle_invoice`.
pub struct SettleInvoice;
impl Contract for SettleInvoice {
    const FUNCTION: Function = Function::SettleInvoice;
    type Input = SettleInvoiceInput;
    type Output = SettleInvoiceOutput;

    fn validate(input: &mut Self::Input) -> Result<(), InputError> {
        document_field("customer_document_number", &mut input.customer_document_number)?;
        let t = &mut input.transaction;
        crate::validate::text_field("transaction.id", &mut t.id, 255)?;
        let amount = Money::from_json(&Value::String(t.amount.clone()), IntegerUnit::Reais)
            .map_err(|e| InputError::invalid("transaction.amount", e.to_string()))?;
        if amount.is_negative() || amount == Money::from_cents(0) {
            return Err(InputError::invalid("transaction.amount", "must be greater than zero"));
        }
        t.amount = amount.to_string();
        let paid_at =
            parse_datetime(&t.paid_at).map_err(|e| InputError::invalid("transaction.paid_at", e.to_string()))?;
        t.paid_at = paid_at.to_rfc3339();
        Ok(())
    }

    fn enforce(raw: &Value, _: &mut Enforcer<'_>) -> Result<Self::Output, ContractViolation> {
        let f = object(raw, "$")?;
        Ok(SettleInvoiceOutput {
            success: f.boolean("success")?,
            api_response: f.raw("api_response").cloned().unwrap_or(Value::Null),
        })
    }
}

/// Enforces one invoice.
pub(crate) fn fatura(f: &Fields<'_>, cx: &mut Enforcer<'_>) -> Result<Fatura, ContractViolation> {
    let document_number = f.document("document_number")?.as_str().to_owned();
    if let Some(asked) = cx.input_text("customer_document_number")
        && asked != document_number
    {
        return Err(ContractViolation::new(
            ViolationCode::ForeignRecord,
            f.path_of("document_number"),
            "the invoice belongs to another customer than the one asked for",
        ));
    }
    let (linha_digitavel, codigo_barras) = boleto(f, cx)?;
    Ok(Fatura {
        document_number,
        fatura: f.text("fatura")?,
        nome_cliente: f.text_or_empty("nome_cliente")?,
        valor_inicial: f.money("valor_inicial", cx)?.to_string(),
        valor_final: f.money("valor_final", cx)?.to_string(),
        juros: f.money_or_zero("juros", cx)?.to_string(),
        multa: f.money_or_zero("multa", cx)?.to_string(),
        emissao: f.opt_date("emissao", cx).unwrap_or_default(),
        vencimento: f.date("vencimento")?,
        historico: f.text_or_empty("historico")?,
        link_boleto: link(f, "link_boleto", cx)?,
        linha_digitavel,
        code_fatura: f.text_or_empty("code_fatura")?,
        identifier: f.text_or_empty("identifier")?,
        remote_id: f.text("remote_id")?,
        pix_code: pix(f, cx)?,
        codigo_barras,
    })
}

/// The boleto line and barcode of an invoice, from whichever of the two the plugin gave.
fn boleto(f: &Fields<'_>, cx: &mut Enforcer<'_>) -> Result<(String, String), ContractViolation> {
    let line_text = f.text_or_empty("linha_digitavel")?;
    let barcode_text = f.text_or_empty("codigo_barras")?;
    let pair = |line: BoletoLine| {
        let barcode = line.to_barcode().as_str().to_owned();
        (line.as_str().to_owned(), barcode)
    };
    if !line_text.is_empty() {
        match BoletoLine::parse(&line_text) {
            Ok(line) => return Ok(pair(line)),
            // A 44-digit barcode in the line's field: an honest mix-up, and still a valid boleto.
            Err(BoletoError::BadLength(44)) => {
                if let Ok(barcode) = Barcode::parse(&line_text) {
                    cx.warn(
                        WarningCode::BoletoLineFromBarcode,
                        f.path_of("linha_digitavel"),
                        "a 44-digit barcode was sent as the line; the line was derived from it",
                    );
                    return Ok(pair(BoletoLine::from_barcode(&barcode)));
                }
                cx.warn(
                    WarningCode::InvalidBoletoLine,
                    f.path_of("linha_digitavel"),
                    "44 digits, but not a valid barcode",
                );
            }
            Err(e) => cx.warn(WarningCode::InvalidBoletoLine, f.path_of("linha_digitavel"), e.to_string()),
        }
    }
    if !barcode_text.is_empty() {
        match Barcode::parse(&barcode_text) {
            Ok(barcode) => {
                cx.warn(
                    WarningCode::BoletoLineFromBarcode,
                    f.path_of("codigo_barras"),
                    "the line was derived from the barcode",
                );
                return Ok(pair(BoletoLine::from_barcode(&barcode)));
            }
            Err(e) => cx.warn(WarningCode::InvalidBoletoLine, f.path_of("codigo_barras"), e.to_string()),
        }
    }
    Ok((String::new(), String::new()))
}

fn pix(f: &Fields<'_>, cx: &mut Enforcer<'_>) -> Result<String, ContractViolation> {
    let text = f.text_or_empty("pix_code")?;
    if text.is_empty() {
        return Ok(text);
    }
    Ok(match PixCode::parse(&text) {
        Ok(code) => code.as_str().to_owned(),
        Err(e) => {
            cx.warn(WarningCode::InvalidPixCode, f.path_of("pix_code"), e.to_string());
            String::new()
        }
    })
}

/// A link out of the system: only `http(s)` (a `javascript:` or `file:` link is dropped).
fn link(f: &Fields<'_>, key: &str, cx: &mut Enforcer<'_>) -> Result<String, ContractViolation> {
    let text = f.text_or_empty(key)?;
    let lower = text.to_ascii_lowercase();
    let ok = text.is_empty()
        || ((lower.starts_with("https://") || lower.starts_with("http://"))
            && !text.chars().any(|c| c.is_whitespace() || c.is_control()));
    if ok {
        Ok(text)
    } else {
        cx.warn(WarningCode::EntryDropped, f.path_of(key), "not an http(s) link; dropped");
        Ok(String::new())
    }
}

/// Enforces a base64 PDF result: `{"base_64": "..."}` (a bare string is accepted too).
/// Line breaks and a `data:application/pdf;base64,` prefix are removed; the bytes must start
/// with `%PDF`.
pub(crate) fn pdf(raw: &Value) -> Result<Pdf, ContractViolation> {
    let (text, path) = match raw {
        Value::String(s) => (s.as_str(), "$"),
        Value::Object(_) => {
            let f = object(raw, "$")?;
            match f.raw("base_64") {
                Some(Value::String(s)) => (s.as_str(), "$.base_64"),
                Some(_) => {
                    return Err(ContractViolation::new(ViolationCode::WrongType, "$.base_64", "expected base64 text"));
                }
                None => {
                    return Err(ContractViolation::new(
                        ViolationCode::MissingField,
                        "$.base_64",
                        "required field is missing or empty",
                    ));
                }
            }
        }
        _ => return Err(ContractViolation::new(ViolationCode::WrongShape, "$", "expected an object")),
    };
    let text = text.trim();
    let text = text.strip_prefix("data:application/pdf;base64,").unwrap_or(text);
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    if compact.is_empty() {
        return Err(ContractViolation::new(ViolationCode::MissingField, path, "required field is missing or empty"));
    }
    let bytes = STANDARD
        .decode(&compact)
        .map_err(|_| ContractViolation::new(ViolationCode::InvalidPdf, path, "not valid base64"))?;
    if !bytes.starts_with(b"%PDF") {
        return Err(ContractViolation::new(
            ViolationCode::InvalidPdf,
            path,
            "the decoded bytes are not a PDF (no %PDF header)",
        ));
    }
    Ok(Pdf { base_64: STANDARD.encode(&bytes) })
}
