//! [`export!`](crate::export): makes an [`Adapter`] the component's `adapter` export.

use std::marker::PhantomData;

use crate::adapter::{Adapter, dispatch, function_names};
use crate::bindings::exports::ponte::plugin::adapter::{Error as WitError, Guest};

/// The WIT `adapter` export of adapter `A`. Named by [`export!`](crate::export) only.
#[doc(hidden)]
pub struct Export<A>(PhantomData<A>);

impl<A: Adapter> Guest for Export<A> {
    fn call(function: String, input: String) -> Result<String, WitError> {
        dispatch::<A>(&function, &input).map_err(WitError::from)
    }

    fn functions() -> Vec<String> {
        function_names::<A>()
    }
}

/// The PDK's version (major, minor, patch).
pub const PDK_VERSION: (u16, u16, u16) = (
    parse_u16(env!("CARGO_PKG_VERSION_MAJOR")),
    parse_u16(env!("CARGO_PKG_VERSION_MINOR")),
    parse_u16(env!("CARGO_PKG_VERSION_PATCH")),
);

/// [`PDK_VERSION`] as six big-endian bytes: the content of the `ponte:pdk-version` custom
/// section that [`export!`](crate::export) puts in the component's core module (after Zed's
/// `zed:api-version`), so a host can tell which PDK built a plugin without instantiating it.
#[doc(hidden)]
pub const PDK_VERSION_BYTES: [u8; 6] = {
    let (major, minor, patch) = PDK_VERSION;
    let (major, minor, patch) = (major.to_be_bytes(), minor.to_be_bytes(), patch.to_be_bytes());
    [major[0], major[1], minor[0], minor[1], patch[0], patch[1]]
};

const fn parse_u16(text: &str) -> u16 {
    let bytes = text.as_bytes();
    let mut value: u16 = 0;
    let mut i = 0;
    while i < bytes.len() {
        assert!(bytes[i].is_ascii_digit(), "a version part is not a number");
        value = value * 10 + (bytes[i] - b'0') as u16;
        i += 1;
    }
    value
}

/// Exports an [`Adapter`] as the component's `ponte:plugin/adapter` (WIT `call` and
/// `functions`). Use it once, at the root of the plugin's crate:
///
/// ```
/// use ponte_pdk::prelude::*;
///
/// struct MyErp;
///
/// #[adapter]
/// impl Adapter for MyErp {
///     fn new() -> Result<Self, Error> {
///         Ok(MyErp)
///     }
/// }
///
/// ponte_pdk::export!(MyErp);
/// ```
///
/// On `wasm32` targets it expands to the component's exports (`call` dispatches on the function
/// name through [`dispatch`](crate::dispatch)) and the `ponte:pdk-version` custom section. On
/// any other target (native unit tests, `cargo clippy --workspace`) it exports nothing and only
/// type-checks the adapter, so a plugin crate can be a member of a native workspace.
#[macro_export]
macro_rules! export {
    ($adapter:ty) => {
        #[cfg(target_arch = "wasm32")]
        const _: () = {
            type __PonteExport = $crate::Export<$adapter>;
    $crate::bindings::__export_raw!(__PonteExport with_types_in $crate::bindings);

            #[unsafe(link_section = "ponte:pdk-version")]
            #[used]
            static __PONTE_PDK_VERSION: [u8; 6] = $crate::PDK_VERSION_BYTES;
        };

        #[cfg(not(target_arch = "wasm32"))]
        const _: fn(&str, &str) -> ::core::result::Result<::std::string::String, $crate::Error> =
            $crate::dispatch::<$adapter>;
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_bytes_are_the_crate_version_big_endian() {
        let expected = format!("{}.{}.{}", PDK_VERSION.0, PDK_VERSION.1, PDK_VERSION.2);
        assert_eq!(expected, env!("CARGO_PKG_VERSION"));
        let b = PDK_VERSION_BYTES;
        let read = |i: usize| u16::from_be_bytes([b[i], b[i + 1]]);
        assert_eq!((read(0), read(2), read(4)), PDK_VERSION);
    }

    #[test]
    fn the_export_answers_call_and_functions() {
        struct Empty;
        impl Adapter for Empty {
            const FUNCTIONS: &'static [ponte_contract::Function] = &[ponte_contract::Function::ListProducts];

            fn new() -> Result<Self, crate::Error> {
                Ok(Empty)
            }
        }
        assert!(matches!(
            <Export<Empty> as Guest>::call("list_products".into(), "{}".into()),
            Err(WitError::NotImplemented)
        ));
        assert_eq!(<Export<Empty> as Guest>::functions(), ["list_products"]);
    }
}
