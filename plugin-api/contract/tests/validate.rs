//! Every input validator with each kind of bad input: not an object, wrong type, missing field,
//! unknown field, bad CPF/CNPJ, and the function's own semantic checks.

use ponte_contract::{Function, InputErrorCode, validate_input, validate_input_json};
use serde_json::{Value, json};

const CPF: &str = "52998224725";

fn rejects(function: Function, input: Value, code: InputErrorCode, field: &str) {
    let err = validate_input(function, &input).expect_err(&format!("{function}: {input} accepted"));
    assert_eq!((err.code, err.field.as_str()), (code, field), "{function}: {err}");
    assert!(!err.message.is_empty());
}

fn accepts(function: Function, input: Value) -> Value {
    validate_input(function, &input).unwrap_or_else(|e| panic!("{function}: {input} rejected: {e}"))
}

/// A valid input for every function, so the generic rejections below can be derived from it.
fn valid_input(function: Function) -> Value {
    match function {
        Function::CreateOrder => json!({"order": {"plan": "300MB"}, "message": "obs"}),
        Function::CreateOrderExistingCustomer => {
            json!({"order": {"plan": "300MB"}, "message": "obs", "customer_document_number": CPF, "wda_user": "maria"})
        }
        Function::CreateLead => json!({"lead": {"name": "Maria"}}),
        Function::ListResellers | Function::ListProducts | Function::ListDueDates | Function::ListCommercialOrigins => {
            json!({})
        }
        Function::ListInvoices => json!({"customer_document_number": CPF, "contract_id": "12"}),
        Function::GetInvoice => json!({"customer_bill_id": "1001", "customer_document_number": CPF}),
        Function::GetBoletoPdf => json!({"boleto_id": 1001}),
        Function::SettleInvoice => json!({
            "transaction": {"id": "E123", "amount": "99,90", "paid_at": "2026-03-10T14:02:00-03:00", "method": "pix"},
            "boleto_id": "1001", "customer_document_number": CPF
        }),
        Function::UpdateCustomer => json!({"customer_document_number": CPF, "changes": {"email": "a@b.com.br"}}),
        Function::CreateTicket => {
            json!({"customer_document_number": CPF, "subject": "Sem sinal", "message": "Desde ontem"})
        }
        Function::ListFiscalNotes => json!({"customer_document_number": CPF, "from": "2026-01-01", "to": "2026-03-31"}),
        Function::GetFiscalNotePdf => json!({"note_id": "55"}),
        Function::TrustUnlock => json!({"customer_document_number": CPF, "contract_id": 7}),
        Function::ListTotemInvoices
        | Function::GetCustomerContacts
        | Function::GetPendingIssues
        | Function::GetCustomer
        | Function::ListPlans
        | Function::ListBlockedPlans => json!({"customer_document_number": CPF}),
    }
}

#[test]
fn every_function_accepts_its_valid_input() {
    for f in Function::all() {
        accepts(f, valid_input(f));
    }
}

#[test]
fn every_function_rejects_a_body_that_is_not_an_object() {
    for f in Function::all() {
        for body in [json!(null), json!([]), json!("x"), json!(1)] {
            rejects(f, body, InputErrorCode::InvalidInput, "$");
        }
        let err = validate_input_json(f, b"{not json").expect_err("not JSON");
        assert_eq!((err.code, err.field.as_str()), (InputErrorCode::InvalidInput, "$"));
    }
}

#[test]
fn every_function_rejects_unknown_fields() {
    for f in Function::all() {
        let mut input = valid_input(f);
        input["customer_document"] = json!(CPF);
        let err = validate_input(f, &input).expect_err("unknown field accepted");
        assert_eq!(err.code, InputErrorCode::InvalidInput, "{f}");
        assert!(err.message.contains("customer_document"), "{f}: {err}");
    }
}

#[test]
fn every_required_field_is_required_and_typed() {
    for f in Function::all() {
        let valid = valid_input(f);
        let Some(fields) = valid.as_object() else { continue };
        for (key, value) in fields {
            let optional = matches!(key.as_str(), "contract_id" | "from" | "to" | "message")
                && !matches!(f, Function::CreateTicket | Function::TrustUnlock);
            let mut missing = valid.clone();
            missing.as_object_mut().map(|m| m.remove(key));
            match validate_input(f, &missing) {
                Ok(_) => assert!(optional, "{f}: missing `{key}` accepted"),
                Err(err) => {
                    assert!(!optional, "{f}: optional `{key}` required");
                    assert_eq!(err.code, InputErrorCode::InvalidInput, "{f}.{key}: {err}");
                    assert!(err.message.contains(key.as_str()), "{f}.{key}: {err}");
                }
            }
            // A wrong type: an object where text or an id belongs, a list where an object belongs.
            let wrong = if value.is_object() { json!(["x"]) } else { json!({"x": 1}) };
            let mut typed = valid.clone();
            typed[key] = wrong;
            let err = validate_input(f, &typed).expect_err("wrong type accepted");
            assert_eq!((err.code, err.field.as_str()), (InputErrorCode::InvalidInput, key.as_str()), "{f}: {err}");
        }
    }
}

#[test]
fn every_document_field_is_verified_and_normalized() {
    for f in Function::all() {
        let valid = valid_input(f);
        if valid.get("customer_document_number").is_none() {
            continue;
        }
        for bad in ["529.982.247-26", "123", "111.111.111-11", "12.ABC.345/01DE-36", "52998224725x"] {
            let mut input = valid.clone();
            input["customer_document_number"] = json!(bad);
            rejects(f, input, InputErrorCode::InvalidDocument, "customer_document_number");
        }
        let mut input = valid.clone();
        input["customer_document_number"] = json!(52998224725_u64);
        rejects(f, input, InputErrorCode::InvalidInput, "customer_document_number");
        let mut input = valid.clone();
        input["customer_document_number"] = json!("12.abc.345/01de-35");
        assert_eq!(accepts(f, input)["customer_document_number"], "12ABC34501DE35", "{f}");
        let mut input = valid;
        input["customer_document_number"] = json!("529.982.247-25");
        assert_eq!(accepts(f, input)["customer_document_number"], CPF, "{f}");
    }
}

#[test]
fn ids_are_text_or_integers_and_never_blank() {
    assert_eq!(accepts(Function::GetBoletoPdf, json!({"boleto_id": 1001}))["boleto_id"], "1001");
    rejects(Function::GetBoletoPdf, json!({"boleto_id": ""}), InputErrorCode::InvalidInput, "boleto_id");
    rejects(Function::GetBoletoPdf, json!({"boleto_id": -1}), InputErrorCode::InvalidInput, "boleto_id");
    rejects(Function::GetFiscalNotePdf, json!({"note_id": 1.5}), InputErrorCode::InvalidInput, "note_id");
    rejects(
        Function::TrustUnlock,
        json!({"customer_document_number": CPF, "contract_id": null}),
        InputErrorCode::InvalidInput,
        "contract_id",
    );
}

#[test]
fn settle_invoice_checks_the_transaction() {
    let ok = accepts(Function::SettleInvoice, valid_input(Function::SettleInvoice));
    assert_eq!(ok["transaction"]["amount"], "99.90");
    assert_eq!(ok["transaction"]["paid_at"], "2026-03-10T14:02:00-03:00");
    let with_tx = |tx: Value| {
        let mut input = valid_input(Function::SettleInvoice);
        input["transaction"] = tx;
        input
    };
    let base =
        json!({"id": "E123", "amount": "99.90", "paid_at": "2026-03-10T14:02:00Z", "method": "pix", "nsu": 12345});
    let ok = accepts(Function::SettleInvoice, with_tx(base.clone()));
    assert_eq!(ok["transaction"]["nsu"], 12345, "other fields pass through");
    let mut amount_number = base.clone();
    amount_number["amount"] = json!(99.9);
    assert_eq!(accepts(Function::SettleInvoice, with_tx(amount_number))["transaction"]["amount"], "99.90");
    // A number is reais from its exact text, rounded half up to cents: `1.005` is R$ 1.01, not
    // the Brazilian text "1.005" (a thousand and five); below half a cent is zero, refused.
    for (number, reais) in [("1.005", "1.01"), ("0.005", "0.01"), ("1234.5", "1234.50")] {
        let mut tx = base.clone();
        tx["amount"] = serde_json::from_str(number).expect("a JSON number");
        assert_eq!(accepts(Function::SettleInvoice, with_tx(tx))["transaction"]["amount"], reais, "{number}");
    }
    let mut tiny = base.clone();
    tiny["amount"] = serde_json::from_str("0.004").expect("a JSON number");
    rejects(Function::SettleInvoice, with_tx(tiny), InputErrorCode::InvalidInput, "transaction.amount");

    let cases = [
        ("amount", json!("abc"), "transaction.amount"),
        ("amount", json!("0,00"), "transaction.amount"),
        ("amount", json!("-1,00"), "transaction.amount"),
        ("paid_at", json!("10/03/2026"), "transaction.paid_at"),
        ("paid_at", json!("2026-03-10T14:02:00"), "transaction.paid_at"),
        ("id", json!("   "), "transaction.id"),
    ];
    for (key, value, field) in cases {
        let mut tx = base.clone();
        tx[key] = value;
        rejects(Function::SettleInvoice, with_tx(tx), InputErrorCode::InvalidInput, field);
    }
    for (key, value) in [("method", json!("bitcoin")), ("id", json!(null)), ("paid_at", json!(5))] {
        let mut tx = base.clone();
        tx[key] = value;
        let err = validate_input(Function::SettleInvoice, &with_tx(tx)).expect_err("bad transaction accepted");
        assert_eq!(err.code, InputErrorCode::InvalidInput);
        assert!(err.message.contains(key), "{err}");
    }
}

#[test]
fn update_customer_checks_the_changes() {
    let f = Function::UpdateCustomer;
    let ok = accepts(
        f,
        json!({"customer_document_number": CPF, "changes": {"phone": "(11) 98765-4321", "email": " A@B.COM "}}),
    );
    assert_eq!(ok["changes"], json!({"phone": "+5511987654321", "email": "a@b.com"}));
    rejects(f, json!({"customer_document_number": CPF, "changes": {}}), InputErrorCode::InvalidInput, "changes");
    rejects(
        f,
        json!({"customer_document_number": CPF, "changes": {"email": "nope"}}),
        InputErrorCode::InvalidInput,
        "changes.email",
    );
    rejects(
        f,
        json!({"customer_document_number": CPF, "changes": {"phone": "123"}}),
        InputErrorCode::InvalidInput,
        "changes.phone",
    );
    rejects(
        f,
        json!({"customer_document_number": CPF, "changes": {"name": "x"}}),
        InputErrorCode::InvalidInput,
        "changes",
    );
    let address = json!({"street": "Rua A", "number": "10", "neighborhood": "Centro", "city": "Recife", "state": "pe", "zip_code": "50030-230"});
    let ok = accepts(f, json!({"customer_document_number": CPF, "changes": {"address": address.clone()}}));
    assert_eq!(ok["changes"]["address"]["state"], "PE");
    assert_eq!(ok["changes"]["address"]["zip_code"], "50030230");
    let mut bad = address.clone();
    bad["state"] = json!("XX");
    rejects(
        f,
        json!({"customer_document_number": CPF, "changes": {"address": bad}}),
        InputErrorCode::InvalidInput,
        "changes.address.state",
    );
    let mut bad = address;
    bad["zip_code"] = json!("5003");
    rejects(
        f,
        json!({"customer_document_number": CPF, "changes": {"address": bad}}),
        InputErrorCode::InvalidInput,
        "changes.address.zip_code",
    );
}

#[test]
fn texts_are_trimmed_bounded_and_non_blank() {
    let f = Function::CreateTicket;
    let ok = accepts(f, json!({"customer_document_number": CPF, "subject": "  Sem sinal ", "message": "x"}));
    assert_eq!(ok["subject"], "Sem sinal");
    rejects(
        f,
        json!({"customer_document_number": CPF, "subject": " ", "message": "x"}),
        InputErrorCode::InvalidInput,
        "subject",
    );
    rejects(
        f,
        json!({"customer_document_number": CPF, "subject": "x".repeat(201), "message": "x"}),
        InputErrorCode::InvalidInput,
        "subject",
    );
    rejects(
        f,
        json!({"customer_document_number": CPF, "subject": "a\u{7}b", "message": "x"}),
        InputErrorCode::InvalidInput,
        "subject",
    );
    rejects(Function::CreateLead, json!({"lead": {}}), InputErrorCode::InvalidInput, "lead");
    rejects(
        Function::CreateOrderExistingCustomer,
        json!({"order": {}, "customer_document_number": CPF, "wda_user": ""}),
        InputErrorCode::InvalidInput,
        "wda_user",
    );
}

#[test]
fn fiscal_note_dates_are_dates_in_order() {
    let f = Function::ListFiscalNotes;
    let ok = accepts(f, json!({"customer_document_number": CPF, "from": "01/02/2026"}));
    assert_eq!(ok["from"], "2026-02-01");
    rejects(f, json!({"customer_document_number": CPF, "from": "ontem"}), InputErrorCode::InvalidInput, "from");
    rejects(f, json!({"customer_document_number": CPF, "to": "2026-02-30"}), InputErrorCode::InvalidInput, "to");
    rejects(
        f,
        json!({"customer_document_number": CPF, "from": "2026-03-01", "to": "2026-02-01"}),
        InputErrorCode::InvalidInput,
        "from",
    );
}
