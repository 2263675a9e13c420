//! A running `gradbook serve` for the integration tests: started on a free port, its stdout
//! lines arriving on a channel, spoken to in raw HTTP over TCP (clients normalise paths and
//! headers; these requests go out exactly as written), and killed when dropped.
// Each test file uses a different subset of these helpers.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

/// How long to wait for the server's output or an answer.
pub const WAIT: Duration = Duration::from_secs(30);

/// A running `gradbook serve`.
pub struct Server {
    /// The process (tests send it signals).
    pub child: Child,
    /// The address the server printed (`127.0.0.1:PORT`, `[::1]:PORT`).
    pub addr: String,
    /// Its port.
    pub port: u16,
    stdout: Receiver<String>,
}

impl Server {
    /// `gradbook serve -p 0 EXTRA… BOOK`, once it says where it serves.
    pub fn start(book: &Path, extra: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_gradbook"))
            .args(["serve", "-p", "0"])
            .args(extra)
            .arg(book)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let out = BufReader::new(child.stdout.take().unwrap());
        let (tx, stdout) = channel();
        std::thread::spawn(move || {
            for line in out.lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let mut server = Server {
            child,
            addr: String::new(),
            port: 0,
            stdout,
        };
        let line = server.line_containing("Serving ");
        let addr = line
            .split_once("http://")
            .and_then(|(_, rest)| rest.split('/').next())
            .unwrap();
        server.port = addr.rsplit_once(':').unwrap().1.parse().unwrap();
        server.addr = addr.to_string();
        server
    }

    /// The next stdout line containing `needle` (earlier lines are skipped).
    pub fn line_containing(&self, needle: &str) -> String {
        let deadline = Instant::now() + WAIT;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.stdout.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return line,
                Ok(_) => {}
                Err(_) => break,
            }
        }
        panic!("no output line containing {needle:?}");
    }

    /// Send `request` as is and read (status, the whole response with its headers).
    pub fn raw(&self, request: &str) -> (u16, String) {
        let mut stream = TcpStream::connect(&self.addr).unwrap();
        stream.set_read_timeout(Some(WAIT)).unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut response = Vec::new();
        let _ = stream.read_to_end(&mut response);
        let response = String::from_utf8_lossy(&response).into_owned();
        let status = response
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        (status, response)
    }

    /// `GET path` with the given `Host` header: (status, the whole response).
    pub fn get_with_host(&self, path: &str, host: &str) -> (u16, String) {
        self.raw(&format!(
            "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        ))
    }

    /// Poll `path` until its response contains `needle`.
    pub fn wait_for(&self, path: &str, needle: &str) -> bool {
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            if self.get_with_host(path, "127.0.0.1").1.contains(needle) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }

    /// `GET path` from `127.0.0.1`: (status, body).
    pub fn get(&self, path: &str) -> (u16, String) {
        let (status, response) = self.get_with_host(path, "127.0.0.1");
        (status, body(&response))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The body of a raw HTTP response.
pub fn body(response: &str) -> String {
    response
        .split_once("\r\n\r\n")
        .map_or(String::new(), |(_, b)| b.to_string())
}
