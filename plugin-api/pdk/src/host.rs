//! Where the capability wrappers go: the WIT imports on wasm, the installed
//! [`FakeHost`](crate::testing::FakeHost) on any other target (a plugin's native unit tests).

use crate::http::{HttpError, Request, Response};
use crate::kv::KvError;
use crate::log::Level;

#[cfg(target_arch = "wasm32")]
mod imports {
    use super::*;
    use crate::bindings::ponte::plugin::{clock, config, http, kv, log};

    pub(crate) fn http_send(request: &Request) -> Result<Response, HttpError> {
        http::send(&request.to_wit()).map(Response::from_wit).map_err(HttpError::from)
    }

    pub(crate) fn config_get(name: &str) -> Option<String> {
        config::get(name)
    }

    pub(crate) fn kv_get(key: &str) -> Result<Option<String>, KvError> {
        kv::get(key).map_err(KvError::from)
    }

    pub(crate) fn kv_set(key: &str, value: &str, ttl_seconds: Option<u32>) -> Result<(), KvError> {
        kv::set(key, value, ttl_seconds).map_err(KvError::from)
    }

    pub(crate) fn kv_delete(key: &str) -> Result<bool, KvError> {
        kv::delete(key).map_err(KvError::from)
    }

    pub(crate) fn kv_lock(name: &str, wait_ms: u32) -> Result<bool, KvError> {
        kv::lock(name, wait_ms).map_err(KvError::from)
    }

    pub(crate) fn kv_unlock(name: &str) -> Result<bool, KvError> {
        kv::unlock(name).map_err(KvError::from)
    }

    pub(crate) fn log_write(level: Level, message: &str) {
        log::write(level, message);
    }

    pub(crate) fn clock_now() -> String {
        clock::now()
    }

    pub(crate) fn clock_today() -> String {
        clock::today()
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod imports {
    use super::*;
    use crate::testing::with_current;

    pub(crate) fn http_send(request: &Request) -> Result<Response, HttpError> {
        crate::testing::send(request)
    }

    pub(crate) fn config_get(name: &str) -> Option<String> {
        with_current(|host| host.config.get(name).cloned())
    }

    pub(crate) fn kv_get(key: &str) -> Result<Option<String>, KvError> {
        with_current(|host| Ok(host.kv.get(key).cloned()))
    }

    pub(crate) fn kv_set(key: &str, value: &str, ttl_seconds: Option<u32>) -> Result<(), KvError> {
        with_current(|host| {
            host.kv.insert(key.to_owned(), value.to_owned());
            host.kv_ttls.insert(key.to_owned(), ttl_seconds);
            Ok(())
        })
    }

    pub(crate) fn kv_delete(key: &str) -> Result<bool, KvError> {
        with_current(|host| {
            host.kv_ttls.remove(key);
            Ok(host.kv.remove(key).is_some())
        })
    }

    pub(crate) fn kv_lock(name: &str, _wait_ms: u32) -> Result<bool, KvError> {
        with_current(|host| {
            if host.kv_busy.contains(name) {
                return Ok(false);
            }
            host.kv_locks_taken += 1;
            host.kv_locks.insert(name.to_owned());
            Ok(true)
        })
    }

    pub(crate) fn kv_unlock(name: &str) -> Result<bool, KvError> {
        with_current(|host| Ok(host.kv_locks.remove(name)))
    }

    pub(crate) fn log_write(level: Level, message: &str) {
        with_current(|host| host.logs.push((level, message.to_owned())));
    }

    pub(crate) fn clock_now() -> String {
        with_current(|host| host.now.clone())
    }

    pub(crate) fn clock_today() -> String {
        with_current(|host| host.today.clone())
    }
}

pub(crate) use imports::*;
