//! Training at a lower priority than the window and the answers: a thread pool of its own whose threads
//! are niced, so a run takes the cores only when nothing else wants them.
//!
//! candle's CPU kernels (and ours) parallelize through rayon, and rayon runs nested work on the pool
//! of the thread that asks: a closure run with [`in_background`] does all its matrix products on these
//! threads, while the engine's inference keeps rayon's global pool at normal priority.

use std::sync::OnceLock;

/// The nice value of the training threads (0 is normal, 19 the lowest): low enough that answers and
/// the window win every contest for a core, while the run still gets every idle cycle.
pub const TRAINING_NICE: i32 = 10;

fn pool() -> Option<&'static rayon::ThreadPool> {
    static POOL: OnceLock<Option<rayon::ThreadPool>> = OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .thread_name(|i| format!("ponder-train-{i}"))
            .start_handler(|_| lower_this_thread())
            .build()
            .ok()
    })
    .as_ref()
}

/// Runs `f` on the training pool (at [`TRAINING_NICE`] on Linux); on the calling thread if the pool
/// could not be made.
pub fn in_background<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    match pool() {
        Some(p) => p.install(f),
        None => f(),
    }
}

#[cfg(target_os = "linux")]
fn lower_this_thread() {
    // On Linux the nice value belongs to the thread (the tid), not the whole process. Never raised:
    // a process started under `nice 19` keeps its threads there; a refusal leaves it as it was.
    let tid = Some(rustix::thread::gettid());
    if rustix::process::getpriority_process(tid).is_ok_and(|n| n < TRAINING_NICE) {
        let _ = rustix::process::setpriority_process(tid, TRAINING_NICE);
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_this_thread() {
    // Elsewhere the nice value is the process's: lowering it would slow the window too.
}

/// The calling thread's nice value (Linux), for checking where work runs.
#[cfg(target_os = "linux")]
pub fn current_nice() -> i32 {
    rustix::process::getpriority_process(Some(rustix::thread::gettid())).unwrap_or(0)
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use rayon::prelude::*;

    #[test]
    fn training_work_and_its_parallel_parts_run_niced_while_the_caller_keeps_its_priority() {
        let before = current_nice();
        let (outer, inner) = in_background(|| {
            let inner: Vec<i32> = (0..64).into_par_iter().map(|_| current_nice()).collect();
            (current_nice(), inner)
        });
        assert_eq!(outer, TRAINING_NICE.max(before));
        assert!(inner.iter().all(|n| *n == TRAINING_NICE.max(before)), "{inner:?}");
        assert_eq!(current_nice(), before, "the caller is not lowered");
    }
}
