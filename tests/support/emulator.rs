//! The emulator the tests run against: one per test binary, on a free port, stopped by pid when
//! the test process ends (even if it is killed). `PIPEWRIGHT_TEST_ENDPOINT` points the tests at
//! an emulator that is already running instead.
//!
//! Each test gets its own [`Scope`]: an access key id (the emulator scopes knobs and request
//! counters by it) and a unique pipeline name, so tests run in parallel on one emulator.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

/// The endpoint URL of the emulator for this test binary.
pub fn endpoint() -> &'static str {
    static ENDPOINT: OnceLock<String> = OnceLock::new();
    ENDPOINT.get_or_init(|| {
        if let Ok(url) = std::env::var("PIPEWRIGHT_TEST_ENDPOINT")
            && !url.is_empty()
        {
            return url.trim_end_matches('/').to_owned();
        }
        start()
    })
}

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("localstack/emulator")
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local address").port()
}

fn start() -> String {
    let port = free_port().to_string();
    let output = Command::new(script())
        .args(["start", "--port", &port])
        .output()
        .expect("run localstack/emulator start");
    assert!(
        output.status.success(),
        "the emulator did not start:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    // Stop it when this process ends, however it ends.
    let watchdog = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; exec {script} stop --port {port}",
        pid = std::process::id(),
        script = script().display(),
    );
    // Detached on purpose: it must outlive this process to stop the emulator after it.
    #[allow(clippy::zombie_processes)]
    Command::new("setsid")
        .args(["bash", "-c", &watchdog])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start the emulator watchdog");
    let stdout = String::from_utf8_lossy(&output.stdout);
    stdout.lines().last().unwrap_or_default().trim().to_owned()
}

fn control() -> String {
    format!("{}/_pipewright", endpoint())
}

/// One test's private corner of the shared emulator.
#[derive(Debug, Clone)]
pub struct Scope {
    /// The access key id the test's commands use (knobs and counters are scoped by it).
    pub access_key: String,
    /// A pipeline name no other test uses.
    pub name: String,
}

impl Scope {
    pub fn new() -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let tag = format!("{:04x}{n}", (nanos ^ std::process::id()) & 0xffff);
        Self {
            access_key: format!("AKIDTEST{}", tag.to_uppercase()),
            name: format!("t{tag}"),
        }
    }

    /// Set knobs for this scope only (`latency_ms`, `fault_rate`, `disabled_operations`, …).
    pub fn configure(&self, knobs: serde_json::Value) {
        let mut body = knobs;
        body["scope"] = serde_json::Value::String(self.access_key.clone());
        ureq::post(&format!("{}/config", control()))
            .send_json(&body)
            .expect("configure the emulator");
    }

    /// Requests this scope made, by `service:Operation`.
    pub fn requests(&self) -> BTreeMap<String, u64> {
        let mut response = ureq::get(&format!("{}/requests?scope={}", control(), self.access_key))
            .call()
            .expect("read the request counter");
        response.body_mut().read_json().expect("counter JSON")
    }

    /// Requests of this scope answered with an injected fault, by `service:Operation`.
    pub fn faults(&self) -> BTreeMap<String, u64> {
        let mut response = ureq::get(&format!("{}/faults?scope={}", control(), self.access_key))
            .call()
            .expect("read the fault counter");
        response.body_mut().read_json().expect("counter JSON")
    }

    /// Forget this scope's counted requests.
    pub fn clear_requests(&self) {
        ureq::delete(&format!("{}/requests?scope={}", control(), self.access_key))
            .call()
            .expect("clear the request counter");
    }

    /// Operations that write, from the counter (everything not a read).
    pub fn writes(&self) -> BTreeMap<String, u64> {
        self.requests()
            .into_iter()
            .filter(|(key, _)| {
                // `faults` counts injected faults, not an operation.
                let Some((_, op)) = key.split_once(':') else {
                    return false;
                };
                !["Get", "List", "Describe", "BatchGet", "Head"]
                    .iter()
                    .any(|read| op.starts_with(read))
            })
            .collect()
    }
}

/// An emulator of the test's own, for tests that stop it (the shared one must stay up).
pub struct Private {
    pub url: String,
    port: String,
}

impl Private {
    pub fn start() -> Self {
        let port = free_port().to_string();
        let mut private = Self {
            url: String::new(),
            port,
        };
        private.restart();
        private
    }

    /// Start (again) on the same port, with empty state.
    pub fn restart(&mut self) {
        let output = Command::new(script())
            .args(["start", "--port", &self.port])
            .output()
            .expect("run localstack/emulator start");
        assert!(output.status.success(), "a private emulator did not start");
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .last()
            .unwrap_or_default()
            .trim()
            .clone_into(&mut self.url);
    }

    pub fn stop(&mut self) {
        let _ = Command::new(script())
            .args(["stop", "--port", &self.port])
            .output();
    }

    /// Set knobs for `scope` on this emulator.
    pub fn configure(&self, scope: &Scope, knobs: serde_json::Value) {
        let mut body = knobs;
        body["scope"] = serde_json::Value::String(scope.access_key.clone());
        ureq::post(&format!("{}/_pipewright/config", self.url))
            .send_json(&body)
            .expect("configure the private emulator");
    }

    /// Requests `scope` made of this emulator, by `service:Operation`.
    pub fn requests(&self, scope: &Scope) -> BTreeMap<String, u64> {
        let url = format!(
            "{}/_pipewright/requests?scope={}",
            self.url, scope.access_key
        );
        let mut response = ureq::get(&url).call().expect("read the request counter");
        response.body_mut().read_json().expect("counter JSON")
    }
}

impl Drop for Private {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Run Python with boto3 against the shared emulator (for setup pipewright does not own, such
/// as a user's SSM parameter).
pub fn boto3(code: &str) {
    let _ = boto3_output(code);
}

/// [`boto3`], returning what the script printed (to hand generated ARNs back to a test).
pub fn boto3_output(code: &str) -> String {
    let python = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("localstack/.venv/bin/python");
    let prelude = format!(
        "import boto3\nsession = boto3.Session(aws_access_key_id='AKIDSETUP', aws_secret_access_key='x', region_name='us-east-1')\ndef client(name): return session.client(name, endpoint_url='{}')\n",
        endpoint()
    );
    let output = Command::new(python)
        .args(["-c", &format!("{prelude}{code}")])
        .stderr(std::process::Stdio::inherit())
        .output()
        .expect("run python");
    assert!(output.status.success(), "setup script failed:\n{code}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}
