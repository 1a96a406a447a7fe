//! A DNS resolver that applies the egress policy to every answer, so a public-looking name
//! that resolves inwards (DNS rebinding, a hostile redirect) is refused at connect time.

use std::net::SocketAddr;
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::policy::{Denied, EgressPolicy};

/// The resolver of one connection's client.
pub(super) struct PolicyResolver {
    policy: Arc<EgressPolicy>,
}

impl PolicyResolver {
    pub(super) fn new(policy: Arc<EgressPolicy>) -> Self {
        PolicyResolver { policy }
    }
}

impl Resolve for PolicyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = Arc::clone(&self.policy);
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let answers: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if policy.proxy().is_some_and(|proxy| proxy.exempts(&host)) {
                // The host operator's proxy: trusted wherever it lives.
                return Ok(Box::new(answers.into_iter()) as Addrs);
            }
            let mut first_denial = None;
            let allowed: Vec<SocketAddr> = answers
                .into_iter()
                .filter(|addr| match policy.check_ip(addr.ip(), Some(&host)) {
                    Ok(()) => true,
                    Err(denied) => {
                        first_denial.get_or_insert(denied);
                        false
                    }
                })
                .collect();
            if allowed.is_empty() {
                let denied = first_denial.unwrap_or_else(|| Denied(format!("{host} did not resolve")));
                return Err(Box::new(denied) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}
