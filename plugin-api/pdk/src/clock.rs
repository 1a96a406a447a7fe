//! Time, from the host (a guest has no clock of its own worth trusting).

/// Now, UTC, RFC 3339 (`2026-05-15T12:00:00Z`).
pub fn now() -> String {
    crate::host::clock_now()
}

/// Today's date in Brasília (`America/Sao_Paulo`), `YYYY-MM-DD`: the date ERPs mean.
pub fn today() -> String {
    crate::host::clock_today()
}
