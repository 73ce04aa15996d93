//! The command API's command-line tools, besides serving (no argument):
//!
//! ```text
//! command-api admin create --email <email>    # the password is read from standard input
//! ```
//!
//! `admin create` creates the admin account `email`, or promotes the account `email` to admin
//! when the password given is that account's. It reads the same environment as the service
//! (`DATABASE_URL`, …), migrates like it, prints what it did and exits 0; a refusal prints
//! why and exits 1; a wrong argument prints the usage and exits 2.

use std::io::BufRead as _;

use crate::app::first_admin::{self, AdminSetUp};
use crate::config::Config;

pub const USAGE: &str = "usage: command-api [admin create --email <email>]
  (no argument)                  serve the command API
  admin create --email <email>   create the admin <email> with the password read from standard
                                 input, or promote the account <email> to admin if the password
                                 is its own";

/// What the arguments ask for.
#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    Serve,
    AdminCreate { email: String },
    Help,
}

/// Parses the arguments after the program name; `Err` carries the complaint.
pub fn parse(args: &[String]) -> Result<Command, String> {
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        [] => Ok(Command::Serve),
        ["--help" | "-h" | "help"] => Ok(Command::Help),
        ["admin", "create", "--email", email] => Ok(Command::AdminCreate {
            email: (*email).to_owned(),
        }),
        [first, ..] if first.starts_with("admin") => {
            Err("admin create needs --email <email>".into())
        }
        [other, ..] => Err(format!("unknown command `{other}`")),
    }
}

/// Runs `admin create`: the exit status.
pub async fn admin_create(email: &str) -> i32 {
    let password = match read_password() {
        Ok(password) => password,
        Err(e) => {
            eprintln!("admin create: {e}");
            return 1;
        }
    };
    let setup = async {
        let state = crate::server::connect(Config::from_env()?).await?;
        Ok::<_, anyhow::Error>(first_admin::create_or_promote(&state, email, &password).await?)
    };
    match setup.await {
        Ok(AdminSetUp::Created(id)) => println!("created the admin account {email} ({id})"),
        Ok(AdminSetUp::Promoted(id)) => println!("promoted {email} ({id}) to admin"),
        Ok(AdminSetUp::AlreadyAdmin(id)) => println!("{email} ({id}) is an admin already"),
        Err(e) => {
            eprintln!("admin create: {e:#}");
            return 1;
        }
    }
    0
}

/// The first line of standard input, without its line ending.
fn read_password() -> Result<String, String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("reading the password from standard input: {e}"))?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        return Err("give the password on standard input".into());
    }
    Ok(password)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn arguments_parse_into_commands() {
        assert_eq!(parse(&[]), Ok(Command::Serve));
        assert_eq!(
            parse(&args("admin create --email a@b.id")),
            Ok(Command::AdminCreate {
                email: "a@b.id".into()
            })
        );
        assert!(parse(&args("admin create")).is_err());
        assert!(parse(&args("admin delete --email a@b.id")).is_err());
        assert!(parse(&args("serve")).is_err());
        assert_eq!(parse(&args("--help")), Ok(Command::Help));
    }
}
