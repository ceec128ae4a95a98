//! A `frontline serve` child process on a given store: started, asked where it serves, measured
//! (its resident memory) and killed with SIGKILL. The soak and the crash test drive the real
//! binary this way, so what they measure or break is the server as it is deployed.

use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::Context;

pub struct ServerProcess {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
}

impl ServerProcess {
    /// Starts `exe serve` on the store at `url` on a free loopback port; its log goes to `log`.
    pub fn start(exe: &Path, url: &str, log: &Path) -> anyhow::Result<ServerProcess> {
        Self::start_with(exe, url, log, &[])
    }

    /// The same, with more environment variables (`RUST_LOG`, `FRONTLINE_SECURE_COOKIES`, …). Its
    /// data folder (the audit anchor's key and checkpoints) is `<log>.data` beside the log, never
    /// the working directory's.
    pub fn start_with(exe: &Path, url: &str, log: &Path, env: &[(&str, &str)]) -> anyhow::Result<ServerProcess> {
        let data = log.with_extension("data");
        let log = std::fs::OpenOptions::new().create(true).append(true).open(log)?;
        let mut copy = log.try_clone()?;
        let mut child = Command::new(exe)
            .args(["serve", "--addr", "127.0.0.1:0"])
            .env("FRONTLINE_DATABASE_URL", url)
            .env("FRONTLINE_DATA", &data)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting {} serve", exe.display()))?;
        let stdout = child.stdout.take().context("the server's output")?;
        let (tx, rx) = std::sync::mpsc::channel();
        // Reads the address it serves on; every line (its log included) goes on to the log file.
        std::thread::spawn(move || {
            use std::io::Write;
            for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("serving on ").nth(1) {
                    let _ = tx.send(rest.split('/').take(3).collect::<Vec<_>>().join("/"));
                }
                let _ = writeln!(copy, "{line}");
            }
        });
        match rx.recv_timeout(Duration::from_secs(120)) {
            Ok(base) => Ok(ServerProcess { child, base }),
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                anyhow::bail!("the server did not start (see its log)")
            }
        }
    }

    /// Resident memory now, in MiB (Linux).
    pub fn resident_mib(&self) -> Option<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
        let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib / 1024.0)
    }

    /// SIGKILL: no shutdown, no flush; whatever was in flight is cut.
    pub fn kill(mut self) -> anyhow::Result<()> {
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }
}
