//! Throw-away PostgreSQL servers for the scale-out tests: a primary made with `initdb` and a
//! streaming replica of it made with `pg_basebackup`, each in its own temporary directory and
//! on its own port, stopped (immediately) and removed on drop.
//!
//! The server binaries come from `PG_BIN` or `/usr/lib/postgresql/<newest>/bin` (Debian's
//! `postgresql` package). PostgreSQL refuses to run as root, so as root the commands run as
//! the `postgres` user (`runuser`).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use uuid::Uuid;

use crate::stack::free_port;

pub struct PgCluster {
    dir: PathBuf,
    data: PathBuf,
    port: u16,
}

impl PgCluster {
    /// A new primary (trust authentication on 127.0.0.1, replication allowed), running.
    pub fn primary() -> anyhow::Result<PgCluster> {
        let cluster = Self::prepare("primary")?;
        run_as_postgres(
            &bin("initdb")?,
            &[
                "-D",
                path(&cluster.data),
                "--auth=trust",
                "--username=postgres",
                "--no-sync",
            ],
        )?;
        cluster.start()?;
        Ok(cluster)
    }

    /// A hot standby streaming from this primary, running.
    pub fn replica(&self) -> anyhow::Result<PgCluster> {
        let cluster = Self::prepare("replica")?;
        let port = self.port.to_string();
        run_as_postgres(
            &bin("pg_basebackup")?,
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &port,
                "-U",
                "postgres",
                "-D",
                path(&cluster.data),
                "--write-recovery-conf",
                "--wal-method=stream",
                "--checkpoint=fast",
                "--no-sync",
            ],
        )?;
        cluster.start()?;
        Ok(cluster)
    }

    /// `postgres://postgres@127.0.0.1:<port>` (append `/<database>`).
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}", self.port)
    }

    fn prepare(role: &str) -> anyhow::Result<PgCluster> {
        let dir = std::env::temp_dir().join(format!("pasar-pg-{role}-{}", Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir)?;
        if is_root() {
            let status = Command::new("chown")
                .args(["postgres:", path(&dir)])
                .status()?;
            if !status.success() {
                bail!("chown postgres {}: {status}", dir.display());
            }
        }
        Ok(PgCluster {
            data: dir.join("data"),
            dir,
            port: free_port(),
        })
    }

    fn start(&self) -> anyhow::Result<()> {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} -c fsync=off -c hot_standby=on",
            self.port,
            path(&self.dir)
        );
        let log = self.dir.join("log");
        run_as_postgres(
            &bin("pg_ctl")?,
            &[
                "-D",
                path(&self.data),
                "-l",
                path(&log),
                "-o",
                &options,
                "-w",
                "-t",
                "60",
                "start",
            ],
        )
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        if let Ok(pg_ctl) = bin("pg_ctl") {
            let _ = run_as_postgres(
                &pg_ctl,
                &["-D", path(&self.data), "-m", "immediate", "stop"],
            );
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn path(p: &Path) -> &str {
    p.to_str().expect("temporary paths are UTF-8")
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

/// A PostgreSQL server binary: `$PG_BIN/<name>`, else the newest Debian installation's.
fn bin(name: &str) -> anyhow::Result<PathBuf> {
    if let Ok(dir) = std::env::var("PG_BIN") {
        return Ok(Path::new(&dir).join(name));
    }
    let mut versions: Vec<u32> = std::fs::read_dir("/usr/lib/postgresql")
        .context("PostgreSQL server binaries: /usr/lib/postgresql (set PG_BIN)")?
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    versions.sort_unstable();
    let newest = versions
        .last()
        .context("no version under /usr/lib/postgresql")?;
    Ok(PathBuf::from(format!(
        "/usr/lib/postgresql/{newest}/bin/{name}"
    )))
}

/// Runs `program` (as the `postgres` user when this process is root) and fails on a non-zero
/// exit, with its output.
fn run_as_postgres(program: &Path, args: &[&str]) -> anyhow::Result<()> {
    let mut command = if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    };
    let output = command
        .args(args)
        .current_dir(std::env::temp_dir())
        .output()
        .with_context(|| format!("running {}", program.display()))?;
    if !output.status.success() {
        bail!(
            "{} {args:?}: {}\n{}{}",
            program.display(),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}
