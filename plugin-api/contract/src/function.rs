//! The 22 functions and their metadata table.
//!
//! [`Function`] names a function on the wire (`list_invoices`); [`Function::spec`] gives its
//! row of the table: the seed's Portuguese name, who may call it, whether it writes, and whether
//! its result may be cached. The per-function input and output types, and the rules that turn a
//! plugin's raw answer into them, live in one file per family under `function/`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub mod catalog;
pub mod customer;
pub mod fiscal;
pub mod invoices;
pub mod orders;
pub mod plans;

/// A caller's scope, carried by its API key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// The provider's customer app and website backend: every function.
    App,
    /// A self-service kiosk in the shop: the totem's functions only.
    Totem,
    /// The operator: every function, plus the operator endpoints.
    Admin,
}

impl Scope {
    /// Every scope, in a stable order.
    pub const ALL: [Scope; 3] = [Scope::App, Scope::Totem, Scope::Admin];

    /// The scope's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::App => "app",
            Scope::Totem => "totem",
            Scope::Admin => "admin",
        }
    }
}

impl FromStr for Scope {
    type Err = UnknownScope;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scope::ALL.into_iter().find(|scope| scope.as_str() == s).ok_or(UnknownScope)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A scope name that is not `app`, `totem` or `admin`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scope (expected app, totem or admin)")]
pub struct UnknownScope;

/// Whether a function only reads the ERP or changes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    /// Reads only: safe to retry, may be cached when [`FunctionSpec::cacheable`] says so.
    Read,
    /// Changes the ERP: needs an `Idempotency-Key`, never cached.
    Write,
}

/// One row of the function table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FunctionSpec {
    /// The function.
    pub function: Function,
    /// The function's name in the seed document (Portuguese).
    pub seed_name: &'static str,
    /// Whether a `totem` key may call it (`app` and `admin` keys may call every function).
    pub totem: bool,
    /// Read or write.
    pub access: Access,
    /// Whether the host may serve a cached result (within the automation's TTL). Writes never
    /// are; nor are the answers the settlement worker and trust unlock decide on.
    pub cacheable: bool,
    /// One line for the OpenAPI document and `GET /v1/functions`.
    pub summary: &'static str,
}

impl FunctionSpec {
    /// Whether a key with `scope` may call this function.
    pub fn allows(&self, scope: Scope) -> bool {
        match scope {
            Scope::App | Scope::Admin => true,
            Scope::Totem => self.totem,
        }
    }

    /// The scopes that may call this function.
    pub fn scopes(&self) -> Vec<Scope> {
        Scope::ALL.into_iter().filter(|s| self.allows(*s)).collect()
    }

    /// Whether the function writes (and so requires an `Idempotency-Key`).
    pub fn is_write(&self) -> bool {
        self.access == Access::Write
    }
}

macro_rules! functions {
    ($(
        $variant:ident = $name:literal, $seed:literal, totem: $totem:literal, $access:ident,
        cacheable: $cacheable:literal, $summary:literal;
    )*) => {
        /// A function of the contract.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum Function {
            $(
                #[doc = $summary]
                $variant,
            )*
        }

        /// The function table, in contract order.
        pub static FUNCTIONS: &[FunctionSpec] = &[
            $(FunctionSpec {
                function: Function::$variant,
                seed_name: $seed,
                totem: $totem,
                access: Access::$access,
                cacheable: $cacheable,
                summary: $summary,
            },)*
        ];

        impl Function {
            /// The function's name on the wire (`list_invoices`).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Function::$variant => $name,)*
                }
            }
        }
    };
}

functions! {
    CreateOrder = "create_order", "Criação de pedido", totem: false, Write, cacheable: false,
        "Create an order (or prospect) for a buyer who is not an ERP customer.";
    CreateOrderExistingCustomer = "create_order_existing_customer", "Criação de pedido para cliente já existente",
        totem: false, Write, cacheable: false,
        "Create an order for an existing ERP customer (opened as a ticket/service).";
    CreateLead = "create_lead", "Criação de lead", totem: false, Write, cacheable: false,
        "Create a lead from the checkout.";
    ListResellers = "list_resellers", "Listar revendedores", totem: false, Read, cacheable: true,
        "List the ERP's resellers, for the configuration screens.";
    ListProducts = "list_products", "Listar produtos", totem: false, Read, cacheable: true,
        "List the ERP's products, for the configuration screens.";
    ListDueDates = "list_due_dates", "Listar datas de vencimento", totem: false, Read, cacheable: true,
        "List the ERP's due-date options, for the configuration screens.";
    ListCommercialOrigins = "list_commercial_origins", "Listar origens comerciais", totem: false, Read, cacheable: true,
        "List the ERP's commercial origins, for the configuration screens.";
    ListInvoices = "list_invoices", "Listar faturas / Listagem de boletos", totem: true, Read, cacheable: true,
        "List a customer's invoices with boleto line and PIX code.";
    ListTotemInvoices = "list_totem_invoices", "Listagem de boletos para totem", totem: true, Read, cacheable: true,
        "List a customer's open invoices, oldest due first, for the totem.";
    GetInvoice = "get_invoice", "Pegar uma fatura pelo ID", totem: true, Read, cacheable: false,
        "Get one invoice by its ERP id (0 or 1 element); the settlement worker's source of truth.";
    GetBoletoPdf = "get_boleto_pdf", "Pegar pdf de um boleto", totem: true, Read, cacheable: true,
        "Get a boleto's PDF, base64-encoded.";
    SettleInvoice = "settle_invoice", "Baixa de boleto", totem: true, Write, cacheable: false,
        "Post a received payment (baixa) to the ERP, exactly once.";
    GetCustomerContacts = "get_customer_contacts", "Pegar contatos do cliente", totem: true, Read, cacheable: true,
        "Get a customer's e-mails and phones.";
    GetPendingIssues = "get_pending_issues", "Pegar texto para avaliar pendência interna", totem: false, Read, cacheable: false,
        "Get the texts the app evaluates for an internal pending issue.";
    GetCustomer = "get_customer", "Informações do cliente", totem: false, Read, cacheable: true,
        "Get a customer's registration data.";
    UpdateCustomer = "update_customer", "Editar dados do cliente", totem: false, Write, cacheable: false,
        "Change a customer's e-mail, phone or address.";
    CreateTicket = "create_ticket", "Criação de chamado", totem: false, Write, cacheable: false,
        "Open a support ticket for a customer.";
    ListFiscalNotes = "list_fiscal_notes", "Listagem de nota fiscal", totem: false, Read, cacheable: true,
        "List a customer's fiscal notes (NF-e, NFCom, NFS-e).";
    GetFiscalNotePdf = "get_fiscal_note_pdf", "PDF da nota fiscal", totem: false, Read, cacheable: true,
        "Get a fiscal note's PDF, base64-encoded.";
    ListPlans = "list_plans", "Listar planos do cliente", totem: false, Read, cacheable: false,
        "List a customer's plans (contracts) and their status.";
    ListBlockedPlans = "list_blocked_plans", "Listar planos bloqueados do cliente", totem: true, Read, cacheable: false,
        "List a customer's blocked plans.";
    TrustUnlock = "trust_unlock", "Desbloqueio de confiança", totem: true, Write, cacheable: false,
        "Unlock a blocked plan on trust.";
}

impl Function {
    /// Every function, in contract order.
    pub fn all() -> impl Iterator<Item = Function> {
        FUNCTIONS.iter().map(|spec| spec.function)
    }

    /// The function's row of the table.
    pub fn spec(self) -> &'static FunctionSpec {
        // The table is built by the same macro as the enum, in the same order.
        &FUNCTIONS[self as usize]
    }
}

impl FromStr for Function {
    type Err = UnknownFunction;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Function::all().find(|f| f.as_str() == s).ok_or(UnknownFunction)
    }
}

impl fmt::Display for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not one of the contract's functions.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no such function in the contract")]
pub struct UnknownFunction;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_the_22_functions_in_enum_order() {
        assert_eq!(FUNCTIONS.len(), 22);
        for (i, spec) in FUNCTIONS.iter().enumerate() {
            assert_eq!(spec.function as usize, i);
            assert_eq!(spec.function.spec(), spec);
        }
    }

    #[test]
    fn names_round_trip_and_match_serde() {
        for f in Function::all() {
            assert_eq!(f.as_str().parse::<Function>(), Ok(f));
            assert_eq!(serde_json::to_value(f).ok(), Some(serde_json::Value::from(f.as_str())));
        }
        assert_eq!("listInvoices".parse::<Function>(), Err(UnknownFunction));
    }

    #[test]
    fn writing_functions_are_exactly_the_contracts_list() {
        let writes: Vec<&str> = FUNCTIONS.iter().filter(|s| s.is_write()).map(|s| s.function.as_str()).collect();
        assert_eq!(
            writes,
            [
                "create_order",
                "create_order_existing_customer",
                "create_lead",
                "settle_invoice",
                "update_customer",
                "create_ticket",
                "trust_unlock"
            ]
        );
        assert!(FUNCTIONS.iter().filter(|s| s.is_write()).all(|s| !s.cacheable));
    }

    #[test]
    fn totem_scope_is_exactly_the_contracts_list() {
        let totem: Vec<&str> =
            FUNCTIONS.iter().filter(|s| s.allows(Scope::Totem)).map(|s| s.function.as_str()).collect();
        let mut expected = [
            "list_invoices",
            "list_totem_invoices",
            "get_invoice",
            "get_boleto_pdf",
            "settle_invoice",
            "list_blocked_plans",
            "trust_unlock",
            "get_customer_contacts",
        ];
        let mut totem_sorted = totem.clone();
        totem_sorted.sort();
        expected.sort();
        assert_eq!(totem_sorted, expected);
        assert!(FUNCTIONS.iter().all(|s| s.allows(Scope::App) && s.allows(Scope::Admin)));
    }

    #[test]
    fn settlement_source_of_truth_is_never_cached() {
        assert!(!Function::GetInvoice.spec().cacheable);
    }
}
