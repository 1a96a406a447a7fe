//! Every function's enforcement: a messy-but-valid result normalizes to the exact contract
//! shape, and a broken one is a violation with a stable code and the offending path.

use ponte_contract::{EnforceOptions, Function, ViolationCode, WarningCode, enforce, enforce_to_json, enforce_value};
use serde_json::{Value, json};

/// Banco do Brasil line (see `normalize::boleto` tests for its source) and its barcode.
const BB_LINE: &str = "00190.50095 40144.816069 06809.350314 3 37370000000100";
const BB_LINE_DIGITS: &str = "00190500954014481606906809350314337370000000100";
const BB_BARCODE: &str = "00193373700000001000500940144816060680935031";
/// The static BR Code example of BACEN's manual.
const PIX: &str = "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***63041D3D";
const CPF: &str = "52998224725";
/// `%PDF-1.4\n` in base64, wrapped the way MIME encoders do.
const PDF_B64: &str = "JVBERi0xLjQK";

fn normalizes(function: Function, raw: Value, expected: Value) -> Vec<WarningCode> {
    let out = enforce(function, &raw.to_string()).unwrap_or_else(|v| panic!("{function}: unexpected violation {v:?}"));
    assert_eq!(out.output, expected, "{function}");
    // The host answers with the text encoding: the same result, the same warnings.
    let text = enforce_to_json(function, None, &raw, EnforceOptions::default())
        .unwrap_or_else(|v| panic!("{function}: unexpected violation as text {v:?}"));
    let parsed: Value = serde_json::from_str(&text.json).unwrap_or_else(|e| panic!("{function}: not JSON: {e}"));
    assert_eq!(parsed, expected, "{function} as text");
    assert_eq!(text.warnings, out.warnings, "{function} as text");
    out.warnings.iter().map(|w| w.code).collect()
}

fn violates(function: Function, raw: Value, code: ViolationCode, path: &str) {
    let err = enforce(function, &raw.to_string()).expect_err("expected a violation");
    assert_eq!((err.code, err.path.as_str()), (code, path), "{function}: {err}");
    assert!(!err.detail.is_empty());
    let as_text = enforce_to_json(function, None, &raw, EnforceOptions::default()).expect_err("a violation as text");
    assert_eq!(as_text, err, "{function} as text");
}

fn messy_fatura() -> Value {
    json!({
        "document_number": "529.982.247-25", "fatura": 1001, "nome_cliente": " Maria da Silva ",
        "valor_inicial": "R$ 1.234,50", "valor_final": 1250.7, "juros": "10,20", "multa": null,
        "emissao": "01/03/2026", "vencimento": "2026-03-10T00:00:00-03:00", "historico": "Plano 300MB",
        "link_boleto": "", "linha_digitavel": BB_LINE, "code_fatura": "F-1001", "identifier": "",
        "remote_id": "1001", "pix_code": format!(" {PIX} ")
    })
}

fn clean_fatura() -> Value {
    json!({
        "document_number": CPF, "fatura": "1001", "nome_cliente": "Maria da Silva",
        "valor_inicial": "1234.50", "valor_final": "1250.70", "juros": "10.20", "multa": "0.00",
        "emissao": "2026-03-01", "vencimento": "2026-03-10", "historico": "Plano 300MB",
        "link_boleto": "", "linha_digitavel": BB_LINE_DIGITS, "code_fatura": "F-1001", "identifier": "",
        "remote_id": "1001", "pix_code": PIX, "codigo_barras": BB_BARCODE
    })
}

fn with(mut value: Value, key: &str, new: Value) -> Value {
    value[key] = new;
    value
}

fn without(mut value: Value, key: &str) -> Value {
    value.as_object_mut().map(|m| m.remove(key));
    value
}

#[test]
fn list_invoices_normalizes_every_field() {
    let warnings = normalizes(Function::ListInvoices, json!([messy_fatura()]), json!([clean_fatura()]));
    assert!(warnings.is_empty(), "{warnings:?}");
    normalizes(Function::ListInvoices, Value::Null, json!([]));
}

#[test]
fn list_invoices_drops_a_bad_line_and_pix_with_warnings() {
    let raw = with(
        with(messy_fatura(), "linha_digitavel", json!("00190500954014481606906809350314337370000000101")),
        "pix_code",
        json!("000201xyz"),
    );
    let expected = with(
        with(with(clean_fatura(), "linha_digitavel", json!("")), "codigo_barras", json!("")),
        "pix_code",
        json!(""),
    );
    let warnings = normalizes(Function::ListInvoices, json!([raw]), json!([expected]));
    assert_eq!(warnings, [WarningCode::InvalidBoletoLine, WarningCode::InvalidPixCode]);
}

#[test]
fn list_invoices_derives_the_line_from_a_barcode() {
    let raw = with(with(messy_fatura(), "linha_digitavel", json!("")), "codigo_barras", json!(BB_BARCODE));
    let warnings = normalizes(Function::ListInvoices, json!([raw]), json!([clean_fatura()]));
    assert_eq!(warnings, [WarningCode::BoletoLineFromBarcode]);
    // A barcode sent in the line's field is recognised too.
    let raw = with(messy_fatura(), "linha_digitavel", json!(BB_BARCODE));
    let warnings = normalizes(Function::ListInvoices, json!([raw]), json!([clean_fatura()]));
    assert_eq!(warnings, [WarningCode::BoletoLineFromBarcode]);
}

#[test]
fn list_invoices_drops_links_that_are_not_http() {
    let raw = with(messy_fatura(), "link_boleto", json!("javascript:alert(1)"));
    let warnings = normalizes(Function::ListInvoices, json!([raw]), json!([clean_fatura()]));
    assert_eq!(warnings, [WarningCode::EntryDropped]);
}

#[test]
fn list_invoices_violations() {
    let f = Function::ListInvoices;
    violates(f, json!({"faturas": []}), ViolationCode::WrongShape, "$");
    violates(f, json!([messy_fatura(), "x"]), ViolationCode::WrongShape, "$[1]");
    violates(
        f,
        json!([with(messy_fatura(), "valor_final", json!("abc"))]),
        ViolationCode::InvalidMoney,
        "$[0].valor_final",
    );
    violates(
        f,
        json!([with(messy_fatura(), "valor_final", json!("-5,00"))]),
        ViolationCode::InvalidMoney,
        "$[0].valor_final",
    );
    violates(f, json!([without(messy_fatura(), "vencimento")]), ViolationCode::MissingField, "$[0].vencimento");
    violates(
        f,
        json!([with(messy_fatura(), "vencimento", json!("31/02/2026"))]),
        ViolationCode::InvalidDate,
        "$[0].vencimento",
    );
    violates(
        f,
        json!([with(messy_fatura(), "document_number", json!("529.982.247-26"))]),
        ViolationCode::InvalidDocument,
        "$[0].document_number",
    );
    violates(f, json!([with(messy_fatura(), "fatura", json!({"id": 1}))]), ViolationCode::WrongType, "$[0].fatura");
    violates(f, json!([without(messy_fatura(), "remote_id")]), ViolationCode::MissingField, "$[0].remote_id");
    let err = enforce(f, "<html>erro</html>").expect_err("not JSON");
    assert_eq!(err.code, ViolationCode::NotJson);
}

#[test]
fn invoices_of_another_customer_are_a_violation() {
    let input = json!({"customer_document_number": "11144477735"});
    let err = enforce_value(Function::ListInvoices, Some(&input), &json!([messy_fatura()]), EnforceOptions::default())
        .expect_err("foreign invoice passed");
    assert_eq!((err.code, err.path.as_str()), (ViolationCode::ForeignRecord, "$[0].document_number"));
    let input = json!({"customer_document_number": CPF});
    assert!(
        enforce_value(Function::ListInvoices, Some(&input), &json!([messy_fatura()]), EnforceOptions::default())
            .is_ok()
    );
}

#[test]
fn list_totem_invoices_sorts_oldest_due_first() {
    let later = with(messy_fatura(), "vencimento", json!("15/04/2026"));
    let earlier = with(with(messy_fatura(), "vencimento", json!("2026-02-10")), "remote_id", json!("999"));
    let out = enforce(Function::ListTotemInvoices, &json!([later, earlier]).to_string()).expect("valid");
    let dues: Vec<&str> =
        out.output.as_array().into_iter().flatten().filter_map(|f| f["vencimento"].as_str()).collect();
    assert_eq!(dues, ["2026-02-10", "2026-04-15"]);
    violates(
        Function::ListTotemInvoices,
        json!([with(messy_fatura(), "juros", json!("1.234"))]),
        ViolationCode::InvalidMoney,
        "$[0].juros",
    );
}

#[test]
fn get_invoice_returns_at_most_the_one_asked_for() {
    normalizes(Function::GetInvoice, json!([messy_fatura()]), json!([clean_fatura()]));
    normalizes(Function::GetInvoice, json!([]), json!([]));
    violates(Function::GetInvoice, json!([messy_fatura(), messy_fatura()]), ViolationCode::TooManyResults, "$");
    let input = json!({"customer_bill_id": "2002", "customer_document_number": CPF});
    let err = enforce_value(Function::GetInvoice, Some(&input), &json!([messy_fatura()]), EnforceOptions::default())
        .expect_err("another invoice passed");
    assert_eq!(err.code, ViolationCode::ForeignRecord);
}

#[test]
fn money_in_cents_when_the_adapter_says_so() {
    let raw = with(
        with(with(messy_fatura(), "valor_inicial", json!(123450)), "valor_final", json!(125070)),
        "juros",
        json!(1020),
    );
    let options = EnforceOptions { integer_money: ponte_contract::normalize::money::IntegerUnit::Cents };
    let out = enforce_value(Function::ListInvoices, None, &json!([raw]), options).expect("valid");
    assert_eq!(out.output, json!([clean_fatura()]));
}

#[test]
fn pdfs_must_be_base64_pdfs() {
    for f in [Function::GetBoletoPdf, Function::GetFiscalNotePdf] {
        normalizes(f, json!({"base_64": "JVBE\nRi0x\r\nLjQK"}), json!({"base_64": PDF_B64}));
        normalizes(
            f,
            json!({"base_64": format!("data:application/pdf;base64,{PDF_B64}")}),
            json!({"base_64": PDF_B64}),
        );
        violates(f, json!({"base_64": "PGh0bWw+"}), ViolationCode::InvalidPdf, "$.base_64");
        violates(f, json!({"base_64": "%%%"}), ViolationCode::InvalidPdf, "$.base_64");
        violates(f, json!({"base_64": ""}), ViolationCode::MissingField, "$.base_64");
        violates(f, json!({}), ViolationCode::MissingField, "$.base_64");
        violates(f, json!([1]), ViolationCode::WrongShape, "$");
    }
}

#[test]
fn settle_invoice_keeps_the_erps_answer() {
    let api = json!({"type": "success", "message": "Baixa efetuada", "id": "77"});
    normalizes(
        Function::SettleInvoice,
        json!({"success": "S", "api_response": api}),
        json!({"success": true, "api_response": api}),
    );
    normalizes(Function::SettleInvoice, json!({"success": 0}), json!({"success": false, "api_response": null}));
    violates(Function::SettleInvoice, json!({"api_response": {}}), ViolationCode::MissingField, "$.success");
    violates(Function::SettleInvoice, json!({"success": "maybe"}), ViolationCode::WrongType, "$.success");
    violates(Function::SettleInvoice, json!("ok"), ViolationCode::WrongShape, "$");
}

#[test]
fn orders_and_leads() {
    normalizes(
        Function::CreateOrder,
        json!({"remote_id": 55, "remote_message": "", "is_issue": "N"}),
        json!({"remote_id": "55", "remote_message": null, "is_issue": false}),
    );
    normalizes(
        Function::CreateOrder,
        json!({"remote_id": "55"}),
        json!({"remote_id": "55", "remote_message": null, "is_issue": false}),
    );
    violates(Function::CreateOrder, json!({"remote_id": ""}), ViolationCode::MissingField, "$.remote_id");
    violates(
        Function::CreateOrder,
        json!({"remote_id": "1", "is_issue": "talvez"}),
        ViolationCode::WrongType,
        "$.is_issue",
    );
    normalizes(Function::CreateOrderExistingCustomer, json!({"remote_id": 9, "extra": 1}), json!({"remote_id": "9"}));
    violates(Function::CreateOrderExistingCustomer, json!({"id": 9}), ViolationCode::MissingField, "$.remote_id");
    normalizes(Function::CreateLead, json!({"type": "success", "id": "3"}), json!({}));
    normalizes(Function::CreateLead, Value::Null, json!({}));
    violates(Function::CreateLead, json!([1]), ViolationCode::WrongShape, "$");
}

#[test]
fn catalog_lists() {
    let warnings = normalizes(
        Function::ListResellers,
        json!([{"code": 1, "name": " Loja Centro ", "taxvat": "12.ABC.345/01DE-35", "email": " Loja@Example.COM "},
               {"code": "2", "name": "Parceiro", "taxvat": "123", "email": "not-an-email"}]),
        json!([{"code": "1", "name": "Loja Centro", "taxvat": "12ABC34501DE35", "email": "loja@example.com"},
               {"code": "2", "name": "Parceiro", "taxvat": "", "email": ""}]),
    );
    assert_eq!(warnings, [WarningCode::InvalidDocument, WarningCode::InvalidEmail]);
    violates(Function::ListResellers, json!([{"name": "x"}]), ViolationCode::MissingField, "$[0].code");
    normalizes(
        Function::ListProducts,
        json!([{"codigo": 10, "nome": "Fibra 500"}]),
        json!([{"codigo": "10", "nome": "Fibra 500"}]),
    );
    violates(Function::ListProducts, json!([{"codigo": 10}]), ViolationCode::MissingField, "$[0].nome");
    normalizes(Function::ListDueDates, json!([{"code": "5", "name": 10}]), json!([{"code": "5", "name": "10"}]));
    violates(Function::ListDueDates, json!({"code": "5"}), ViolationCode::WrongShape, "$");
    normalizes(Function::ListCommercialOrigins, json!(null), json!([]));
    violates(
        Function::ListCommercialOrigins,
        json!([{"code": [1], "description": "x"}]),
        ViolationCode::WrongType,
        "$[0].code",
    );
}

#[test]
fn contacts_are_typed_normalized_and_deduplicated() {
    let warnings = normalizes(
        Function::GetCustomerContacts,
        json!([
            {"type": "EMAIL", "value": " Maria@Example.com "},
            {"type": "phone", "value": "(11) 98765-4321"},
            {"type": "phone", "value": "+55 11 98765-4321"},
            {"type": "fax", "value": "1133334444"},
            {"type": "email", "value": "maria@"},
        ]),
        json!([{"type": "email", "value": "maria@example.com"}, {"type": "phone", "value": "+5511987654321"}]),
    );
    assert_eq!(warnings, [WarningCode::ContactDropped; 3]);
    normalizes(Function::GetCustomerContacts, Value::Null, json!([]));
    violates(Function::GetCustomerContacts, json!([["email", "x"]]), ViolationCode::WrongShape, "$[0]");
}

#[test]
fn pending_issues_are_texts() {
    let warnings =
        normalizes(Function::GetPendingIssues, json!([" Débito em aberto ", "", null]), json!(["Débito em aberto"]));
    assert_eq!(warnings.len(), 2);
    normalizes(Function::GetPendingIssues, Value::Null, json!([]));
    violates(Function::GetPendingIssues, json!([{"text": "x"}]), ViolationCode::WrongType, "$[0]");
    violates(Function::GetPendingIssues, json!("texto"), ViolationCode::WrongShape, "$");
}

#[test]
fn customer_is_normalized_and_must_be_the_one_asked_for() {
    let raw = json!({
        "remote_id": 42, "name": "Maria da Silva", "document_number": "529.982.247-25",
        "email": "MARIA@EXAMPLE.COM", "phone": "11 3456-7890",
        "address": {"street": "Rua A", "number": 10, "complement": null, "neighborhood": "Centro",
                    "city": "São Paulo", "state": "sp", "zip_code": "01001-000"},
        "status": "Ativo"
    });
    normalizes(
        Function::GetCustomer,
        raw.clone(),
        json!({
            "remote_id": "42", "name": "Maria da Silva", "document_number": CPF,
            "email": "maria@example.com", "phone": "+551134567890",
            "address": {"street": "Rua A", "number": "10", "complement": "", "neighborhood": "Centro",
                        "city": "São Paulo", "state": "SP", "zip_code": "01001000"},
            "status": "active"
        }),
    );
    let messy = with(with(raw.clone(), "email", json!("nope")), "address", json!({"state": "XX", "zip_code": "123"}));
    let out = enforce(Function::GetCustomer, &messy.to_string()).expect("valid");
    assert_eq!(out.output["email"], Value::Null);
    assert_eq!(out.output["address"]["state"], "");
    assert_eq!(out.warnings.len(), 3);
    violates(
        Function::GetCustomer,
        with(raw.clone(), "status", json!("vip")),
        ViolationCode::InvalidStatus,
        "$.status",
    );
    violates(
        Function::GetCustomer,
        without(raw.clone(), "document_number"),
        ViolationCode::MissingField,
        "$.document_number",
    );
    violates(Function::GetCustomer, json!([raw.clone()]), ViolationCode::WrongShape, "$");
    let input = json!({"customer_document_number": "11144477735"});
    let err = enforce_value(Function::GetCustomer, Some(&input), &raw, EnforceOptions::default())
        .expect_err("foreign customer");
    assert_eq!(err.code, ViolationCode::ForeignRecord);
}

#[test]
fn update_customer_and_tickets() {
    normalizes(
        Function::UpdateCustomer,
        json!({"success": "true", "remote_message": "ok"}),
        json!({"success": true, "remote_message": "ok"}),
    );
    violates(Function::UpdateCustomer, json!({"remote_message": "ok"}), ViolationCode::MissingField, "$.success");
    normalizes(
        Function::CreateTicket,
        json!({"remote_id": 8812, "protocol": 2026031500001_u64}),
        json!({"remote_id": "8812", "protocol": "2026031500001"}),
    );
    normalizes(Function::CreateTicket, json!({"remote_id": "8812"}), json!({"remote_id": "8812", "protocol": ""}));
    violates(Function::CreateTicket, json!({"protocol": "1"}), ViolationCode::MissingField, "$.remote_id");
}

#[test]
fn fiscal_notes() {
    // Access key built on Receita Federal's alphanumeric CNPJ example (see normalize::access_key).
    let key = ponte_contract_test_key();
    let warnings = normalizes(
        Function::ListFiscalNotes,
        json!([
            {"remote_id": 1, "number": 123, "series": 1, "access_key": key.clone(), "issued_at": "05/03/2026 10:00:00", "amount": "99,90", "status": "Autorizada"},
            {"remote_id": 2, "number": 124, "access_key": "123", "issued_at": "2026-03-06", "amount": 10, "status": "cancelled"},
        ]),
        json!([
            {"remote_id": "1", "number": "123", "series": "1", "access_key": key, "issued_at": "2026-03-05", "amount": "99.90", "status": "authorized"},
            {"remote_id": "2", "number": "124", "series": "", "access_key": "", "issued_at": "2026-03-06", "amount": "10.00", "status": "cancelled"},
        ]),
    );
    assert_eq!(warnings, [WarningCode::InvalidAccessKey]);
    violates(
        Function::ListFiscalNotes,
        json!([{"remote_id": 1, "number": 1, "issued_at": "2026-03-06", "amount": 1, "status": "lost"}]),
        ViolationCode::InvalidStatus,
        "$[0].status",
    );
    violates(
        Function::ListFiscalNotes,
        json!([{"remote_id": 1, "number": 1, "amount": 1, "status": "pending"}]),
        ViolationCode::MissingField,
        "$[0].issued_at",
    );
}

/// A valid access key computed with the contract's own check digit (the real-world examples
/// live in the access key module's tests).
fn ponte_contract_test_key() -> String {
    let base = "3526031234567800019955001000000123100000012";
    let values: Vec<u32> = base.bytes().map(|b| u32::from(b) - 48).collect();
    let mut weight = 2;
    let mut sum = 0;
    for v in values.iter().rev() {
        sum += v * weight;
        weight = if weight == 9 { 2 } else { weight + 1 };
    }
    let dv = if sum % 11 < 2 { 0 } else { 11 - sum % 11 };
    format!("{base}{dv}")
}

#[test]
fn plans_and_blocked_plans() {
    let raw = json!([
        {"contract_id": 7, "name": "Fibra 300", "status": "Bloqueado", "price": "99,90", "due_day": "10"},
        {"contract_id": 8, "name": "Fibra 500", "status": "active", "price": 129.9, "due_day": null},
    ]);
    let blocked =
        json!({"contract_id": "7", "name": "Fibra 300", "status": "blocked", "price": "99.90", "due_day": 10});
    let active =
        json!({"contract_id": "8", "name": "Fibra 500", "status": "active", "price": "129.90", "due_day": null});
    normalizes(Function::ListPlans, raw.clone(), json!([blocked.clone(), active]));
    let warnings = normalizes(Function::ListBlockedPlans, raw, json!([blocked]));
    assert_eq!(warnings, [WarningCode::EntryDropped]);
    violates(
        Function::ListPlans,
        json!([{"contract_id": 7, "name": "x", "status": "blocked", "price": "1", "due_day": 40}]),
        ViolationCode::OutOfRange,
        "$[0].due_day",
    );
    violates(
        Function::ListPlans,
        json!([{"contract_id": 7, "name": "x", "status": "frozen", "price": "1"}]),
        ViolationCode::InvalidStatus,
        "$[0].status",
    );
    violates(
        Function::ListBlockedPlans,
        json!([{"contract_id": 7, "name": "x", "status": "blocked"}]),
        ViolationCode::MissingField,
        "$[0].price",
    );
}

#[test]
fn trust_unlock() {
    normalizes(
        Function::TrustUnlock,
        json!({"success": "S", "unlocked_until": "20/03/2026", "remote_message": "Desbloqueado"}),
        json!({"success": true, "unlocked_until": "2026-03-20", "remote_message": "Desbloqueado"}),
    );
    let warnings = normalizes(
        Function::TrustUnlock,
        json!({"success": false, "unlocked_until": "amanhã", "remote_message": "Contrato já utilizou o desbloqueio"}),
        json!({"success": false, "unlocked_until": null, "remote_message": "Contrato já utilizou o desbloqueio"}),
    );
    assert_eq!(warnings, [WarningCode::InvalidDate]);
    violates(Function::TrustUnlock, json!({"unlocked_until": null}), ViolationCode::MissingField, "$.success");
}

#[test]
fn violations_never_echo_the_offending_value() {
    let secretish = "R$ token-abc123";
    let err =
        enforce(Function::ListInvoices, &json!([with(messy_fatura(), "valor_final", json!(secretish))]).to_string())
            .expect_err("invalid money");
    assert!(!err.to_string().contains("abc123"), "{err}");
}

#[test]
fn every_normalized_output_reads_back_as_the_typed_output() {
    // The normalized JSON of each sample deserializes into the contract's Rust type: what the
    // PDK and the HTTP layer rely on.
    use ponte_contract::function::invoices::Fatura;
    let out = enforce(Function::ListInvoices, &json!([messy_fatura()]).to_string()).expect("valid");
    let typed: Vec<Fatura> = serde_json::from_value(out.output).expect("typed");
    assert_eq!(typed[0].codigo_barras, BB_BARCODE);
}
