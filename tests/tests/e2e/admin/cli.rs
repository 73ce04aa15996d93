//! `command-api admin create --email …`, run as a process with the stack's environment and
//! the password on standard input: creates an admin, promotes an account whose password it is
//! given, refuses a wrong password, a weak one and a wrong argument.

use std::io::Write as _;
use std::process::{Output, Stdio};

use pasar_tests::stack::Stack;
use reqwest::{Method, StatusCode};
use serde_json::json;

use super::support::{PASSWORD, registered};

/// Runs `command-api <args>` with `password` on standard input.
async fn run(stack: &Stack, args: &[&str], password: &str) -> Output {
    let mut command = stack.tool("command-api").unwrap();
    command
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let password = format!("{password}\n");
    tokio::task::spawn_blocking(move || {
        let mut child = command.spawn().expect("command-api starts");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(password.as_bytes())
            .expect("password written");
        child.wait_with_output().expect("command-api ends")
    })
    .await
    .unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "status {:?}, stdout {}, stderr {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

async fn login_role(stack: &Stack, email: &str, password: &str) -> (StatusCode, String) {
    let login = json!({ "email": email, "password": password });
    let (status, body, _) = stack
        .command(Method::POST, "/v1/auth/login", None, Some(login))
        .await;
    (
        status,
        body["user"]["role"].as_str().unwrap_or_default().to_owned(),
    )
}

/// `command-api admin create --email <email>` with `password`: the exit status and the output.
async fn create(stack: &Stack, email: &str, password: &str) -> (Option<i32>, String) {
    let output = run(stack, &["admin", "create", "--email", email], password).await;
    (output.status.code(), text(&output))
}

#[tokio::test]
async fn the_cli_creates_the_first_admin_or_promotes_an_account_whose_password_it_is_given() {
    // Arrange
    let stack = Stack::start().await.unwrap();
    let email = format!("boss-{}@pasar.test", uuid::Uuid::new_v4().simple());
    let strong = "Adm1n-Passw0rd!";
    let admin = (StatusCode::OK, "admin".to_owned());
    // Act / Assert: a new admin, signed in with the password given on stdin; again, unchanged.
    let (code, out) = create(&stack, &email, strong).await;
    assert!(
        code == Some(0) && out.contains("created the admin account"),
        "{out}"
    );
    assert_eq!(login_role(&stack, &email, strong).await, admin);
    let (code, out) = create(&stack, &email, strong).await;
    assert!(
        code == Some(0) && out.contains("is an admin already"),
        "{out}"
    );
    // A weak password never makes a new admin.
    let weak_email = format!("weak-{}@pasar.test", uuid::Uuid::new_v4().simple());
    let (code, out) = create(&stack, &weak_email, "short").await;
    assert_eq!(code, Some(1), "{out}");
    let refused = login_role(&stack, &weak_email, "short").await.0;
    assert_eq!(refused, StatusCode::UNAUTHORIZED);
    // An existing buyer: not with a wrong password; with theirs, promoted.
    let buyer = registered(&stack, "buyer").await;
    let (code, out) = create(&stack, &buyer.email, "not-their-password").await;
    assert_eq!(code, Some(1), "{out}");
    assert_eq!(login_role(&stack, &buyer.email, PASSWORD).await.1, "buyer");
    let (code, out) = create(&stack, &buyer.email, PASSWORD).await;
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(login_role(&stack, &buyer.email, PASSWORD).await, admin);
    // The buyer's old token names a role the account no longer has.
    let (status, _) = stack.query("/v1/cart", Some(&buyer.access), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // A wrong argument: the usage, status 2.
    let usage = run(&stack, &["admin", "create"], strong).await;
    assert_eq!(usage.status.code(), Some(2), "{}", text(&usage));
    assert!(
        text(&usage).contains("usage: command-api"),
        "{}",
        text(&usage)
    );
}
