//! A real SMTP server for the tests: [`SmtpServer`] listens on a TCP port of the test process and speaks the
//! receiving half of RFC 5321; the API's delivery worker (lettre) talks to it exactly as to a provider.

use std::sync::{Arc, Mutex};

/// One message as the SMTP server received it.
#[derive(Clone, Debug)]
pub struct Received {
    pub to: Vec<String>,
    pub raw: Vec<u8>,
}

impl Received {
    fn parsed(&self) -> mail_parser::Message<'_> {
        mail_parser::MessageParser::default().parse(&self.raw).expect("a MIME message")
    }
    pub fn subject(&self) -> String {
        self.parsed().subject().unwrap_or_default().to_string()
    }
    pub fn text(&self) -> String {
        self.parsed().body_text(0).expect("a text/plain part").to_string()
    }
    pub fn html(&self) -> String {
        self.parsed().body_html(0).expect("a text/html part").to_string()
    }
    /// The link in the plain-text part (decoded from quoted-printable by the parser).
    pub fn link(&self) -> Option<String> {
        let text = self.text();
        text.split_whitespace().find(|w| w.starts_with("http") && w.contains("token=")).map(str::to_string)
    }
    pub fn token(&self) -> String {
        let link = self.link().unwrap_or_else(|| panic!("no link in: {}", self.text()));
        link.split_once("token=").unwrap().1.to_string()
    }
}

/// A real SMTP server on 127.0.0.1: the receiving half of RFC 5321 (EHLO/HELO, MAIL, RCPT, DATA with
/// dot-unstuffing, RSET, NOOP, QUIT) over TCP, run as a task of the test's runtime. The API's worker speaks to it
/// with lettre exactly as to a provider (no TLS offered, so lettre's opportunistic STARTTLS stays plain).
pub struct SmtpServer {
    pub port: u16,
    inbox: Arc<Mutex<Vec<Received>>>,
}

async fn smtp_session(stream: tokio::net::TcpStream, inbox: Arc<Mutex<Vec<Received>>>) -> std::io::Result<()> {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 smtp.test ESMTP ready\r\n").await?;
    let mut to: Vec<String> = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_string();
        let verb = command.split_whitespace().next().unwrap_or("").to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => b"250-smtp.test\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n",
            "HELO" => b"250 smtp.test\r\n",
            "MAIL" => {
                to.clear();
                b"250 OK\r\n"
            }
            "RCPT" => {
                let address = command.split_once(':').map_or("", |(_, a)| a).trim();
                to.push(address.trim_start_matches('<').split('>').next().unwrap_or("").to_string());
                b"250 OK\r\n"
            }
            "DATA" => {
                write.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n").await?;
                let mut raw = Vec::new();
                loop {
                    let mut data = String::new();
                    if lines.read_line(&mut data).await? == 0 {
                        return Ok(());
                    }
                    if data == ".\r\n" || data == ".\n" {
                        break;
                    }
                    let data = data.strip_prefix('.').unwrap_or(&data);
                    raw.extend_from_slice(data.as_bytes());
                }
                inbox.lock().unwrap().push(Received { to: std::mem::take(&mut to), raw });
                b"250 OK: queued\r\n"
            }
            "RSET" => {
                to.clear();
                b"250 OK\r\n"
            }
            "NOOP" => b"250 OK\r\n",
            "QUIT" => {
                write.write_all(b"221 Bye\r\n").await?;
                return Ok(());
            }
            _ => b"502 Command not implemented\r\n",
        };
        write.write_all(reply).await?;
    }
}

impl SmtpServer {
    pub fn start() -> SmtpServer {
        Self::start_on(0)
    }

    /// A port nothing listens on yet: "the mail server is down", until [`SmtpServer::start_on`] it.
    pub fn reserve_port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
    }

    /// Starts listening at once (a server that cannot listen fails the test, under CI as anywhere).
    pub fn start_on(port: u16) -> SmtpServer {
        let listener = std::net::TcpListener::bind(("127.0.0.1", port))
            .unwrap_or_else(|e| panic!("the test SMTP server cannot listen on 127.0.0.1:{port}: {e}"));
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let listener = tokio::net::TcpListener::from_std(listener).unwrap();
        let inbox = Arc::new(Mutex::new(Vec::new()));
        let sessions = inbox.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let inbox = sessions.clone();
                tokio::spawn(async move {
                    let _ = smtp_session(stream, inbox).await;
                });
            }
        });
        SmtpServer { port, inbox }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn all(&self) -> Vec<Received> {
        self.inbox.lock().unwrap().clone()
    }

    pub fn to(&self, address: &str) -> Vec<Received> {
        self.all().into_iter().filter(|m| m.to.iter().any(|t| t == address)).collect()
    }

    /// The `n`th mail (from 1) `address` has received; it must be there.
    pub fn nth(&self, address: &str, n: usize) -> Received {
        let got = self.to(address);
        assert!(got.len() >= n, "{address} received {} mails, not {n}", got.len());
        got[n - 1].clone()
    }
}
