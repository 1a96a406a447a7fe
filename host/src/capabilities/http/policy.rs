//! Egress policy: which URLs a plugin's connection may reach.
//!
//! Two rules, both checked at the host boundary (STYLE.md §2, after Spin's
//! `OutboundAllowedHosts` and Zed's capability granter):
//!
//! 1. The URL's scheme, host and port must match a pattern the plugin's manifest declares
//!    (`hosts = ["{base_url}", "https://api.example.com"]`, templated with the connection's
//!    settings, since a self-hosted ERP's address is the tenant's).
//! 2. The address it connects to must not be loopback, private, link-local (which includes the
//!    cloud metadata address 169.254.169.254), carrier-grade NAT, multicast or unspecified,
//!    unless the tenant's automation explicitly allows that address or host. This rule is
//!    applied to IP literals here and to every DNS answer by the resolver, so neither a DNS
//!    name pointing inwards nor a redirect escapes it.
//!
//! Anything unparsable is denied.

use std::net::IpAddr;

use ipnet::IpNet;
use url::Url;

/// The metric label of requests to hosts outside the manifest.
pub const OTHER_HOST: &str = "other";

/// A refused URL or address, with the reason (never a secret: URLs are shown without query).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Denied(pub String);

/// One allowed `scheme://host:port` pattern. The host may start with `*.` (any subdomain).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPattern {
    scheme: String,
    host: String,
    port: u16,
}

impl HostPattern {
    /// Parses `https://api.example.com`, `http://10.0.0.5:8080`, `*.example.com` (scheme
    /// defaults to https, port to the scheme's). Paths are not allowed in a pattern.
    ///
    /// # Errors
    /// A message saying what is wrong.
    pub fn parse(pattern: &str) -> Result<Self, String> {
        let pattern = pattern.trim();
        let with_scheme = if pattern.contains("://") { pattern.to_owned() } else { format!("https://{pattern}") };
        // `*.` is not a valid URL host; swap it for a marker label while parsing.
        let marked = with_scheme.replacen("://*.", "://wildcard-marker.", 1);
        let url = Url::parse(&marked).map_err(|e| format!("`{pattern}` is not a host pattern ({e})"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("`{pattern}`: only http and https are allowed"));
        }
        if url.path() != "/" && !url.path().is_empty() || url.query().is_some() {
            return Err(format!("`{pattern}`: a host pattern has no path or query"));
        }
        let host = url.host_str().ok_or_else(|| format!("`{pattern}` has no host"))?.to_ascii_lowercase();
        let host = host.replacen("wildcard-marker.", "*.", 1);
        let port = url.port_or_known_default().ok_or_else(|| format!("`{pattern}` has no port"))?;
        Ok(HostPattern { scheme: url.scheme().to_owned(), host, port })
    }

    fn matches(&self, url: &Url) -> bool {
        let Some(host) = url.host_str() else { return false };
        let host = host.to_ascii_lowercase();
        let host_ok = match self.host.strip_prefix("*.") {
            Some(suffix) => host.len() > suffix.len() + 1 && host.ends_with(&format!(".{suffix}")),
            None => host == self.host,
        };
        host_ok && url.scheme() == self.scheme && url.port_or_known_default() == Some(self.port)
    }
}

impl std::fmt::Display for HostPattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}://{}:{}", self.scheme, self.host, self.port)
    }
}

/// An inward address the tenant explicitly allows: an IP, a network or a host name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrivateAllowance {
    /// An address or network (`127.0.0.1`, `10.0.0.0/8`).
    Net(IpNet),
    /// A host name whose answers are trusted whatever they are.
    Host(String),
}

impl PrivateAllowance {
    /// Parses `127.0.0.1`, `10.0.0.0/8` or `erp.intranet`.
    ///
    /// # Errors
    /// A message for an empty entry.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("an empty allowance".into());
        }
        if let Ok(net) = text.parse::<IpNet>() {
            return Ok(PrivateAllowance::Net(net));
        }
        if let Ok(ip) = text.parse::<IpAddr>() {
            return Ok(PrivateAllowance::Net(IpNet::from(ip)));
        }
        if text.contains(['/', ':', ' ']) {
            return Err(format!("`{text}` is neither an address, a network nor a host name"));
        }
        Ok(PrivateAllowance::Host(text.to_ascii_lowercase()))
    }
}

/// The egress policy of one connection.
#[derive(Debug, Clone, Default)]
pub struct EgressPolicy {
    hosts: Vec<HostPattern>,
    allow_private: Vec<PrivateAllowance>,
    proxy: Option<super::proxy::EgressProxy>,
}

impl EgressPolicy {
    /// A policy from the manifest's patterns and the tenant's allowances.
    pub fn new(hosts: Vec<HostPattern>, allow_private: Vec<PrivateAllowance>) -> Self {
        EgressPolicy { hosts, allow_private, proxy: None }
    }

    /// The same policy, its requests leaving through `proxy`.
    ///
    /// # Errors
    /// [`Denied`] when a tenant's proxy is an internal address the tenant has not allowed.
    pub fn through(mut self, proxy: super::proxy::EgressProxy) -> Result<Self, Denied> {
        proxy.check_literal(&self)?;
        self.proxy = Some(proxy);
        Ok(self)
    }

    /// The proxy requests leave through, if any.
    pub fn proxy(&self) -> Option<&super::proxy::EgressProxy> {
        self.proxy.as_ref()
    }

    /// The allowed patterns.
    pub fn hosts(&self) -> &[HostPattern] {
        &self.hosts
    }

    /// What a request to `url` is counted as in metrics: the declared host it matches (its
    /// pattern, `*.example.com` for a wildcard), or `other`. A plugin can't mint label values:
    /// there are as many as the manifest declares, plus one.
    pub fn label(&self, url: &Url) -> String {
        self.hosts.iter().find(|p| p.matches(url)).map_or_else(|| OTHER_HOST.to_owned(), |p| p.host.clone())
    }

    /// Checks a URL before a request or a redirect.
    ///
    /// # Errors
    /// [`Denied`] with the reason.
    pub fn check_url(&self, url: &Url) -> Result<(), Denied> {
        let shown = display_url(url);
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Denied(format!("{shown}: only http and https are allowed")));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Denied(format!("{shown}: credentials in the URL are not allowed; use a header")));
        }
        if !self.hosts.iter().any(|p| p.matches(url)) {
            return Err(Denied(format!("{shown}: host not in the plugin's manifest")));
        }
        match url.host() {
            Some(url::Host::Ipv4(ip)) => self.check_ip(IpAddr::V4(ip), None),
            Some(url::Host::Ipv6(ip)) => self.check_ip(IpAddr::V6(ip), None),
            Some(url::Host::Domain(_)) => Ok(()),
            None => Err(Denied(format!("{shown}: no host"))),
        }
    }

    /// Checks an address a host name resolved to (or an IP literal).
    ///
    /// # Errors
    /// [`Denied`] when the address is inward and not allowed.
    pub fn check_ip(&self, ip: IpAddr, host: Option<&str>) -> Result<(), Denied> {
        if !is_inward(ip) {
            return Ok(());
        }
        let allowed = self.allow_private.iter().any(|a| match a {
            PrivateAllowance::Net(net) => net.contains(&canonical(ip)),
            PrivateAllowance::Host(name) => host.is_some_and(|h| h.eq_ignore_ascii_case(name)),
        });
        if allowed {
            Ok(())
        } else {
            Err(Denied(format!(
                "{} is a loopback, private, link-local or otherwise internal address; the tenant has not allowed it",
                host.map_or_else(|| ip.to_string(), |h| format!("{h} ({ip})"))
            )))
        }
    }
}

/// A URL as logs may show it: scheme, host, port and path; query keys without values.
pub fn display_url(url: &Url) -> String {
    let mut shown = format!("{}://{}", url.scheme(), url.host_str().unwrap_or(""));
    if let Some(port) = url.port() {
        shown.push_str(&format!(":{port}"));
    }
    shown.push_str(url.path());
    let keys: Vec<String> = url.query_pairs().map(|(k, _)| format!("{k}=…")).collect();
    if !keys.is_empty() {
        shown.push('?');
        shown.push_str(&keys.join("&"));
    }
    shown
}

/// IPv4-mapped IPv6 addresses are judged as the IPv4 they carry.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Whether an address points into a private network, the host itself, or the cloud's metadata.
pub fn is_inward(ip: IpAddr) -> bool {
    match canonical(ip) {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || o[0] == 0
                || (o[0] == 100 && (o[1] & 0xC0) == 64) // 100.64.0.0/10 carrier-grade NAT
                || (o[0] == 192 && o[1] == 0 && o[2] == 0) // 192.0.0.0/24 IETF protocol assignments
                || (o[0] == 198 && (o[1] & 0xFE) == 18) // 198.18.0.0/15 benchmarking
                || o[0] >= 240 // reserved
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xFE00) == 0xFC00 // fc00::/7 unique local (includes fd00:ec2::254)
                || (s[0] & 0xFFC0) == 0xFE80 // fe80::/10 link-local
                || (s[0] == 0x64 && s[1] == 0xFF9B) // 64:ff9b::/96 NAT64 can reach inward IPv4
                || (s[0] == 0x2002) // 6to4 embeds an IPv4 address
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).expect("test URL")
    }

    fn policy(hosts: &[&str], allow: &[&str]) -> EgressPolicy {
        EgressPolicy::new(
            hosts.iter().map(|h| HostPattern::parse(h).expect("pattern")).collect(),
            allow.iter().map(|a| PrivateAllowance::parse(a).expect("allowance")).collect(),
        )
    }

    #[test]
    fn patterns_match_scheme_host_and_port_exactly() {
        let p = policy(&["https://erp.example.com", "http://10.1.1.1:8080", "*.hubsoft.com.br"], &["10.1.1.1"]);
        assert!(p.check_url(&url("https://erp.example.com/webservice/v1/cliente")).is_ok());
        assert!(p.check_url(&url("https://ERP.example.com:443/x")).is_ok());
        assert!(p.check_url(&url("http://erp.example.com/x")).is_err(), "scheme must match");
        assert!(p.check_url(&url("https://erp.example.com:8443/x")).is_err(), "port must match");
        assert!(p.check_url(&url("https://erp.example.com.evil.net/x")).is_err());
        assert!(p.check_url(&url("https://api.hubsoft.com.br/x")).is_ok());
        assert!(p.check_url(&url("https://hubsoft.com.br/x")).is_err(), "wildcard needs a subdomain");
        assert!(p.check_url(&url("http://10.1.1.1:8080/x")).is_ok());
    }

    #[test]
    fn inward_ip_literals_are_denied_even_when_the_manifest_lists_them() {
        let p = policy(
            &["http://127.0.0.1:9000", "http://169.254.169.254", "http://[::1]:9000", "http://[::ffff:127.0.0.1]:9000"],
            &[],
        );
        for u in [
            "http://127.0.0.1:9000/",
            "http://169.254.169.254/latest/meta-data",
            "http://[::1]:9000/",
            "http://[::ffff:127.0.0.1]:9000/",
        ] {
            assert!(p.check_url(&url(u)).is_err(), "{u} allowed");
        }
    }

    #[test]
    fn a_tenant_may_allow_one_inward_address_and_only_that() {
        let p = policy(&["http://127.0.0.1:9000", "http://10.0.0.9"], &["127.0.0.1"]);
        assert!(p.check_url(&url("http://127.0.0.1:9000/")).is_ok());
        assert!(p.check_url(&url("http://10.0.0.9/")).is_err());
        let by_net = policy(&["http://10.0.0.9"], &["10.0.0.0/24"]);
        assert!(by_net.check_url(&url("http://10.0.0.9/")).is_ok());
        let by_name = policy(&["http://erp.lan"], &["erp.lan"]);
        assert!(by_name.check_ip("192.168.0.10".parse().expect("ip"), Some("erp.lan")).is_ok());
        assert!(by_name.check_ip("192.168.0.10".parse().expect("ip"), Some("other.lan")).is_err());
    }

    #[test]
    fn inward_ranges() {
        for ip in [
            "127.0.0.1",
            "10.2.3.4",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00:ec2::254",
            "::ffff:10.0.0.1",
            "224.0.0.1",
        ] {
            assert!(is_inward(ip.parse().expect("ip")), "{ip}");
        }
        for ip in ["8.8.8.8", "200.160.2.3", "2001:4860:4860::8888", "100.128.0.1"] {
            assert!(!is_inward(ip.parse().expect("ip")), "{ip}");
        }
    }

    #[test]
    fn credentials_in_urls_and_other_schemes_are_denied() {
        let p = policy(&["https://erp.example.com"], &[]);
        assert!(p.check_url(&url("https://user:pw@erp.example.com/")).is_err());
        assert!(p.check_url(&url("file:///etc/passwd")).is_err());
        assert!(HostPattern::parse("ftp://x").is_err());
        assert!(HostPattern::parse("https://x.com/path").is_err());
        assert!(HostPattern::parse("").is_err());
    }

    #[test]
    fn logged_urls_show_query_keys_only() {
        assert_eq!(display_url(&url("https://a.com/x?token=abc&page=2")), "https://a.com/x?token=…&page=…");
    }
}
