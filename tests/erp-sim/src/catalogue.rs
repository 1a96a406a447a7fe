//! The catalogues every simulator serves, the same in every ERP: the plans for sale, the
//! sellers, the due-date options and the commercial origins a provider's configuration screens
//! list (`list_products`, `list_resellers`, `list_due_dates`, `list_commercial_origins`).
//!
//! Like [`crate::people`], these are the provider's facts, not any ERP's: each simulator shows
//! them in its own shape (IXC's `vd_contratos` and `vendedor` rows, SGP's `planos`, Hubsoft's
//! `servicos`, `vendedores`, `vencimentos` and `origens_cliente`), so the conformance suite can
//! hold every adapter to the same catalogue. An ERP that has no such listing (IXC has no due
//! dates nor origins, SGP no sellers) simply doesn't serve it.

/// A plan for sale (IXC `vd_contratos`, SGP `planos`, Hubsoft `servicos`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// The plan's id in every ERP.
    pub id: u64,
    /// Its name.
    pub name: &'static str,
    /// A longer description (IXC's `descricao`).
    pub description: &'static str,
    /// Monthly price, cents.
    pub price_cents: u64,
    /// Sold today; an inactive plan is never listed for sale (customers may still have it).
    pub active: bool,
    /// Download speed, Mbps.
    pub download_mbps: u64,
    /// Upload speed, Mbps.
    pub upload_mbps: u64,
    /// Radio rather than fibre (Hubsoft's `servico_tecnologia`).
    pub radio: bool,
}

/// Every plan; `4` is discontinued (inactive) but [`crate::people::CONTRACT_INACTIVE`] still has it.
pub const PLANS: &[Plan] = &[
    Plan {
        id: 1,
        name: "Fibra 300 Mega",
        description: "Internet fibra óptica 300 Mbps",
        price_cents: 9990,
        active: true,
        download_mbps: 300,
        upload_mbps: 150,
        radio: false,
    },
    Plan {
        id: 2,
        name: "Fibra 600 Mega",
        description: "Internet fibra óptica 600 Mbps",
        price_cents: 12990,
        active: true,
        download_mbps: 600,
        upload_mbps: 300,
        radio: false,
    },
    Plan {
        id: 3,
        name: "Fibra 1 Giga Empresarial",
        description: "Internet fibra óptica 1 Gbps com IP fixo",
        price_cents: 19990,
        active: true,
        download_mbps: 1000,
        upload_mbps: 500,
        radio: false,
    },
    Plan {
        id: 4,
        name: "Rádio 15 Megas",
        description: "Plano via rádio, descontinuado",
        price_cents: 7990,
        active: false,
        download_mbps: 15,
        upload_mbps: 5,
        radio: true,
    },
];

/// The plan with this id.
///
/// # Panics
/// When there is none: the datasets only name the plans above.
pub fn plan(id: u64) -> &'static Plan {
    PLANS.iter().find(|p| p.id == id).unwrap_or_else(|| panic!("no plan {id} in the catalogue"))
}

/// The plans for sale (active), in id order.
pub fn plans_for_sale() -> impl Iterator<Item = &'static Plan> {
    PLANS.iter().filter(|p| p.active)
}

/// A seller or reseller (IXC `vendedor`, Hubsoft `vendedores`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seller {
    /// The seller's id in every ERP.
    pub id: u64,
    /// Its name.
    pub name: &'static str,
    /// Its CPF/CNPJ, masked, or `""` (a store of the provider's own has none).
    pub taxvat: &'static str,
    /// Its e-mail, or `""`.
    pub email: &'static str,
    /// Still selling; an inactive seller is never listed.
    pub active: bool,
}

/// Every seller; `3` left the company (inactive).
pub const SELLERS: &[Seller] = &[
    Seller { id: 1, name: "Loja Centro", taxvat: "", email: "loja.centro@ponte-demo.example", active: true },
    Seller {
        id: 2,
        name: "Revenda Norte Telecom",
        taxvat: "11.222.333/0001-81",
        email: "contato@revendanorte.example",
        active: true,
    },
    Seller { id: 3, name: "Roberto Vendas (desligado)", taxvat: "", email: "", active: false },
];

/// A due-date option's day: a day of the month, or the month's last day (Hubsoft's
/// `"ultimo_dia"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DueDay {
    /// This day of every month.
    Day(u8),
    /// The last day of every month.
    LastDay,
}

/// A due-date option a new customer may choose (Hubsoft `vencimentos`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueDate {
    /// The option's id.
    pub id: u64,
    /// Its day.
    pub day: DueDay,
}

/// The due-date options, in the order ERPs list them (by day). The people's contracts fall due
/// on days 5, 10, 15 and 25.
pub const DUE_DATES: &[DueDate] = &[
    DueDate { id: 1, day: DueDay::Day(5) },
    DueDate { id: 2, day: DueDay::Day(10) },
    DueDate { id: 3, day: DueDay::Day(15) },
    DueDate { id: 4, day: DueDay::Day(20) },
    DueDate { id: 5, day: DueDay::Day(25) },
    DueDate { id: 6, day: DueDay::LastDay },
];

/// Where a customer heard of the provider (Hubsoft `origens_cliente`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommercialOrigin {
    /// The origin's id.
    pub id: u64,
    /// Its description.
    pub description: &'static str,
}

/// Every commercial origin.
pub const COMMERCIAL_ORIGINS: &[CommercialOrigin] = &[
    CommercialOrigin { id: 1, description: "Instagram" },
    CommercialOrigin { id: 2, description: "Facebook" },
    CommercialOrigin { id: 3, description: "Google" },
    CommercialOrigin { id: 4, description: "Indicação de cliente" },
    CommercialOrigin { id: 5, description: "Panfleto" },
];

#[cfg(test)]
mod tests {
    use super::*;
    use ponte_contract::normalize::document::Document;

    #[test]
    fn ids_are_unique_and_documents_valid() {
        let mut plan_ids: Vec<u64> = PLANS.iter().map(|p| p.id).collect();
        plan_ids.dedup();
        assert_eq!(plan_ids.len(), PLANS.len());
        assert_eq!(plans_for_sale().map(|p| p.id).collect::<Vec<_>>(), [1, 2, 3]);
        assert_eq!(plan(2).name, "Fibra 600 Mega");
        for seller in SELLERS.iter().filter(|s| !s.taxvat.is_empty()) {
            assert!(Document::parse(seller.taxvat).is_ok(), "{}", seller.taxvat);
        }
        let days: Vec<DueDay> = DUE_DATES.iter().map(|d| d.day).collect();
        assert!(days.contains(&DueDay::Day(5)) && days.contains(&DueDay::LastDay));
        assert!(COMMERCIAL_ORIGINS.iter().all(|o| !o.description.is_empty()));
    }
}
