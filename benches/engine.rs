//! `cargo bench --bench engine`: how fast `up`, a no-op `up` and `down` are against the emulator
//! with a fixed latency per request (default 50 ms, `BENCH_LATENCY_MS`), beside
//!
//! * a sequential boto3 script making the same calls (`benches/baseline.py`): what a user
//!   scripting it by hand would write, and
//! * the critical-path bound: the longest chain of calls that must happen one after another,
//!   reads included, times the latency (the derivation is printed).
//!
//! Then 50 pipelines brought up at once, beside one. Figures go to README ("Speed").
//! Run on demand only: it starts its own emulator and takes a few minutes.

// A bench is one measured session, read top to bottom.
#![allow(clippy::too_many_lines)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const PIPELINES_AT_ONCE: usize = 50;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

struct Emulator {
    url: String,
    port: String,
}

impl Emulator {
    fn start() -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        let port = listener.local_addr().expect("address").port().to_string();
        drop(listener);
        let out = Command::new(root().join("localstack/emulator"))
            .args(["start", "--port", &port])
            .output()
            .expect("start the emulator");
        assert!(out.status.success(), "the emulator did not start");
        let url = String::from_utf8_lossy(&out.stdout)
            .lines()
            .last()
            .unwrap_or_default()
            .trim()
            .to_owned();
        Self { url, port }
    }

    fn configure(&self, key: &str, latency_ms: u64) {
        let body =
            format!(r#"{{"scope":"{key}","latency_ms":{latency_ms},"start_on_create":false}}"#);
        let status = Command::new("curl")
            .args([
                "-sf",
                "-XPOST",
                &format!("{}/_pipewright/config", self.url),
                "-d",
                &body,
            ])
            .stdout(std::process::Stdio::null())
            .status()
            .expect("curl");
        assert!(status.success(), "configure the emulator");
    }

    /// Requests made by `key` since the last call, then forget them.
    fn take_requests(&self, key: &str) -> u64 {
        let url = format!("{}/_pipewright/requests?scope={key}", self.url);
        let out = Command::new("curl")
            .args(["-sf", &url])
            .output()
            .expect("curl");
        let counts: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
        let _ = Command::new("curl")
            .args(["-sf", "-XDELETE", &url])
            .output();
        counts.as_object().map_or(0, |m| {
            m.iter()
                .filter(|(k, _)| *k != "faults")
                .filter_map(|(_, v)| v.as_u64())
                .sum()
        })
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = Command::new(root().join("localstack/emulator"))
            .args(["stop", "--port", &self.port])
            .output();
    }
}

/// A copy of the static-site example under `name`, in a fresh folder.
fn workspace(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temp dir");
    let example = root().join("examples/static-site");
    for entry in walk(&example) {
        let relative = entry.strip_prefix(&example).expect("inside");
        let target = dir.path().join(relative);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        let bytes = std::fs::read(&entry).expect("read");
        let bytes = if relative == Path::new("pipewright.yml") {
            String::from_utf8_lossy(&bytes)
                .replace("static-site", name)
                .into_bytes()
        } else {
            bytes
        };
        std::fs::write(&target, bytes).expect("write");
    }
    dir
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read_dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

fn pipewright(emulator: &Emulator, key: &str, dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pipewright"));
    command
        .args(args)
        .current_dir(dir)
        .env("AWS_ENDPOINT_URL", &emulator.url)
        .env("AWS_ACCESS_KEY_ID", key)
        .env("AWS_SECRET_ACCESS_KEY", "x")
        .env("AWS_REGION", "us-east-1")
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    command
}

fn timed(mut command: Command) -> Duration {
    let started = Instant::now();
    let status = command.status().expect("run");
    assert!(status.success(), "{command:?} failed");
    started.elapsed()
}

fn baseline(emulator: &Emulator, key: &str, name: &str, step: &str) -> Command {
    let mut command = Command::new(root().join("localstack/.venv/bin/python"));
    command.args([
        root()
            .join("benches/baseline.py")
            .to_string_lossy()
            .as_ref(),
        step,
        &emulator.url,
        key,
        name,
    ]);
    command
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let latency: u64 = std::env::var("BENCH_LATENCY_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let rounds: usize = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let emulator = Emulator::start();
    println!(
        "emulator {} with {latency} ms per request, {rounds} rounds",
        emulator.url
    );

    let mut ours = [Vec::new(), Vec::new(), Vec::new()];
    let mut theirs = [Vec::new(), Vec::new(), Vec::new()];
    let mut calls = [0u64; 6];
    for round in 0..rounds {
        let key = format!("AKIDBENCHPW{round}");
        let name = format!("bench{round}");
        emulator.configure(&key, latency);
        let dir = workspace(&name);
        for (i, args) in [["up", "--yes"], ["up", "--yes"], ["down", "--yes"]]
            .iter()
            .enumerate()
        {
            ours[i].push(timed(pipewright(&emulator, &key, dir.path(), args)));
            calls[i] = emulator.take_requests(&key);
        }
        let key = format!("AKIDBENCHPY{round}");
        let name = format!("base{round}");
        emulator.configure(&key, latency);
        for (i, step) in ["up", "noop", "down"].iter().enumerate() {
            theirs[i].push(timed(baseline(&emulator, &key, &name, step)));
            calls[3 + i] = emulator.take_requests(&key);
        }
    }

    let latency_s = Duration::from_millis(latency);
    // The chains, in calls that cannot overlap (see the derivation printed below).
    let bound_up = 5 * latency_s;
    let bound_up_locked = 8 * latency_s;
    let bound_noop = 2 * latency_s;
    let bound_down = 8 * latency_s;
    println!();
    println!(
        "| | pipewright (median) | sequential boto3 | speed-up | critical-path bound | × bound | calls (pipewright / boto3) |"
    );
    println!("|---|---|---|---|---|---|---|");
    for (i, (what, bound)) in [
        ("`up` from nothing", bound_up_locked),
        ("no-op `up`", bound_noop),
        ("`down`", bound_down),
    ]
    .iter()
    .enumerate()
    {
        let (a, b) = (median(ours[i].clone()), median(theirs[i].clone()));
        println!(
            "| {what} | {} | {} | {:.1}× | {} | {:.2} | {} / {} |",
            ms(a),
            ms(b),
            b.as_secs_f64() / a.as_secs_f64(),
            ms(*bound),
            a.as_secs_f64() / bound.as_secs_f64(),
            calls[i],
            calls[3 + i],
        );
    }
    println!();
    println!(
        "How the bound was counted (each step waits for the one before; calls within a step overlap):"
    );
    println!(
        "  up:    GetCallerIdentity → reads (HeadBucket, GetRole, … all at once) → CreateRole → CreateProject → CreatePipeline (PutRolePolicy beside CreateProject)"
    );
    println!(
        "         = 5 calls ({}); with pipewright's lock, CreateBucket → PutObject(lock) before and DeleteObject(lock) after = 8 calls ({})",
        ms(bound_up),
        ms(bound_up_locked)
    );
    println!(
        "  no-op: GetCallerIdentity → every read, the bucket's Get* and tags included (all at once) = 2 calls"
    );
    println!(
        "  down:  GetCallerIdentity → PutObject(lock) → reads → ListObjectsV2 (foreign-object guard) → DeletePipeline → ListObjectVersions → DeleteObjects → DeleteBucket = 8 calls"
    );

    // Many pipelines at once: one process each, as a team bootstrapping many services would.
    let one = median(ours[0].clone());
    let dirs: Vec<_> = (0..PIPELINES_AT_ONCE)
        .map(|i| {
            let key = format!("AKIDMANY{i}");
            emulator.configure(&key, latency);
            (key, workspace(&format!("many{i}")))
        })
        .collect();
    let started = Instant::now();
    let mut children: Vec<_> = dirs
        .iter()
        .map(|(key, dir)| {
            pipewright(&emulator, key, dir.path(), &["up", "--yes"])
                .spawn()
                .expect("spawn")
        })
        .collect();
    let ok = children
        .iter_mut()
        .all(|c| c.wait().is_ok_and(|s| s.success()));
    let many = started.elapsed();
    println!();
    println!(
        "{PIPELINES_AT_ONCE} pipelines at once: {} ({}), {:.1}× one pipeline ({})",
        ms(many),
        if ok { "all succeeded" } else { "SOME FAILED" },
        many.as_secs_f64() / one.as_secs_f64(),
        ms(one)
    );
    for (key, dir) in &dirs {
        let _ = pipewright(&emulator, key, dir.path(), &["down", "--yes"]).status();
    }
}
