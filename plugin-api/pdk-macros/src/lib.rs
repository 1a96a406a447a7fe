//! `#[ponte_pdk::adapter]`: an adapter's functions are written once, as the methods of its
//! `impl Adapter` block. The attribute reads the methods' names (each must be a function of
//! the contract; `new` builds the adapter) and writes the impl's `FUNCTIONS` from them, so a
//! method is always served and nothing else is. Use it through `ponte_pdk::adapter`.

use ponte_contract::Function;
use proc_macro::TokenStream;
use quote::{format_ident, quote};
use syn::{ImplItem, ItemImpl, parse_macro_input, parse_quote};

/// Writes `FUNCTIONS` of an `impl Adapter for ...` block from its methods.
///
/// ```ignore
/// #[ponte_pdk::adapter]
/// impl Adapter for Acme {
///     fn new() -> Result<Self, Error> { Ok(Acme { base: config::require("base_url")? }) }
///     fn list_invoices(&self, input: ListInvoicesInput) -> Result<Vec<Fatura>, Error> { ... }
/// }
/// ```
#[proc_macro_attribute]
pub fn adapter(attr: TokenStream, item: TokenStream) -> TokenStream {
    if !attr.is_empty() {
        let attr = proc_macro2::TokenStream::from(attr);
        return syn::Error::new_spanned(attr, "#[adapter] takes no arguments").to_compile_error().into();
    }
    let mut block = parse_macro_input!(item as ItemImpl);
    if block.trait_.is_none() {
        return syn::Error::new_spanned(&block.self_ty, "#[adapter] goes on an `impl Adapter for ...` block")
            .to_compile_error()
            .into();
    }
    let mut variants = Vec::new();
    for item in &block.items {
        match item {
            ImplItem::Fn(method) => {
                let name = method.sig.ident.to_string();
                if name == "new" {
                    continue;
                }
                match name.parse::<Function>() {
                    Ok(function) => variants.push(format_ident!("{}", format!("{function:?}"))),
                    Err(_) => {
                        let message = format!(
                            "`{name}` is not a function of Ponte's contract (an adapter's methods are its functions, named as the contract names them; helpers go outside the impl)"
                        );
                        return syn::Error::new(method.sig.ident.span(), message).to_compile_error().into();
                    }
                }
            }
            ImplItem::Const(constant) if constant.ident == "FUNCTIONS" => {
                let message = "#[adapter] writes FUNCTIONS from the methods: remove it";
                return syn::Error::new(constant.ident.span(), message).to_compile_error().into();
            }
            _ => {}
        }
    }
    block.items.push(parse_quote! {
        const FUNCTIONS: &'static [::ponte_pdk::Function] = &[#(::ponte_pdk::Function::#variants),*];
    });
    quote!(#block).into()
}
