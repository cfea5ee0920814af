//! A minimal SMTP server for tests: listens on 127.0.0.1:0, speaks EHLO/HELO, MAIL, RCPT,
//! DATA, RSET, NOOP and QUIT, and records every message it accepts. It can be told to
//! refuse mail (a temporary `451` on `MAIL FROM`), to test retries, or to leave out
//! 8BITMIME, like an old relay.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// One message the server accepted.
#[derive(Debug, Clone, PartialEq)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    /// The message as sent after `DATA` (headers and body, dot-unstuffed).
    pub data: String,
}

#[derive(Default)]
struct Shared {
    messages: Mutex<Vec<Received>>,
    refuse: AtomicBool,
    plain_7bit: AtomicBool,
}

/// A running test SMTP server; it stops when dropped.
pub struct SmtpServer {
    pub port: u16,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl SmtpServer {
    pub async fn start() -> SmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        let shared = Arc::new(Shared::default());
        let s = shared.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let s = s.clone();
                tokio::spawn(async move {
                    let _ = session(stream, s).await;
                });
            }
        });
        SmtpServer { port, shared, task }
    }

    /// From now on, answer `MAIL FROM` with `451` (or accept again with `false`).
    pub fn refuse(&self, refuse: bool) {
        self.shared.refuse.store(refuse, Ordering::SeqCst);
    }

    /// From now on, do not offer 8BITMIME (an old relay): senders must encode 8-bit text.
    pub fn without_8bitmime(&self) {
        self.shared.plain_7bit.store(true, Ordering::SeqCst);
    }

    /// The messages accepted so far.
    pub fn messages(&self) -> Vec<Received> {
        self.shared.messages.lock().expect("lock").clone()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn session(stream: TcpStream, shared: Arc<Shared>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 test.local ESMTP\r\n").await?;
    let mut from = String::new();
    let mut to = Vec::new();
    loop {
        let mut line = String::new();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_owned();
        let upper = command.to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") {
            if shared.plain_7bit.load(Ordering::SeqCst) {
                b"250-test.local\r\n250 SIZE 10485760\r\n"
            } else {
                b"250-test.local\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 10485760\r\n"
            }
        } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
            b"250 ok\r\n"
        } else if upper.starts_with("RSET") {
            from.clear();
            to.clear();
            b"250 ok\r\n"
        } else if upper.starts_with("MAIL FROM:") {
            if shared.refuse.load(Ordering::SeqCst) {
                b"451 4.3.0 try again later\r\n"
            } else {
                from = address(&command[10..]);
                b"250 ok\r\n"
            }
        } else if upper.starts_with("RCPT TO:") {
            to.push(address(&command[8..]));
            b"250 ok\r\n"
        } else if upper == "DATA" {
            write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
            let mut data = String::new();
            loop {
                let mut l = String::new();
                if lines.read_line(&mut l).await? == 0 {
                    return Ok(());
                }
                if l == ".\r\n" || l == ".\n" {
                    break;
                }
                data.push_str(l.strip_prefix('.').unwrap_or(&l));
            }
            shared.messages.lock().expect("lock").push(Received {
                from: std::mem::take(&mut from),
                to: std::mem::take(&mut to),
                data,
            });
            b"250 queued\r\n"
        } else if upper == "QUIT" {
            write.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else {
            b"502 not implemented\r\n"
        };
        write.write_all(reply).await?;
    }
}

/// `<a@b> SIZE=…` → `a@b`.
fn address(arg: &str) -> String {
    let arg = arg.trim();
    arg.strip_prefix('<')
        .and_then(|a| a.split('>').next())
        .unwrap_or(arg)
        .to_owned()
}
