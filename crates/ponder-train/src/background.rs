//! Training at a lower priority than the window and the answers: a thread pool of its own whose threads
//! run under SCHED_IDLE and at the lowest nice value, so a run takes the cores only when nothing else
//! wants them.
//!
//! candle's CPU kernels (and ours) parallelize through rayon, and rayon runs nested work on the pool
//! of the thread that asks: a closure run with [`in_background`] does all its matrix products on these
//! threads, while the engine's inference keeps rayon's global pool at normal priority.

use std::sync::OnceLock;

/// The nice value of the training threads (0 is normal, 19 the lowest), beside SCHED_IDLE where the
/// system grants it: the lowest, so answers and the window win every contest for a core while the run
/// still gets every idle cycle.
pub const TRAINING_NICE: i32 = 19;

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
    // SCHED_IDLE: a thread of the window or of an answer that wakes up preempts this one at once,
    // where under the normal policy, even at nice 19, it waited for the slice to end (frames 1–8 ms
    // late while a run trained, docs/benchmarks.md). Refused or unavailable: the nice value below
    // still applies.
    use thread_priority::{
        set_thread_priority_and_policy, thread_native_id, NormalThreadSchedulePolicy,
        ThreadPriority, ThreadSchedulePolicy,
    };
    let idle = ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle);
    let _ = set_thread_priority_and_policy(thread_native_id(), ThreadPriority::Min, idle);
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

/// Whether the calling thread runs under SCHED_IDLE (Linux).
#[cfg(target_os = "linux")]
pub fn current_is_idle_class() -> bool {
    use thread_priority::{
        thread_schedule_policy, NormalThreadSchedulePolicy, ThreadSchedulePolicy,
    };
    thread_schedule_policy()
        .is_ok_and(|p| p == ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle))
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use rayon::prelude::*;

    #[test]
    fn training_work_and_its_parallel_parts_run_niced_while_the_caller_keeps_its_priority() {
        let before = current_nice();
        let (outer, inner, idle) = in_background(|| {
            let inner: Vec<(i32, bool)> = (0..64)
                .into_par_iter()
                .map(|_| (current_nice(), current_is_idle_class()))
                .collect();
            (current_nice(), inner, current_is_idle_class())
        });
        assert_eq!(outer, TRAINING_NICE.max(before));
        assert!(idle, "the training threads run under SCHED_IDLE");
        assert!(inner.iter().all(|&(n, i)| n == TRAINING_NICE.max(before) && i), "{inner:?}");
        assert_eq!(current_nice(), before, "the caller is not lowered");
        assert!(!current_is_idle_class(), "nor moved out of the normal class");
    }
}
