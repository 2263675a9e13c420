//! Live reload: the signals the rebuild loop sends to open pages over server-sent events, and
//! the script `serve` injects into every page it serves (never into `build` output).

use axum::response::sse::Event;

/// The URL of the event stream.
pub const EVENTS_PATH: &str = "/__gradbook/events";

/// What open pages are told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signal {
    /// Pages changed (sent as soon as they are live): reload when one of `files` is the page
    /// shown, or a file every page uses (not an HTML page, not the search index).
    Reload(Vec<String>),
    /// Book-wide files changed after the pages went live (print page, search index, table of
    /// contents): pages follow the same rule as for [`Signal::Reload`].
    Update(Vec<String>),
    /// The last rebuild failed: show this text over the page (the site served is the last good one).
    Error(String),
    /// The error is gone and the site did not change: hide the overlay.
    Ok,
    /// The server is stopping: end the stream.
    Shutdown,
}

impl Signal {
    /// The server-sent event for this signal (`None` for [`Signal::Shutdown`]). Data is JSON, so
    /// multi-line error text travels as one `data:` line.
    pub fn to_event(&self) -> Option<Event> {
        let json = |v: serde_json::Value| v.to_string();
        Some(match self {
            Signal::Reload(files) => Event::default()
                .event("reload")
                .data(json(serde_json::json!({ "files": files }))),
            Signal::Update(files) => Event::default()
                .event("update")
                .data(json(serde_json::json!({ "files": files }))),
            Signal::Error(text) => Event::default()
                .event("error")
                .data(json(serde_json::json!(text))),
            Signal::Ok => Event::default().event("ok").data("{}"),
            Signal::Shutdown => return None,
        })
    }
}

/// The `<script>` added before `</body>` of every served page. The error overlay shows the
/// text with `textContent`, so nothing in an error message is ever parsed as HTML.
pub const SCRIPT: &str = r#"<script>
(() => {
  "use strict";
  const source = new EventSource("/__gradbook/events");
  const overlayId = "gradbook-error-overlay";
  const hide = () => { const old = document.getElementById(overlayId); if (old) old.remove(); };
  const show = (text) => {
    hide();
    const box = document.createElement("div");
    box.id = overlayId;
    box.setAttribute("role", "alert");
    box.style.cssText = "position:fixed;inset:0;z-index:2147483647;background:rgba(20,20,20,.92);color:#fff;" +
      "overflow:auto;padding:2rem;font:14px/1.5 ui-monospace,Menlo,Consolas,monospace";
    const title = document.createElement("strong");
    title.textContent = "gradbook: the last rebuild failed (showing the last good site)";
    title.style.cssText = "display:block;color:#ff8a80;margin-bottom:1rem;font-size:16px";
    const pre = document.createElement("pre");
    pre.style.cssText = "white-space:pre-wrap;margin:0;background:none;color:inherit";
    pre.textContent = text;
    const close = document.createElement("button");
    close.textContent = "Dismiss";
    close.style.cssText = "margin-top:1rem";
    close.addEventListener("click", hide);
    box.append(title, pre, close);
    document.body.append(box);
  };
  const data = (e) => { try { return JSON.parse(e.data); } catch (_) { return null; } };
  // This page's site path, as the rebuild names files ("/" is "index.html").
  const here = (() => {
    let path = "";
    try { path = decodeURIComponent(location.pathname).replace(/^\//, ""); } catch (_) { path = ""; }
    return path === "" || path.endsWith("/") ? path + "index.html" : path;
  })();
  const concerns = (file) => file === here || (!file.endsWith(".html") && file !== "searchindex.js");
  const follow = (e) => {
    const d = data(e);
    const files = d && Array.isArray(d.files) ? d.files : [];
    if (files.length === 0 || files.some(concerns)) location.reload();
  };
  source.addEventListener("reload", follow);
  source.addEventListener("update", follow);
  source.addEventListener("ok", hide);
  source.addEventListener("error", (e) => {
    // The EventSource itself fires a plain "error" (no data) when the connection drops.
    if (typeof e.data === "string") show(String(data(e)));
  });
})();
</script>"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_uses_the_event_path_and_text_content() {
        assert!(SCRIPT.contains(&format!("new EventSource(\"{EVENTS_PATH}\")")));
        assert!(SCRIPT.contains("pre.textContent = text"));
        assert!(!SCRIPT.contains("innerHTML"));
    }

    #[test]
    fn shutdown_has_no_event() {
        assert!(Signal::Shutdown.to_event().is_none());
        assert!(Signal::Error("a\nb".into()).to_event().is_some());
    }
}
