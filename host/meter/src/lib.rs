//! A global allocator that meters memory per thread, for per-call memory budgets.
//!
//! A Rhai plugin call runs entirely on one thread of the host's script pool, and Rhai limits the
//! size of each value but not how many values a call keeps alive. This allocator forwards every
//! request to [mimalloc](https://github.com/microsoft/mimalloc) and, on a thread where a [`Meter`] is running, adds the
//! bytes allocated and subtracts the bytes freed. The runtime reads [`Meter::live_bytes`] from
//! Rhai's progress callback (every operation) and ends the call past its budget, so one call's
//! memory is bounded by its budget plus what a single operation allocates (itself bounded by the
//! engine's per-value limits).
//!
//! Why not a crate: `tracking-allocator` attributes allocations to groups, but adds a header to
//! every allocation in the process and turns every `realloc` into a copy; the budget only needs a
//! thread-local counter. Everything here is one `Cell` per thread: no locks, no atomics, no
//! allocation, nothing on threads that never start a meter beyond one thread-local read.
//!
//! What is counted is what the metered thread allocates minus what it frees. Memory another
//! thread allocated must not be freed here while the meter runs (it would count as memory given
//! back, and a call could "earn" budget by reading the same value in a loop): the runtime waits
//! for capabilities inside [`unmetered`], copies what they made into metered memory, and drops
//! the originals unmetered. Memory handed out and freed elsewhere stays counted (pessimistic, and
//! bounded by what leaves the call), and a new meter starts from zero.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;

use mimalloc::MiMalloc;

/// The allocator underneath. mimalloc rather than the system's: the host's hot path allocates a
/// lot (JSON, script values) from many threads, and glibc's malloc took a quarter of its CPU in
/// the load driver's profile (`bench/load`); with mimalloc every path there runs 30-60% more
/// calls a second.
static INNER: MiMalloc = MiMalloc;

thread_local! {
    /// Live bytes of the running meter on this thread; `None` when no meter runs.
    static LIVE: Cell<Option<isize>> = const { Cell::new(None) };
}

fn add(delta: isize) {
    // `try_with`: the allocator may run while the thread's locals are being torn down.
    let _ = LIVE.try_with(|live| {
        if let Some(bytes) = live.get() {
            live.set(Some(bytes.saturating_add(delta)));
        }
    });
}

fn signed(size: usize) -> isize {
    isize::try_from(size).unwrap_or(isize::MAX)
}

/// The process's allocator: mimalloc, metered on threads running a [`Meter`]. Installed with
/// `#[global_allocator]` by the host library, so every binary linking it (the server, tests,
/// benchmarks) enforces budgets.
pub struct MeteredAllocator;

#[allow(unsafe_code)]
// SAFETY: every method forwards to `INNER` (mimalloc) with the same arguments and returns its result
// unchanged; the bookkeeping touches only a const-initialised thread-local `Cell` (no
// allocation, no destructor), so it can neither allocate recursively nor observe freed memory.
unsafe impl GlobalAlloc for MeteredAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as is; the caller upholds `GlobalAlloc::alloc`'s contract.
        let ptr = unsafe { INNER.alloc(layout) };
        if !ptr.is_null() {
            add(signed(layout.size()));
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as `alloc`.
        let ptr = unsafe { INNER.alloc_zeroed(layout) };
        if !ptr.is_null() {
            add(signed(layout.size()));
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was returned by this allocator, i.e. by `INNER`, with `layout`.
        unsafe { INNER.dealloc(ptr, layout) };
        add(-signed(layout.size()));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` was returned by `INNER` with `layout`; the caller upholds the rest.
        let new = unsafe { INNER.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            add(signed(new_size) - signed(layout.size()));
        }
        new
    }
}

/// Meters this thread's allocations from [`Meter::start`] until the meter is dropped.
///
/// Not `Send`: a meter belongs to the thread that started it.
pub struct Meter {
    _not_send: std::marker::PhantomData<*const ()>,
}

impl Meter {
    /// Starts metering this thread from zero (replacing a meter already running here).
    pub fn start() -> Meter {
        LIVE.with(|live| live.set(Some(0)));
        Meter { _not_send: std::marker::PhantomData }
    }

    /// Bytes allocated and not yet freed on this thread since the meter started (negative when
    /// the thread freed more than it allocated, e.g. memory handed in by another thread).
    pub fn live_bytes(&self) -> isize {
        current_live_bytes().unwrap_or(0)
    }
}

impl Drop for Meter {
    fn drop(&mut self) {
        let _ = LIVE.try_with(|live| live.set(None));
    }
}

/// Runs `f` with this thread's meter paused: nothing it allocates or frees is counted.
///
/// For work done on the metered thread on behalf of the host (waiting for a capability, whose
/// buffers other threads allocate and this one frees): memory another thread allocated must not
/// be freed here while the meter runs, or it would count as the call giving memory back.
pub fn unmetered<R>(f: impl FnOnce() -> R) -> R {
    struct Resume(Option<isize>);
    impl Drop for Resume {
        fn drop(&mut self) {
            let _ = LIVE.try_with(|live| live.set(self.0));
        }
    }
    let _resume = Resume(LIVE.try_with(|live| live.replace(None)).ok().flatten());
    f()
}

/// The live bytes of the meter running on this thread, if one runs (for callbacks that can't
/// hold the [`Meter`]).
pub fn current_live_bytes() -> Option<isize> {
    LIVE.try_with(Cell::get).ok().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[global_allocator]
    static ALLOCATOR: MeteredAllocator = MeteredAllocator;

    #[test]
    fn a_meter_counts_what_its_thread_keeps_alive() {
        assert_eq!(current_live_bytes(), None);
        let meter = Meter::start();
        let kept: Vec<u8> = Vec::with_capacity(1 << 20);
        let live = meter.live_bytes();
        assert!(live >= 1 << 20, "{live}");
        drop(kept);
        assert!(meter.live_bytes() < 1024, "{}", meter.live_bytes());
        let mut grown = Vec::<u8>::new();
        for i in 0..100_000u32 {
            grown.push(i.to_le_bytes()[0]);
        }
        assert!(meter.live_bytes() >= signed(grown.capacity()));
        drop(meter);
        assert_eq!(current_live_bytes(), None);
    }

    #[test]
    fn unmetered_work_is_not_counted_and_the_meter_resumes() {
        let meter = Meter::start();
        let foreign = std::thread::spawn(|| vec![0u8; 1 << 20]).join().expect("thread");
        let before = meter.live_bytes();
        unmetered(|| drop(foreign));
        assert_eq!(meter.live_bytes(), before, "a foreign free earned budget");
        let kept = unmetered(|| vec![0u8; 1 << 20]);
        assert_eq!(meter.live_bytes(), before);
        let counted: Vec<u8> = Vec::with_capacity(1 << 20);
        assert!(meter.live_bytes() >= before + (1 << 20));
        drop((kept, counted));
    }

    #[test]
    fn other_threads_are_not_counted() {
        let meter = Meter::start();
        let before = meter.live_bytes();
        std::thread::spawn(|| {
            let v = vec![0u8; 4 << 20];
            assert_eq!(current_live_bytes(), None);
            v.len()
        })
        .join()
        .expect("thread");
        assert!(meter.live_bytes() - before < 64 * 1024, "{}", meter.live_bytes() - before);
    }
}
