//! The service processes of a [`Stack`]: killing, stopping, restarting, and which ran.

use super::Stack;

impl Stack {
    /// Kills one service with SIGKILL (no graceful shutdown).
    pub fn kill(&mut self, name: &str) {
        if let Some((_, child)) = self.children.iter_mut().find(|(n, _)| n == name) {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Kills one service and forgets it: unlike [`Stack::kill`], a later [`Stack::restart`]
    /// of another service does not report it as exited (a benchmark that needs the cores).
    pub fn stop(&mut self, name: &str) {
        self.kill(name);
        self.children.retain(|(n, _)| n != name);
    }

    /// Starts a killed (or crashed) service again, on its old address, and waits until it is
    /// ready.
    pub async fn restart(&mut self, name: &str) -> anyhow::Result<()> {
        self.kill(name);
        self.children.retain(|(n, _)| n != name);
        let env = self.env.clone();
        self.spawn(name, &env)?;
        let url = match name {
            "command-api" => self.command_url.clone(),
            "query-api" => self.query_url.clone(),
            _ => self.projector_url.clone(),
        };
        self.wait_ready(&url).await
    }

    /// Services that have exited since they were started (reaped, so each is reported once).
    pub fn exited(&mut self) -> Vec<String> {
        let mut gone = Vec::new();
        self.children.retain_mut(|(name, child)| {
            let alive = matches!(child.try_wait(), Ok(None));
            if !alive {
                gone.push(name.clone());
            }
            alive
        });
        gone
    }

    /// The process id of a running service (`command-api`, `projector`, `query-api`), e.g. to
    /// read its memory from `/proc/<pid>/status`.
    pub fn pid(&self, name: &str) -> Option<u32> {
        self.children
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, child)| child.id())
    }
}
