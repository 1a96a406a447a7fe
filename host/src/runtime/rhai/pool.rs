//! The script threads: where every Rhai call runs, never on tokio's threads.
//!
//! A Rhai call is synchronous from start to end, including while it waits for an upstream (a
//! host function blocks on the async capability). On tokio's blocking pool, 600 such calls of one
//! tenant took every blocking thread the process had, and everything else that needed one (DNS,
//! file I/O, other tenants' scripts) waited. Here scripts get threads of their own:
//!
//! - **Bounded.** At most [`ScriptPool::max_threads`] threads, started on demand and ended
//!   after [`IDLE_EXIT`] without work. The host's bulkheads (`crate::bulkhead`) admit fewer
//!   concurrent plugin calls than that, so a job never waits for a thread behind another
//!   tenant's calls; if it ever must, it waits in a queue, bounded by the call's own deadline.
//! - **Deep stacks.** Each thread gets [`STACK_SIZE`] of stack (reserved, committed only when
//!   touched). Rhai drops, compares, prints and measures nested values recursively; the depth a
//!   script can build is bounded by its memory budget (every level is an allocation), and the
//!   stack is sized for the deepest value the largest budget allows (values nested in arrays,
//!   maps and curried function pointers until the budget or the deadline stops them:
//!   `tests/e2e/tests/abuse.rs`, `values_nested_without_bound_end_their_call_not_the_process`).
//! - **A panic ends one call, not the thread or the process.** Each job runs under
//!   `catch_unwind`; the caller gets `plugin_failed`.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// Stack of each script thread. Virtual memory: only the pages a call touches are committed.
pub const STACK_SIZE: usize = 1024 * 1024 * 1024;
/// Threads the pool starts at most.
pub const MAX_THREADS: usize = 256;
/// How long an idle thread waits for work before it ends.
pub const IDLE_EXIT: Duration = Duration::from_secs(60);

type Job = Box<dyn FnOnce() + Send + 'static>;

/// A pool of threads for script calls.
pub struct ScriptPool {
    sender: Mutex<Sender<Job>>,
    receiver: Arc<Mutex<Receiver<Job>>>,
    max_threads: usize,
    threads: Arc<AtomicUsize>,
    idle: Arc<AtomicUsize>,
}

/// The job could not run: the pool can't start a thread and none is free.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no script thread is available")]
pub struct PoolExhausted;

impl ScriptPool {
    /// The process's pool.
    pub fn global() -> &'static ScriptPool {
        static POOL: OnceLock<ScriptPool> = OnceLock::new();
        POOL.get_or_init(|| ScriptPool::new(MAX_THREADS))
    }

    /// A pool of at most `max_threads` threads.
    pub fn new(max_threads: usize) -> ScriptPool {
        let (sender, receiver) = mpsc::channel();
        ScriptPool {
            sender: Mutex::new(sender),
            receiver: Arc::new(Mutex::new(receiver)),
            max_threads: max_threads.max(1),
            threads: Arc::new(AtomicUsize::new(0)),
            idle: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// The most threads this pool runs at once.
    pub fn max_threads(&self) -> usize {
        self.max_threads
    }

    /// Threads alive now.
    pub fn threads(&self) -> usize {
        self.threads.load(Ordering::Relaxed)
    }

    /// Runs `job` on a script thread and returns its result; a panic in it is `Err(None)`.
    ///
    /// # Errors
    /// `Some(PoolExhausted)` when no thread could take it; `None` when `job` panicked.
    pub async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Option<PoolExhausted>> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let wrapped: Job = Box::new(move || {
            let result = catch_unwind(AssertUnwindSafe(job));
            // The caller may have stopped waiting (its deadline passed); nothing to do then.
            let _ = tx.send(result.ok());
        });
        self.ensure_thread()?;
        self.sender
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .send(wrapped)
            .map_err(|_| PoolExhausted)?;
        match rx.await {
            Ok(Some(value)) => Ok(value),
            Ok(None) | Err(_) => Err(None),
        }
    }

    /// Starts a thread when none is idle and the pool may grow.
    fn ensure_thread(&self) -> Result<(), PoolExhausted> {
        // An idle thread takes the job; claim it so two submissions don't count on the same one.
        if self.idle.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1)).is_ok() {
            return Ok(());
        }
        let grown =
            self.threads.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < self.max_threads).then_some(n + 1));
        if grown.is_err() {
            // Full: the job waits in the queue for the next thread to finish (the caller's
            // deadline bounds the wait).
            return Ok(());
        }
        let receiver = Arc::clone(&self.receiver);
        let threads = Arc::clone(&self.threads);
        let idle = Arc::clone(&self.idle);
        let spawned = std::thread::Builder::new()
            .name("ponte-script".into())
            .stack_size(STACK_SIZE)
            .spawn(move || worker(&receiver, &threads, &idle));
        if spawned.is_err() {
            self.threads.fetch_sub(1, Ordering::AcqRel);
            if self.threads.load(Ordering::Acquire) == 0 {
                return Err(PoolExhausted);
            }
            tracing::error!("could not start a script thread; the call waits for a busy one");
        }
        Ok(())
    }
}

fn worker(receiver: &Mutex<Receiver<Job>>, threads: &AtomicUsize, idle: &AtomicUsize) {
    loop {
        let next = receiver.lock().unwrap_or_else(std::sync::PoisonError::into_inner).recv_timeout(IDLE_EXIT);
        match next {
            Ok(job) => {
                job();
                idle.fetch_add(1, Ordering::AcqRel);
            }
            Err(RecvTimeoutError::Timeout) => {
                // Leave only if this thread's idle slot is still unclaimed.
                if idle.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1)).is_ok() {
                    threads.fetch_sub(1, Ordering::AcqRel);
                    return;
                }
            }
            Err(RecvTimeoutError::Disconnected) => {
                threads.fetch_sub(1, Ordering::AcqRel);
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn jobs_run_on_script_threads_and_panics_end_only_their_job() {
        let pool = ScriptPool::new(2);
        let name = pool.run(|| std::thread::current().name().map(str::to_owned)).await;
        assert_eq!(name, Ok(Some("ponte-script".to_owned())));
        let panicked = pool.run(|| -> u8 { panic!("a script bug") }).await;
        assert_eq!(panicked, Err(None));
        assert_eq!(pool.run(|| 7).await, Ok(7));
        assert!(pool.threads() <= 2);
    }

    #[tokio::test]
    async fn the_pool_never_grows_past_its_bound_and_queued_jobs_still_run() {
        let pool = Arc::new(ScriptPool::new(3));
        let mut handles = Vec::new();
        for i in 0..12 {
            let pool = Arc::clone(&pool);
            handles.push(tokio::spawn(async move {
                pool.run(move || {
                    std::thread::sleep(Duration::from_millis(20));
                    i
                })
                .await
            }));
        }
        let mut total = 0;
        for handle in handles {
            total += handle.await.expect("task").expect("ran");
            assert!(pool.threads() <= 3, "{}", pool.threads());
        }
        assert_eq!(total, (0..12).sum::<i32>());
    }
}
