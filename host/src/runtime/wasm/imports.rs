//! The host's imports for wasm plugins: each a thin adapter over a capability in
//! `crate::capabilities` (the same ones the Rhai runtime binds).

use std::time::Duration;

use super::CallState;
use super::bindings::ponte::plugin::{clock, config, http, kv, log};
use crate::capabilities::http::HttpRequest;
use crate::capabilities::{Capabilities, CapabilityError};

fn refused() -> String {
    "no capabilities outside a call".to_owned()
}

impl CallState {
    fn caps(&self) -> Option<&Capabilities> {
        self.capabilities.as_ref()
    }
}

impl http::Host for CallState {
    async fn send(&mut self, request: http::Request) -> Result<http::Response, http::Error> {
        let Some(caps) = self.caps() else { return Err(http::Error::Denied(refused())) };
        let request = HttpRequest {
            method: request.method,
            url: request.url,
            headers: request.headers,
            body: request.body,
            timeout: request.timeout_ms.map(|ms| Duration::from_millis(u64::from(ms))),
        };
        match caps.http.request(request).await {
            Ok(r) => Ok(http::Response { status: r.status, headers: r.headers, body: r.body }),
            Err(CapabilityError::Denied(m)) => Err(http::Error::Denied(m)),
            Err(CapabilityError::Timeout) => Err(http::Error::Timeout),
            Err(CapabilityError::Unreachable(m)) => Err(http::Error::Unreachable(m)),
            Err(CapabilityError::TooLarge(n)) => Err(http::Error::TooLarge(n as u64)),
            Err(CapabilityError::Invalid(m)) => Err(http::Error::Invalid(m)),
            Err(CapabilityError::Storage) => Err(http::Error::Invalid("host storage unavailable".into())),
            // The WIT error has no case for the host's limits; the pipeline answers the caller
            // from the capability's record of them whatever the guest makes of these.
            Err(CapabilityError::Limit(m)) => Err(http::Error::Denied(m)),
            Err(CapabilityError::RateLimited(_)) => Err(http::Error::Timeout),
        }
    }
}

impl config::Host for CallState {
    async fn get(&mut self, name: String) -> Option<String> {
        self.caps()?.config.get(&name).map(str::to_owned)
    }
}

fn kv_error(error: CapabilityError) -> kv::Error {
    match error {
        CapabilityError::Invalid(m) | CapabilityError::Limit(m) => kv::Error::Invalid(m),
        _ => kv::Error::Storage,
    }
}

impl kv::Host for CallState {
    async fn get(&mut self, key: String) -> Result<Option<String>, kv::Error> {
        let Some(caps) = self.caps() else { return Err(kv::Error::Invalid(refused())) };
        caps.kv.get(&key).await.map_err(kv_error)
    }

    async fn set(&mut self, key: String, value: String, ttl_seconds: Option<u32>) -> Result<(), kv::Error> {
        let Some(caps) = self.caps() else { return Err(kv::Error::Invalid(refused())) };
        let ttl = ttl_seconds.map(|s| Duration::from_secs(u64::from(s)));
        caps.kv.set(&key, &value, ttl).await.map_err(kv_error)
    }

    async fn delete(&mut self, key: String) -> Result<bool, kv::Error> {
        let Some(caps) = self.caps() else { return Err(kv::Error::Invalid(refused())) };
        caps.kv.delete(&key).await.map_err(kv_error)
    }

    async fn lock(&mut self, name: String, wait_ms: u32) -> Result<bool, kv::Error> {
        let Some(caps) = self.caps() else { return Err(kv::Error::Invalid(refused())) };
        caps.kv.lock(&name, Duration::from_millis(u64::from(wait_ms))).await.map_err(kv_error)
    }

    async fn unlock(&mut self, name: String) -> Result<bool, kv::Error> {
        let Some(caps) = self.caps() else { return Err(kv::Error::Invalid(refused())) };
        caps.kv.unlock(&name).await.map_err(kv_error)
    }
}

impl log::Host for CallState {
    async fn write(&mut self, level: log::Level, message: String) {
        use crate::capabilities::log::Level;
        let Some(caps) = self.caps() else { return };
        let level = match level {
            log::Level::Debug => Level::Debug,
            log::Level::Info => Level::Info,
            log::Level::Warn => Level::Warn,
            log::Level::Error => Level::Error,
        };
        caps.log.write(level, &message);
    }
}

impl clock::Host for CallState {
    async fn now(&mut self) -> String {
        self.caps().map(|c| c.clock.now().to_rfc3339()).unwrap_or_default()
    }

    async fn today(&mut self) -> String {
        self.caps().map(|c| c.clock.today()).unwrap_or_default()
    }
}
