//! A service binary's command-line tools, run with the stack's environment.

use std::process::Command;

use super::{Stack, binary};

impl Stack {
    /// A service binary's command-line tool (`command-api admin create …`) with the services'
    /// environment, to be run by the caller.
    pub fn tool(&self, name: &str) -> anyhow::Result<Command> {
        let mut command = Command::new(binary(name)?);
        command.envs(self.env.iter().map(|(k, v)| (k, v)));
        Ok(command)
    }
}
