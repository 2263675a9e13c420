//! `gradbook serve`: build the book in memory, serve it on loopback, watch its files, rebuild
//! only what changed and reload open pages; a failed rebuild keeps the last good site and
//! shows the error over the page and in the terminal. The site lives in memory: `serve` writes
//! nothing to disk (every disk write of a site goes through `site::output`).
//!
//! Crates: axum (HTTP and server-sent events) on tokio, notify with notify-debouncer-full.

pub mod host;
pub mod reload;
pub mod server;
pub mod watch;

use crate::config::Config;
use crate::site::build::RenderOptions;
use crate::site::incremental::Session;
use anyhow::{Context, Result};
use reload::Signal;
use server::Shared;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use watch::Watched;

/// What `gradbook serve` was asked to do.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The book's root folder.
    pub book_dir: PathBuf,
    /// Address to bind (loopback unless asked otherwise).
    pub host: String,
    /// Port (0: any free one).
    pub port: u16,
    /// Open the site in the default browser.
    pub open: bool,
}

/// How long open connections get to close after Ctrl-C before the server stops anyway.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// Build, serve and watch until Ctrl-C (or SIGTERM).
pub fn run(options: &ServeOptions) -> Result<()> {
    let watched = watched_paths(&options.book_dir)?;
    let mut session = Session::new(
        &options.book_dir,
        RenderOptions {
            live_reload_script: Some(reload::SCRIPT.into()),
            ..RenderOptions::default()
        },
    );
    let first = session.update();
    let shared = Shared::new(session.site().clone());
    match first {
        Ok(report) => println!("Built in {report}"),
        Err(err) => {
            let text = watch::error_text(&err);
            eprintln!("{text}\nServing an empty site until the error is fixed.");
            if let Ok(mut e) = shared.error.write() {
                *e = Some(text);
            }
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind((options.host.as_str(), options.port))
            .await
            .with_context(|| format!("listening on {}:{}", options.host, options.port))?;
        let addr = listener.local_addr().context("reading the listening address")?;
        if let Some(warning) = exposure_warning(addr.ip()) {
            eprintln!("{warning}");
        }
        let url = format!("http://{addr}/");
        println!("Serving {} at {url} (Ctrl-C to stop)", options.book_dir.display());
        if options.open {
            open_browser(&url);
        }
        let (tx, rx) = std::sync::mpsc::channel();
        let watcher = Arc::new(Mutex::new(watch::start(&watched, tx)?));
        let loop_shared = shared.clone();
        let loop_watcher = watcher.clone();
        std::thread::spawn(move || {
            watch::rebuild_loop(session, rx, loop_shared, watched, loop_watcher)
        });
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let stop_shared = shared.clone();
        tokio::spawn(async move {
            stop_signal().await;
            println!("Stopping.");
            stop_shared.signal(Signal::Shutdown);
            let _ = stop_tx.send(true);
        });
        let mut graceful = stop_rx.clone();
        let server = axum::serve(listener, server::router(shared, host::AllowedHosts::new(&options.host))).with_graceful_shutdown(async move {
            let _ = graceful.wait_for(|stop| *stop).await;
        });
        let mut deadline = stop_rx;
        tokio::select! {
            result = server => result.context("serving")?,
            _ = async move {
                let _ = deadline.wait_for(|stop| *stop).await;
                tokio::time::sleep(SHUTDOWN_GRACE).await;
            } => eprintln!("warning: connections still open after {} s; stopping anyway", SHUTDOWN_GRACE.as_secs()),
        }
        drop(watcher);
        Ok(())
    })
}

/// A warning when the server can be reached from other machines (any address but loopback).
fn exposure_warning(ip: std::net::IpAddr) -> Option<String> {
    (!ip.is_loopback()).then(|| {
        format!(
            "warning: serving on {ip}, which other machines can reach; use --host 127.0.0.1 to keep the book private"
        )
    })
}

/// The book's root, `src` folder and `templates/`, canonical (events carry canonical paths).
fn watched_paths(book_dir: &Path) -> Result<Watched> {
    let root = std::fs::canonicalize(book_dir)
        .with_context(|| format!("{}: no such book folder", book_dir.display()))?;
    let src = Config::load(book_dir)
        .map(|c| c.book.src)
        .unwrap_or_else(|_| PathBuf::from("content"));
    let src = std::fs::canonicalize(root.join(&src)).unwrap_or_else(|_| root.join(src));
    Ok(Watched {
        templates: root.join("templates"),
        src,
        root,
    })
}

/// Ctrl-C, or SIGTERM on Unix.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {},
                    _ = term.recv() => {},
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Open `url` in the default browser; a failure is only a warning.
fn open_browser(url: &str) {
    let (program, args): (&str, Vec<&str>) = if cfg!(target_os = "macos") {
        ("open", vec![url])
    } else if cfg!(windows) {
        ("cmd", vec!["/C", "start", "", url])
    } else {
        ("xdg-open", vec![url])
    };
    if let Err(err) = std::process::Command::new(program).args(&args).spawn() {
        eprintln!("warning: could not open a browser ({program}: {err}); open {url} yourself");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_non_loopback_addresses_warn() {
        assert_eq!(exposure_warning("127.0.0.1".parse().unwrap()), None);
        assert_eq!(exposure_warning("::1".parse().unwrap()), None);
        assert!(
            exposure_warning("0.0.0.0".parse().unwrap()).is_some_and(|w| w.contains("0.0.0.0"))
        );
        assert!(exposure_warning("192.168.1.5".parse().unwrap()).is_some());
    }
}
