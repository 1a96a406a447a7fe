//! Egress through an HTTP(S) proxy: ERPs such as IXC and SGP take calls only from allowlisted
//! addresses, so a tenant (`egress_proxy` in its automation) or the whole host
//! (`--egress-proxy`) sends its upstream calls through a proxy with a fixed address.
//!
//! The policy is the same as for direct calls: the URL is checked against the manifest's hosts
//! and the private-address rules, and since the proxy (not Ponte) resolves the target's name,
//! the name is resolved here first and every address it has must pass the policy, or the
//! request is refused before the proxy sees it. The proxy's own address is checked too when a
//! tenant names it (a proxy on an internal address needs the tenant's `allow_private`); the
//! host's proxy is the operator's and trusted. Proxy credentials (`http://user:pass@proxy`) are
//! a secret: never logged, never shown.

use std::net::IpAddr;

use url::Url;

use super::policy::{Denied, EgressPolicy};
use crate::secret::Secret;

/// A proxy upstream calls leave through.
#[derive(Clone)]
pub struct EgressProxy {
    url: Secret,
    host: String,
    /// The host operator's proxy: its address is not checked against the tenant's policy.
    trusted: bool,
}

impl std::fmt::Debug for EgressProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EgressProxy").field("host", &self.host).field("trusted", &self.trusted).finish()
    }
}

impl EgressProxy {
    /// Checks a proxy URL: `http` or `https`, a host, nothing after it but `/`.
    ///
    /// # Errors
    /// What is wrong, without the URL (it may carry a password).
    pub fn check(url: &str) -> Result<(), String> {
        Self::parse(url).map(|_| ())
    }

    fn parse(url: &str) -> Result<Url, String> {
        let parsed = Url::parse(url).map_err(|e| format!("not a proxy URL ({e}); e.g. http://proxy.internal:3128"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err("a proxy URL is http:// or https://".into());
        }
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err("a proxy URL names a host".into());
        }
        if parsed.path() != "/" || parsed.query().is_some() || parsed.fragment().is_some() {
            return Err("a proxy URL is scheme, credentials, host and port only".into());
        }
        Ok(parsed)
    }

    /// A tenant's proxy (its address is checked against the tenant's policy), or the host
    /// operator's (`trusted`).
    ///
    /// # Errors
    /// As [`EgressProxy::check`].
    pub fn new(url: &Secret, trusted: bool) -> Result<Self, String> {
        let parsed = Self::parse(url.expose())?;
        let host = parsed.host_str().unwrap_or_default().trim_start_matches('[').trim_end_matches(']').to_owned();
        Ok(EgressProxy { url: url.clone(), host, trusted })
    }

    /// The reqwest proxy every request of the connection goes through.
    pub(super) fn reqwest(&self) -> Result<reqwest::Proxy, reqwest::Error> {
        reqwest::Proxy::all(self.url.expose())
    }

    /// Whether a name the client resolves is this proxy's, and the policy need not judge it.
    pub(super) fn exempts(&self, name: &str) -> bool {
        self.trusted && name.eq_ignore_ascii_case(&self.host)
    }

    /// Checks the proxy's own address against the tenant's policy when it is an IP literal (a
    /// name is checked when the client resolves it).
    pub(super) fn check_literal(&self, policy: &EgressPolicy) -> Result<(), Denied> {
        match self.host.parse::<IpAddr>() {
            Ok(ip) if !self.trusted => {
                policy.check_ip(ip, None).map_err(|d| Denied(format!("the tenant's egress proxy: {}", d.0)))
            }
            _ => Ok(()),
        }
    }
}

/// Resolves `url`'s host as the proxy will and checks every address against the policy: what
/// the client's resolver does for a direct call.
///
/// # Errors
/// [`Denied`] when an address is refused or the name doesn't resolve.
pub(super) async fn check_target(policy: &EgressPolicy, url: &Url) -> Result<(), Denied> {
    let Some(url::Host::Domain(name)) = url.host() else { return Ok(()) };
    let answers = tokio::net::lookup_host((name, 0)).await.map_err(|_| Denied(format!("{name} did not resolve")))?;
    for answer in answers {
        policy.check_ip(answer.ip(), Some(name))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_urls_are_checked_without_showing_them() {
        assert!(EgressProxy::check("http://127.0.0.1:3128").is_ok());
        assert!(EgressProxy::check("https://user:s3cr3t@proxy.example.com:8443/").is_ok());
        for bad in
            ["socks5://127.0.0.1:1080", "proxy:3128", "http://:3128", "http://p.example.com/path", "http://p/?q=1"]
        {
            let error = EgressProxy::check(bad).expect_err(bad);
            assert!(!error.contains("s3cr3t"));
        }
        let secret = EgressProxy::check("ftp://user:s3cr3t@p").expect_err("scheme");
        assert!(!secret.contains("s3cr3t"), "{secret}");
        let proxy = EgressProxy::new(&Secret::new("http://user:s3cr3t@10.0.0.5:3128"), false).expect("proxy");
        assert!(!format!("{proxy:?}").contains("s3cr3t"));
    }

    #[test]
    fn a_tenants_proxy_on_an_internal_address_needs_allow_private() {
        let url = Secret::new("http://10.0.0.5:3128");
        let tenant = EgressProxy::new(&url, false).expect("proxy");
        assert!(tenant.check_literal(&EgressPolicy::default()).is_err());
        let allowed =
            EgressPolicy::new(Vec::new(), vec![super::super::PrivateAllowance::parse("10.0.0.0/8").expect("net")]);
        assert!(tenant.check_literal(&allowed).is_ok());
        let host = EgressProxy::new(&url, true).expect("proxy");
        assert!(host.check_literal(&EgressPolicy::default()).is_ok());
        assert!(host.exempts("10.0.0.5") && !tenant.exempts("10.0.0.5"));
    }
}
