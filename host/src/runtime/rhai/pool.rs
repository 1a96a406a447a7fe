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
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
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
    shared: Arc<Shared>,
    max_threads: usize,
}

/// What the pool's threads and its submitters share.
struct Shared {
    receiver: Mutex<Receiver<Job>>,
    /// Threads alive.
    threads: AtomicUsize,
    /// Threads waiting for a job (counted before they wait, uncounted when they get one).
    idle: AtomicUsize,
    /// Jobs sent and not yet taken by a thread.
    queued: AtomicUsize,
    /// How long an idle thread waits before it ends.
    idle_exit: Duration,
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
        ScriptPool::with_idle_exit(max_threads, IDLE_EXIT)
    }

    /// A pool whose idle threads end after `idle_exit`.
    pub fn with_idle_exit(max_threads: usize, idle_exit: Duration) -> ScriptPool {
        let (sender, receiver) = mpsc::channel();
        ScriptPool {
            sender: Mutex::new(sender),
            shared: Arc::new(Shared {
                receiver: Mutex::new(receiver),
                threads: AtomicUsize::new(0),
                idle: AtomicUsize::new(0),
                queued: AtomicUsize::new(0),
                idle_exit,
            }),
            max_threads: max_threads.max(1),
        }
    }

    /// The most threads this pool runs at once.
    pub fn max_threads(&self) -> usize {
        self.max_threads
    }

    /// Threads alive now.
    pub fn threads(&self) -> usize {
        self.shared.threads.load(SeqCst)
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
        self.shared.queued.fetch_add(1, SeqCst);
        if self.sender.lock().unwrap_or_else(PoisonError::into_inner).send(wrapped).is_err() {
            self.shared.queued.fetch_sub(1, SeqCst);
            return Err(Some(PoolExhausted));
        }
        self.grow()?;
        match rx.await {
            Ok(Some(value)) => Ok(value),
            Ok(None) | Err(_) => Err(None),
        }
    }

    /// Starts threads while more jobs wait than threads wait for jobs, up to the bound. (A
    /// thread about to leave for idleness re-checks the queue after uncounting itself, and this
    /// re-checks the idle count after queueing: one of the two always sees the other.)
    fn grow(&self) -> Result<(), PoolExhausted> {
        let shared = &self.shared;
        while shared.queued.load(SeqCst) > shared.idle.load(SeqCst) {
            let grown =
                shared.threads.fetch_update(SeqCst, SeqCst, |n| (n < self.max_threads).then_some(n + 1)).is_ok();
            if !grown {
                // Full: the job waits for the next thread to finish (its deadline bounds that).
                return Ok(());
            }
            shared.idle.fetch_add(1, SeqCst);
            let worker_shared = Arc::clone(shared);
            let spawned = std::thread::Builder::new()
                .name("ponte-script".into())
                .stack_size(STACK_SIZE)
                .spawn(move || worker(&worker_shared));
            if spawned.is_err() {
                shared.idle.fetch_sub(1, SeqCst);
                shared.threads.fetch_sub(1, SeqCst);
                if shared.threads.load(SeqCst) == 0 {
                    return Err(PoolExhausted);
                }
                tracing::error!("could not start a script thread; the call waits for a busy one");
                return Ok(());
            }
        }
        Ok(())
    }
}

/// A script thread: counted idle while it waits, takes jobs until it has waited its pool's idle
/// time for one with none queued.
fn worker(shared: &Shared) {
    loop {
        let next = shared.receiver.lock().unwrap_or_else(PoisonError::into_inner).recv_timeout(shared.idle_exit);
        match next {
            Ok(job) => {
                shared.idle.fetch_sub(1, SeqCst);
                shared.queued.fetch_sub(1, SeqCst);
                job();
                shared.idle.fetch_add(1, SeqCst);
            }
            Err(RecvTimeoutError::Timeout) => {
                shared.idle.fetch_sub(1, SeqCst);
                if shared.queued.load(SeqCst) > 0 {
                    // A job arrived as this thread gave up: stay for it.
                    shared.idle.fetch_add(1, SeqCst);
                    continue;
                }
                shared.threads.fetch_sub(1, SeqCst);
                return;
            }
            Err(RecvTimeoutError::Disconnected) => {
                shared.idle.fetch_sub(1, SeqCst);
                shared.threads.fetch_sub(1, SeqCst);
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
    async fn after_every_thread_left_for_idleness_the_next_job_gets_a_new_one() {
        let pool = ScriptPool::with_idle_exit(2, Duration::from_millis(20));
        for round in 0..3 {
            let both = futures_util::future::join(pool.run(|| 1), pool.run(|| 2)).await;
            assert_eq!(both, (Ok(1), Ok(2)), "round {round}");
            let gone = std::time::Instant::now() + Duration::from_secs(10);
            while pool.threads() > 0 {
                assert!(std::time::Instant::now() < gone, "idle threads never left");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
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
