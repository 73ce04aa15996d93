//! A real SMTP server for the notification tests: `aiosmtpd` (PyPI; `scripts/test` installs it)
//! with the handler in `tests/mail/smtp_sink.py`, which writes every accepted message, decoded,
//! to a directory before it answers 250.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use uuid::Uuid;

pub struct SmtpSink {
    pub port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

impl SmtpSink {
    /// A sink that will listen on `port` once [`SmtpSink::start`]ed.
    pub fn on(port: u16) -> SmtpSink {
        let dir = std::env::temp_dir().join(format!("pasar-e2e-mail-{}", Uuid::new_v4().simple()));
        SmtpSink {
            port,
            dir,
            child: None,
        }
    }

    /// A sink on a free port, listening.
    pub async fn started() -> SmtpSink {
        let mut sink = SmtpSink::on(pasar_tests::stack::free_port());
        sink.start().await;
        sink
    }

    /// The command API's `SMTP_URL` for this sink.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Starts the server and waits (up to 20 s) until it accepts connections.
    pub async fn start(&mut self) {
        let handlers = concat!(env!("CARGO_MANIFEST_DIR"), "/mail");
        let child = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{}", self.port))
            .args(["-c", "smtp_sink.Sink"])
            .arg(&self.dir)
            .env("PYTHONPATH", handlers)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 -m aiosmtpd (pip install aiosmtpd; scripts/test installs it)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .is_err()
        {
            assert!(
                Instant::now() < deadline,
                "aiosmtpd did not listen on {}",
                self.port
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Every message accepted so far, decoded: `rcpt_tos`, `to`, `from`, `subject`,
    /// `message_id`, `text`, `html`.
    pub fn mails(&self) -> Vec<Value> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .map(|p| serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap())
            .collect()
    }

    /// The mails to `address`.
    pub fn mails_to(&self, address: &str) -> Vec<Value> {
        self.mails()
            .into_iter()
            .filter(|m| {
                m["rcpt_tos"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|a| a == address)
            })
            .collect()
    }

    /// Waits (up to 30 s) until a mail to `address` has a subject starting with `subject`,
    /// and answers it.
    pub async fn wait_for(&self, address: &str, subject: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let found = self
                .mails_to(address)
                .into_iter()
                .find(|m| m["subject"].as_str().unwrap().starts_with(subject));
            if let Some(mail) = found {
                return mail;
            }
            assert!(
                Instant::now() < deadline,
                "no mail {subject:?} to {address}; got {:#?}",
                self.mails()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
