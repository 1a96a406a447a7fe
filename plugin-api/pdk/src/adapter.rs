//! [`Adapter`]: one method per contract function, and [`dispatch`], which the
//! [`export!`](crate::export) macro calls for every WIT `adapter.call`.

use ponte_contract::Contract;
use ponte_contract::Function;
use ponte_contract::function::{catalog, customer, fiscal, invoices, orders, plans};

use crate::error::Error;

/// The input a plugin receives for contract function `C`: validated and normalized by the
/// host (a CPF/CNPJ is digits, or the alphanumeric CNPJ's 14 characters; ids are text).
pub type Input<C> = <C as Contract>::Input;

/// The result a plugin returns for contract function `C`, before the host normalizes it: put
/// the ERP's values in as they come (`"1.234,50"`, `10/04/2026`, a masked CPF, a 44-digit
/// barcode in `codigo_barras`), and the host turns them into the contract's form or refuses
/// the result with `contract_violation`.
pub type Output<C> = <C as Contract>::Output;

macro_rules! adapter {
    ($(
        $(#[doc = $doc:literal])*
        $variant:ident => $method:ident($family:ident::$contract:ident);
    )*) => {
        /// An ERP adapter: one method per function of the contract, each taking the function's
        /// [`Input`] and returning its [`Output`], on the state [`new`](Adapter::new) builds.
        ///
        /// Write the methods your ERP can serve in an `impl Adapter` block marked
        /// [`#[adapter]`](crate::adapter): the attribute writes [`FUNCTIONS`](Adapter::FUNCTIONS)
        /// from the methods, so the functions are written once (a method is always served; a
        /// misspelt one is a compile error). Every other method answers
        /// [`Error::NotImplemented`]. New contract functions arrive as new methods with that
        /// default, so an adapter written against an older PDK keeps compiling (additive
        /// evolution, after Zed's `extension_api`).
        ///
        /// The host makes a fresh instance of the component for every call, and
        /// [`dispatch`] calls [`new`](Adapter::new) once per call before the method: read the
        /// settings and build the client there. State that outlives a call goes in
        /// [`kv`](crate::kv).
        ///
        /// ```
        /// use ponte_pdk::prelude::*;
        ///
        /// struct Demo {
        ///     greeting: String,
        /// }
        ///
        /// #[ponte_pdk::adapter]
        /// impl Adapter for Demo {
        ///     fn new() -> Result<Self, Error> {
        ///         Ok(Demo { greeting: "owes nothing".into() })
        ///     }
        ///
        ///     fn get_pending_issues(&self, input: CustomerInput) -> Result<Vec<String>, Error> {
        ///         Ok(vec![format!("{} {}", input.customer_document_number, self.greeting)])
        ///     }
        /// }
        ///
        /// assert_eq!(Demo::FUNCTIONS, [Function::GetPendingIssues]);
        /// let out = ponte_pdk::dispatch::<Demo>("get_pending_issues", r#"{"customer_document_number":"71460238001"}"#);
        /// assert_eq!(out.as_deref(), Ok(r#"["71460238001 owes nothing"]"#));
        /// assert_eq!(ponte_pdk::dispatch::<Demo>("list_invoices", "{}"), Err(Error::NotImplemented));
        /// ```
        ///
        /// A method that is no function of the contract does not compile:
        ///
        /// ```compile_fail
        /// use ponte_pdk::prelude::*;
        ///
        /// struct Typo;
        ///
        /// #[ponte_pdk::adapter]
        /// impl Adapter for Typo {
        ///     fn new() -> Result<Self, Error> {
        ///         Ok(Typo)
        ///     }
        ///
        ///     fn list_invoice(&self, input: ListInvoicesInput) -> Result<Vec<Fatura>, Error> {
        ///         Ok(Vec::new())
        ///     }
        /// }
        /// ```
        pub trait Adapter: Sized {
            /// The functions this adapter implements, as the WIT `adapter.functions` export
            /// answers them; [`#[adapter]`](crate::adapter) writes it from the methods. The
            /// host checks them against the manifest's `functions` at load.
            const FUNCTIONS: &'static [Function];

            /// The adapter's state for one call: its settings read, its client built.
            ///
            /// # Errors
            /// A missing or malformed setting ([`config::require`](crate::config::require)),
            /// which ends the call with that error.
            fn new() -> Result<Self, Error>;

            $(
                $(#[doc = $doc])*
                ///
                /// # Errors
                /// The default answers [`Error::NotImplemented`].
                fn $method(&self, input: Input<$family::$contract>) -> Result<Output<$family::$contract>, Error> {
                    let _ = input;
                    Err(Error::NotImplemented)
                }
            )*
        }

        /// Runs contract function `function` (its wire name) of adapter `A` on `input` (JSON):
        /// parses the input into the function's typed input, builds the adapter
        /// ([`Adapter::new`]), calls the method, and serializes its result. This is what [`export!`](crate::export) wires to the WIT `adapter.call`;
        /// it is a plain function so adapters can be tested natively.
        ///
        /// # Errors
        /// The method's error; [`Error::NotImplemented`] for a function not in
        /// [`Adapter::FUNCTIONS`] or a name this PDK's contract does not know (a newer host
        /// calling an older plugin); [`Adapter::new`]'s error; [`Error::Failed`] when the input
        /// is not the function's input or the output can't be serialized.
        pub fn dispatch<A: Adapter>(function: &str, input: &str) -> Result<String, Error> {
            let Ok(function) = function.parse::<Function>() else {
                return Err(Error::NotImplemented);
            };
            // What `functions()` exports is what `call` serves, whatever methods exist.
            if !A::FUNCTIONS.contains(&function) {
                return Err(Error::NotImplemented);
            }
            match function {
                $(Function::$variant => run::<$family::$contract>(function, input, |input| A::new()?.$method(input)),)*
            }
        }

        /// Each function with its method's name, to check that they agree.
        #[cfg(test)]
        pub(crate) const METHODS: &[(Function, &str, Function)] = &[
            $((Function::$variant, stringify!($method), <$family::$contract as Contract>::FUNCTION),)*
        ];
    };
}

adapter! {
    /// `create_order`: creates an order (or prospect) for a buyer who is not an ERP customer.
    CreateOrder => create_order(orders::CreateOrder);
    /// `create_order_existing_customer`: creates an order for an existing ERP customer (opened
    /// as a ticket/service).
    CreateOrderExistingCustomer => create_order_existing_customer(orders::CreateOrderExistingCustomer);
    /// `create_lead`: creates a lead from the checkout.
    CreateLead => create_lead(orders::CreateLead);
    /// `list_resellers`: the ERP's resellers, for the configuration screens.
    ListResellers => list_resellers(catalog::ListResellers);
    /// `list_products`: the ERP's products (plans for sale), for the configuration screens.
    ListProducts => list_products(catalog::ListProducts);
    /// `list_due_dates`: the ERP's due-date options, for the configuration screens.
    ListDueDates => list_due_dates(catalog::ListDueDates);
    /// `list_commercial_origins`: the ERP's commercial origins, for the configuration screens.
    ListCommercialOrigins => list_commercial_origins(catalog::ListCommercialOrigins);
    /// `list_invoices`: a customer's invoices with boleto line and PIX code (empty when the
    /// customer is unknown).
    ListInvoices => list_invoices(invoices::ListInvoices);
    /// `list_totem_invoices`: a customer's open invoices, for the totem (the host sorts them
    /// oldest due first).
    ListTotemInvoices => list_totem_invoices(invoices::ListTotemInvoices);
    /// `get_invoice`: one invoice by its ERP id, only if it is the customer's (empty
    /// otherwise); the settlement worker's source of truth.
    GetInvoice => get_invoice(invoices::GetInvoice);
    /// `get_boleto_pdf`: a boleto's PDF, base64-encoded.
    GetBoletoPdf => get_boleto_pdf(invoices::GetBoletoPdf);
    /// `settle_invoice`: posts a received payment to the ERP. The host calls it again after a
    /// lost answer: check whether the invoice is already paid before posting.
    SettleInvoice => settle_invoice(invoices::SettleInvoice);
    /// `get_customer_contacts`: a customer's e-mails and phones (empty when unknown).
    GetCustomerContacts => get_customer_contacts(customer::GetCustomerContacts);
    /// `get_pending_issues`: the texts the app evaluates for an internal pending issue (empty
    /// when none or the customer is unknown).
    GetPendingIssues => get_pending_issues(customer::GetPendingIssues);
    /// `get_customer`: a customer's registration data ([`Error::NotFound`] when unknown).
    GetCustomer => get_customer(customer::GetCustomer);
    /// `update_customer`: changes a customer's e-mail, phone or address.
    UpdateCustomer => update_customer(customer::UpdateCustomer);
    /// `create_ticket`: opens a support ticket for a customer.
    CreateTicket => create_ticket(customer::CreateTicket);
    /// `list_fiscal_notes`: a customer's fiscal notes.
    ListFiscalNotes => list_fiscal_notes(fiscal::ListFiscalNotes);
    /// `get_fiscal_note_pdf`: a fiscal note's PDF, base64-encoded.
    GetFiscalNotePdf => get_fiscal_note_pdf(fiscal::GetFiscalNotePdf);
    /// `list_plans`: a customer's plans (contracts) and their status.
    ListPlans => list_plans(plans::ListPlans);
    /// `list_blocked_plans`: a customer's blocked plans.
    ListBlockedPlans => list_blocked_plans(plans::ListBlockedPlans);
    /// `trust_unlock`: unlocks a blocked plan on trust (`success: false` with the ERP's reason
    /// when it refuses).
    TrustUnlock => trust_unlock(plans::TrustUnlock);
}

fn run<C: Contract>(
    function: Function,
    input: &str,
    method: impl FnOnce(C::Input) -> Result<C::Output, Error>,
) -> Result<String, Error> {
    let input: C::Input = serde_json::from_str(input)
        .map_err(|e| Error::Failed(format!("`{function}`: the input is not this function's input: {e}")))?;
    let output = method(input)?;
    serde_json::to_string(&output)
        .map_err(|e| Error::Failed(format!("`{function}`: the result could not be serialized: {e}")))
}

/// The names [`Adapter::FUNCTIONS`] exports.
pub(crate) fn function_names<A: Adapter>() -> Vec<String> {
    A::FUNCTIONS.iter().map(|f| f.as_str().to_owned()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ponte_contract::function::invoices::{CustomerInput, Fatura, ListInvoicesInput};
    use ponte_contract::function::plans::{TrustUnlockInput, TrustUnlockOutput};
    use serde_json::{Value, json};

    struct Fake;

    /// Written by hand, without `#[adapter]`: `FUNCTIONS` decides what is served.
    impl Adapter for Fake {
        const FUNCTIONS: &'static [Function] = &[Function::ListInvoices, Function::TrustUnlock, Function::GetCustomer];

        fn new() -> Result<Self, Error> {
            Ok(Fake)
        }

        fn list_invoices(&self, input: ListInvoicesInput) -> Result<Vec<Fatura>, Error> {
            if input.customer_document_number == "00000000191" {
                return Ok(vec![]);
            }
            Ok(vec![Fatura {
                document_number: "714.602.380-01".into(),
                fatura: "1001".into(),
                nome_cliente: "Maria".into(),
                valor_inicial: "1.234,50".into(),
                valor_final: "1.234,50".into(),
                juros: String::new(),
                multa: String::new(),
                emissao: "25/03/2026".into(),
                vencimento: "10/04/2026".into(),
                historico: input.contract_id.map(|c| c.to_string()).unwrap_or_default(),
                link_boleto: String::new(),
                linha_digitavel: String::new(),
                code_fatura: String::new(),
                identifier: String::new(),
                remote_id: "1001".into(),
                pix_code: String::new(),
                codigo_barras: String::new(),
            }])
        }

        fn trust_unlock(&self, input: TrustUnlockInput) -> Result<TrustUnlockOutput, Error> {
            match input.contract_id.as_str() {
                "204" => Ok(TrustUnlockOutput {
                    success: true,
                    unlocked_until: Some("2026-05-18".into()),
                    remote_message: None,
                }),
                "999" => Err(Error::not_found("contract 999")),
                _ => Err(Error::upstream("Contrato não está suspenso")),
            }
        }

        fn create_lead(
            &self,
            _: ponte_contract::function::orders::CreateLeadInput,
        ) -> Result<ponte_contract::function::orders::Empty, Error> {
            Ok(ponte_contract::function::orders::Empty {})
        }

        fn get_customer(&self, _: CustomerInput) -> Result<ponte_contract::function::customer::Customer, Error> {
            Err(Error::UpstreamTimeout)
        }
    }

    fn call(function: &str, input: Value) -> Result<Value, Error> {
        dispatch::<Fake>(function, &input.to_string()).map(|out| serde_json::from_str(&out).expect("JSON out"))
    }

    #[test]
    fn dispatch_parses_the_typed_input_calls_the_method_and_serializes_its_result() {
        let out = call("list_invoices", json!({"customer_document_number": "71460238001", "contract_id": 201}))
            .expect("served");
        assert_eq!(out[0]["valor_final"], "1.234,50", "ERP values pass through for the host to normalize");
        assert_eq!(out[0]["historico"], "201", "integer ids arrive as text");
        assert_eq!(call("list_invoices", json!({"customer_document_number": "00000000191"})), Ok(json!([])));
        assert_eq!(
            call("trust_unlock", json!({"customer_document_number": "25091746498", "contract_id": "204"})),
            Ok(json!({"success": true, "unlocked_until": "2026-05-18", "remote_message": null}))
        );
    }

    #[test]
    fn dispatch_passes_the_methods_errors_through() {
        let input = |contract: &str| json!({"customer_document_number": "25091746498", "contract_id": contract});
        assert_eq!(call("trust_unlock", input("999")), Err(Error::NotFound("contract 999".into())));
        assert!(matches!(call("trust_unlock", input("201")), Err(Error::UpstreamError(_))));
        assert_eq!(call("get_customer", json!({"customer_document_number": "1"})), Err(Error::UpstreamTimeout));
    }

    #[test]
    fn unlisted_and_unknown_functions_are_not_implemented_whatever_the_input() {
        assert_eq!(call("list_plans", json!({"customer_document_number": "1"})), Err(Error::NotImplemented));
        assert_eq!(call("list_resellers", json!({"not": "even its input"})), Err(Error::NotImplemented));
        assert_eq!(call("a_function_from_the_future", json!({})), Err(Error::NotImplemented));
        assert_eq!(
            call("create_lead", json!({"lead": {}})),
            Err(Error::NotImplemented),
            "a method not listed is not served"
        );
    }

    #[test]
    fn input_that_is_not_the_functions_input_is_a_plugin_failure() {
        assert!(
            matches!(dispatch::<Fake>("list_invoices", "{nope"), Err(Error::Failed(m)) if m.contains("list_invoices"))
        );
        assert!(matches!(call("list_invoices", json!({"cpf": "1"})), Err(Error::Failed(_))));
        assert!(
            matches!(
                call("list_invoices", json!({"customer_document_number": "1", "extra": 1})),
                Err(Error::Failed(_))
            ),
            "inputs are strict"
        );
    }

    #[test]
    fn every_contract_function_has_the_method_of_its_name() {
        assert_eq!(METHODS.len(), ponte_contract::FUNCTIONS.len());
        for (function, method, contract_function) in METHODS {
            assert_eq!(function.as_str(), *method);
            assert_eq!(function, contract_function);
        }
    }

    #[test]
    fn functions_export_the_wire_names() {
        assert_eq!(function_names::<Fake>(), ["list_invoices", "trust_unlock", "get_customer"]);
    }
}
