//! `pipewright graph`: every example in every format (insta snapshots), and the DOT output
//! accepted by Graphviz itself.

use std::io::Write as _;
use std::process::{Command, Stdio};

use crate::init::KINDS;
use crate::support::Test;

const FORMATS: [&str; 3] = ["terminal", "mermaid", "dot"];

fn graph(kind: &str, args: &[&str]) -> String {
    Test::new()
        .example(kind, kind)
        .args(["graph"])
        .args(args.iter().copied())
        .run()
        .success()
        .stdout
        .clone()
}

#[test]
fn every_example_in_every_format_is_pinned() {
    for kind in KINDS {
        for format in FORMATS {
            let text = graph(kind, &["--format", format]);
            insta::assert_snapshot!(format!("graph-{kind}-{format}"), text);
        }
    }
}

#[test]
fn the_terminal_picture_degrades_to_ascii() {
    let text = graph("ec2-blue-green", &["--ascii"]);
    assert!(text.is_ascii(), "{text}");
    insta::assert_snapshot!("graph-ec2-blue-green-ascii", text);
}

#[test]
fn the_terminal_picture_is_the_default() {
    assert_eq!(
        graph("static-site", &[]),
        graph("static-site", &["--format", "terminal"])
    );
}

/// CI installs Debian's graphviz (`.ci/run`); a machine without `dot` fails here, loudly, rather
/// than skipping a check nobody would notice was skipped.
#[test]
fn graphviz_accepts_the_dot_of_every_example() {
    let version = Command::new("dot").arg("-V").output();
    assert!(
        version.as_ref().is_ok_and(|o| o.status.success()),
        "Graphviz's `dot` is needed to check `pipewright graph --format dot` and is not on PATH \
         ({version:?}): install it (`apt-get install -y graphviz`)"
    );
    for kind in KINDS {
        let text = graph(kind, &["--format", "dot"]);
        let mut child = Command::new("dot")
            .arg("-Tsvg")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start dot");
        child
            .stdin
            .take()
            .expect("dot's stdin")
            .write_all(text.as_bytes())
            .expect("write to dot");
        let output = child.wait_with_output().expect("wait for dot");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success() && stderr.trim().is_empty(),
            "dot rejected the graph of {kind}:\n{stderr}\n---\n{text}"
        );
        assert!(
            String::from_utf8_lossy(&output.stdout).contains("<svg"),
            "{kind}: no SVG"
        );
    }
}

#[test]
fn the_pipeline_passes_its_artifacts_and_names_its_roles() {
    let mermaid = graph("static-site", &["--format", "mermaid"]);
    assert!(mermaid.starts_with("flowchart LR\n"), "{mermaid}");
    for needle in [
        "==>|\"SourceOutput\"|",
        "==>|\"BuildOutput\"|",
        "-.->|\"runs as\"|",
        "-.->|\"uses\"|",
        "-.->|\"needs\"|",
        "subgraph stage0 [\"Source\"]",
        "IAM role<br/>static-site-codebuild-role",
    ] {
        assert!(mermaid.contains(needle), "{needle} missing:\n{mermaid}");
    }
    let terminal = graph("static-site", &[]);
    for needle in [
        "in       SourceOutput from Source/Source",
        "runs as  IAM role static-site-codebuild-role",
        "out      BuildOutput to Deploy/Deploy",
        "uses     S3 bucket static-site-site",
    ] {
        assert!(terminal.contains(needle), "{needle} missing:\n{terminal}");
    }
}

#[test]
fn approvals_come_before_the_deploy_they_guard() {
    let spec = "\
version: 1
name: envs
region: us-east-1
source:
  codecommit:
    repository: envs
build:
  commands: [echo built]
environments:
  - name: staging
    deploy:
      s3:
        bucket: envs-staging
  - name: prod
    approval: true
    deploy:
      s3:
        bucket: envs-prod
";
    let dot = Test::new()
        .spec(spec)
        .args(["graph", "--format", "dot"])
        .run()
        .success()
        .stdout
        .clone();
    // Build → staging, staging → prod's approval → prod's deploy, Build's output to both.
    let node = |label: &str| {
        dot.lines()
            .find(|l| l.contains(&format!("label=\"{label}")))
            .and_then(|l| l.split_whitespace().next())
            .unwrap_or_else(|| panic!("no {label} node:\n{dot}"))
            .to_owned()
    };
    let approval = node("Approval\\nmanual approval");
    let prod_bucket = node("S3 bucket\\nenvs-prod");
    assert!(dot.contains(&format!("-> {approval};")), "{dot}");
    let approval_then = format!("  {approval} -> ");
    assert!(dot.contains(&approval_then), "{dot}");
    assert!(
        dot.contains(&format!("-> {prod_bucket} [label=\"uses\"")),
        "{dot}"
    );
    assert_eq!(dot.matches("label=\"BuildOutput\"").count(), 2, "{dot}");
}
