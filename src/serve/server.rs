//! The HTTP side of `serve`: the site is served from memory (so nothing outside it, and no
//! symlink, can ever be reached), the `Host` and the request path are checked before lookup,
//! and open pages follow rebuilds over server-sent events.

use crate::serve::host::{self, AllowedHosts};
use crate::serve::reload::{EVENTS_PATH, SCRIPT, Signal};
use crate::site::html::percent_decode;
use crate::site::output::SiteFiles;
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::sse::{KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::convert::Infallible;
use std::sync::{Arc, RwLock};
use tokio::sync::broadcast;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::BroadcastStream;

/// What the server shares with the rebuild loop.
pub struct Shared {
    /// The last good site (updated file by file: a rebuild copies only what changed).
    pub site: RwLock<SiteFiles>,
    /// The error of the last rebuild, while it is not fixed.
    pub error: RwLock<Option<String>>,
    /// Signals to open pages.
    pub events: broadcast::Sender<Signal>,
}

impl Shared {
    /// Shared state serving `site`.
    pub fn new(site: SiteFiles) -> Arc<Shared> {
        Arc::new(Shared {
            site: RwLock::new(site),
            error: RwLock::new(None),
            events: broadcast::channel(64).0,
        })
    }

    /// Serve the files at `paths` as they are in `site` now (a path `site` lacks is removed).
    pub fn publish(&self, site: &SiteFiles, paths: &[String]) {
        if let Ok(mut served) = self.site.write() {
            for path in paths {
                match site.files.get(path) {
                    Some(bytes) => {
                        served.files.insert(path.clone(), bytes.clone());
                    }
                    None => {
                        served.files.remove(path);
                    }
                }
            }
        }
    }

    /// Tell open pages (no one listening is fine).
    pub fn signal(&self, signal: Signal) {
        let _ = self.events.send(signal);
    }
}

/// Why a request path is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// It tries to leave the site (`..`, backslashes, NUL, drive letters, absolute paths).
    Forbidden,
}

/// The site file a request path names (`/` → `index.html`, `/a/` → `a/index.html`), after
/// percent-decoding; anything that could step outside the site is refused.
pub fn site_path(raw: &str) -> Result<String, Refusal> {
    let decoded = percent_decode(raw);
    if decoded.contains(['\0', '\\']) || decoded.contains('\u{FFFD}') {
        return Err(Refusal::Forbidden);
    }
    let Some(relative) = decoded.strip_prefix('/') else {
        return Err(Refusal::Forbidden);
    };
    let segments: Vec<&str> = relative.split('/').collect();
    let last = segments.len() - 1;
    for (i, segment) in segments.iter().enumerate() {
        let empty_inside = segment.is_empty() && i != last;
        if empty_inside || *segment == "." || *segment == ".." || segment.contains(':') {
            return Err(Refusal::Forbidden);
        }
    }
    Ok(if relative.is_empty() || relative.ends_with('/') {
        format!("{relative}index.html")
    } else {
        relative.to_string()
    })
}

/// The router: the event stream and the site, for requests that name an allowed host.
pub fn router(shared: Arc<Shared>, hosts: AllowedHosts) -> Router {
    let files = shared.clone();
    Router::new()
        .route(EVENTS_PATH, get(move || events(shared.clone())))
        .fallback(move |method: Method, uri: Uri| file(files.clone(), method, uri))
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(hosts),
            host::check,
        ))
}

async fn events(shared: Arc<Shared>) -> impl IntoResponse {
    let current = shared
        .error
        .read()
        .ok()
        .and_then(|e| e.clone())
        .map(Signal::Error);
    let updates = BroadcastStream::new(shared.events.subscribe()).filter_map(Result::ok);
    let stream = tokio_stream::iter(current)
        .chain(updates)
        .take_while(|s| *s != Signal::Shutdown)
        .filter_map(|s| s.to_event())
        .map(Ok::<_, Infallible>);
    Sse::new(stream).keep_alive(KeepAlive::default())
}

async fn file(shared: Arc<Shared>, method: Method, uri: Uri) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return (StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD\n").into_response();
    }
    let path = match site_path(uri.path()) {
        Ok(path) => path,
        Err(Refusal::Forbidden) => return (StatusCode::FORBIDDEN, "forbidden\n").into_response(),
    };
    let Ok(site) = shared.site.read() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let (status, path, body) = match site.files.get(&path) {
        Some(bytes) => (StatusCode::OK, path, bytes.clone()),
        None => match site.files.get(&format!("{path}/index.html")) {
            Some(_) => return redirect(&format!("{}/", uri.path())),
            None => match site.files.get("404.html") {
                Some(bytes) => (StatusCode::NOT_FOUND, "404.html".to_string(), bytes.clone()),
                // No site yet (the first build failed): a blank page that still shows errors.
                None => (
                    StatusCode::NOT_FOUND,
                    "404.html".into(),
                    format!("<!DOCTYPE html><title>gradbook</title><body>{SCRIPT}").into_bytes(),
                ),
            },
        },
    };
    drop(site);
    let body = if method == Method::HEAD {
        Body::empty()
    } else {
        Body::from(body)
    };
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(&path)),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

fn redirect(to: &str) -> Response {
    match HeaderValue::from_str(to) {
        Ok(location) => (
            StatusCode::MOVED_PERMANENTLY,
            [(header::LOCATION, location)],
        )
            .into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The `Content-Type` of a site file by its extension.
pub fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("woff2") => "font/woff2",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_paths() {
        assert_eq!(site_path("/"), Ok("index.html".into()));
        assert_eq!(site_path("/q1.html"), Ok("q1.html".into()));
        assert_eq!(site_path("/part%201/a.html"), Ok("part 1/a.html".into()));
        assert_eq!(site_path("/part1/"), Ok("part1/index.html".into()));
    }

    #[test]
    fn escapes_are_refused() {
        for raw in [
            "/../etc/passwd",
            "/%2e%2e/%2e%2e/etc/passwd",
            "/css/%2E%2E%2F%2E%2E%2Fsecret",
            "//etc/passwd",
            "/..%5c..%5csecret",
            "/a\\..\\b",
            "/index.html%00.css",
            "/C:/Windows/win.ini",
            "/./index.html",
            "relative",
            "/%ff%fe",
        ] {
            assert_eq!(site_path(raw), Err(Refusal::Forbidden), "{raw}");
        }
    }

    #[test]
    fn content_types() {
        assert_eq!(content_type("a/b.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("fonts/x.woff2"), "font/woff2");
        assert_eq!(content_type("noext"), "application/octet-stream");
    }
}
