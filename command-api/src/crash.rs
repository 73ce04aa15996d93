//! Crash points, for the tests that kill the command API at each step of a checkout:
//! `PASAR_CRASH_AT=<point>` makes the process abort where [`point`] names that point, with no
//! destructor run and nothing flushed, as `kill -9` would. Only debug builds (the binaries the
//! end-to-end suite starts) look at the variable; release builds compile the points away.

/// Aborts the process if `PASAR_CRASH_AT` names `name` (debug builds only).
pub fn point(name: &str) {
    #[cfg(debug_assertions)]
    {
        static AT: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
        if AT
            .get_or_init(|| std::env::var("PASAR_CRASH_AT").ok())
            .as_deref()
            == Some(name)
        {
            eprintln!("PASAR_CRASH_AT={name}: aborting here");
            std::process::abort();
        }
    }
    #[cfg(not(debug_assertions))]
    let _ = name;
}
