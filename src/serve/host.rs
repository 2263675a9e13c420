//! Which `Host` a request to the preview server may name: loopback names and addresses, and the
//! host the user bound explicitly. Anything else is refused, so a web page cannot reach the
//! server through a name of its own that resolves to 127.0.0.1 (DNS rebinding).

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Arc;

/// The hosts a request may name.
#[derive(Debug, Clone)]
pub struct AllowedHosts {
    /// The host given to `--host`, lower-case, without brackets.
    bound: String,
    /// Whether the server listens on every address (`0.0.0.0`, `::`): then any IP literal is
    /// accepted too (an address, unlike a name, cannot be rebound).
    any_address: bool,
}

impl AllowedHosts {
    /// The hosts allowed when the server was bound to `bound` (as given to `--host`).
    pub fn new(bound: &str) -> AllowedHosts {
        let bound = bound
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        let any_address = bound.parse::<IpAddr>().is_ok_and(|ip| ip.is_unspecified());
        AllowedHosts { bound, any_address }
    }

    /// Whether a `Host` value (`name`, `name:port`, `1.2.3.4:port`, `[::1]:port`) is allowed.
    pub fn allows(&self, host: &str) -> bool {
        let Some(name) = host_name(host) else {
            return false;
        };
        let name = name.to_ascii_lowercase();
        if name == "localhost" || name == self.bound {
            return true;
        }
        match name.parse::<IpAddr>() {
            Ok(ip) => ip.is_loopback() || self.any_address,
            Err(_) => false,
        }
    }
}

/// The name part of a `Host` value, or `None` when the value is malformed (a bracketed part
/// that is not an IPv6 address, a port that is not a number, stray colons).
fn host_name(host: &str) -> Option<&str> {
    let (name, port) = if let Some(rest) = host.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        inside.parse::<Ipv6Addr>().ok()?;
        let port = if after.is_empty() {
            None
        } else {
            Some(after.strip_prefix(':')?)
        };
        (inside, port)
    } else {
        match host.split_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (host, None),
        }
    };
    if let Some(port) = port
        && (port.is_empty()
            || !port.bytes().all(|b| b.is_ascii_digit())
            || port.parse::<u16>().is_err())
    {
        return None;
    }
    let plain = !name.is_empty()
        && (host.starts_with('[')
            || name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.'));
    plain.then_some(name)
}

/// Middleware: refuse (403, plain text) a request whose `Host` header, or the authority of an
/// absolute-form target, is not allowed; a request without a host is refused too.
pub async fn check(
    State(hosts): State<Arc<AllowedHosts>>,
    request: Request,
    next: Next,
) -> Response {
    let header = request
        .headers()
        .get(header::HOST)
        .map(|h| h.to_str().unwrap_or(""));
    let authority = request.uri().authority().map(|a| a.as_str());
    let named: Vec<&str> = header.into_iter().chain(authority).collect();
    if named.is_empty() || !named.iter().all(|h| hosts.allows(h)) {
        return (
            StatusCode::FORBIDDEN,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "forbidden: this preview server answers only to localhost, 127.0.0.1 and [::1]\n",
        )
            .into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_are_allowed_with_or_without_a_port() {
        let hosts = AllowedHosts::new("127.0.0.1");
        for host in [
            "localhost",
            "localhost:3000",
            "LocalHost:3000",
            "127.0.0.1",
            "127.0.0.1:3000",
            "127.1.2.3:80",
            "[::1]",
            "[::1]:3000",
        ] {
            assert!(hosts.allows(host), "{host}");
        }
    }

    #[test]
    fn other_hosts_are_refused() {
        let hosts = AllowedHosts::new("127.0.0.1");
        for host in [
            "evil.example",
            "evil.example:3000",
            "localhost.evil.example",
            "127.0.0.1.evil.example",
            "sub.localhost",
            "192.168.1.5:3000",
            "0.0.0.0",
            "[::]:3000",
            "[fe80::1]",
            "localhost:",
            "localhost:99999",
            "localhost:30x",
            "[::1",
            "[::1]x",
            "[evil]:3000",
            "a:b:c",
            "",
            "local host",
            "0x7f.1",
            "2130706433",
        ] {
            assert!(!hosts.allows(host), "{host}");
        }
    }

    #[test]
    fn the_bound_host_is_allowed() {
        let lan = AllowedHosts::new("192.168.1.5");
        assert!(lan.allows("192.168.1.5:3000"));
        assert!(!lan.allows("192.168.1.6:3000"));
        assert!(!lan.allows("evil.example"));
        let named = AllowedHosts::new("MyBox.lan");
        assert!(named.allows("mybox.lan:3000"));
        assert!(!named.allows("evil.example"));
        let v6 = AllowedHosts::new("::1");
        assert!(v6.allows("[::1]:3000"));
        let any = AllowedHosts::new("0.0.0.0");
        assert!(any.allows("192.168.1.5:3000"));
        assert!(any.allows("[fe80::1]:3000"));
        assert!(!any.allows("evil.example:3000"));
    }
}
