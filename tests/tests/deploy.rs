//! The deployment files hold up: `deploy/check` validates the Kubernetes manifests against the
//! Kubernetes schemas, runs promtool on the alert rules and their unit tests, and checks that
//! every metric the dashboard and the alerts name is emitted by the code.

use std::process::Command;

#[test]
fn deployment_manifests_alerts_and_dashboard_check_out() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/check");
    let output = Command::new("bash")
        .arg(script)
        .output()
        .expect("bash runs deploy/check");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "deploy/check failed (scripts/test installs its tools):\n{report}"
    );
}
