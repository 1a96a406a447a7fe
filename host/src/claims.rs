//! The settlement claims this process holds while their attempts run: a leaf both the shared
//! [`crate::invoke::Host`] (which keeps them) and [`crate::settlement`] (which fills them and
//! gives them back at shutdown, [`crate::settlement::release_held`]) depend on.

/// The claims this process holds (settlement id → lease token) while their attempts run.
#[derive(Debug, Default)]
pub struct HeldClaims(std::sync::Mutex<std::collections::HashMap<String, String>>);

impl HeldClaims {
    pub(crate) fn hold(&self, id: &str, token: &str) {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(id.to_owned(), token.to_owned());
    }

    pub(crate) fn ended(&self, id: &str, token: &str) {
        let mut held = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if held.get(id).is_some_and(|t| t == token) {
            held.remove(id);
        }
    }

    pub(crate) fn take(&self) -> Vec<(String, String)> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).drain().collect()
    }
}
