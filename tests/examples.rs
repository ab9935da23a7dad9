//! `examples/<kind>/`: exactly what `pipewright init --kind <kind> --name <kind>` writes, and what
//! each renders (pinned by insta snapshots in `tests/snapshots/`).
//!
//! After changing a starter template, regenerate the examples with
//! `UPDATE_EXAMPLES=1 cargo test examples`, then review and accept the snapshots
//! (`INSTA_UPDATE=always cargo test examples`, or `cargo insta review`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::init::{KINDS, validate};
use crate::render::run_build;
use crate::support::Test;

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

/// Every file under `dir`, by path relative to it, with its bytes and executable bit.
fn tree(dir: &Path) -> BTreeMap<String, (Vec<u8>, bool)> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, (Vec<u8>, bool)>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let relative = path.strip_prefix(root).unwrap();
                let key = relative.to_string_lossy().replace('\\', "/");
                out.insert(key, (std::fs::read(&path).unwrap(), executable(&path)));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

#[cfg(unix)]
fn executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn executable(_path: &Path) -> bool {
    false
}

#[test]
fn examples_are_exactly_what_init_writes() {
    let update = std::env::var_os("UPDATE_EXAMPLES").is_some();
    for kind in KINDS {
        let out = Test::new()
            .args(["init", "--kind", kind, "--name", kind])
            .run()
            .success();
        let written = tree(out.dir.path());
        let example_dir = examples().join(kind);
        if update {
            let _ = std::fs::remove_dir_all(&example_dir);
            copy_tree(out.dir.path(), &example_dir);
            continue;
        }
        let example = tree(&example_dir);
        assert_eq!(
            example.keys().collect::<Vec<_>>(),
            written.keys().collect::<Vec<_>>(),
            "examples/{kind} holds other files than `init --kind {kind}` writes \
             (UPDATE_EXAMPLES=1 cargo test examples regenerates them)"
        );
        for (path, (bytes, exec)) in &written {
            let (example_bytes, example_exec) = &example[path];
            assert!(
                example_bytes == bytes,
                "examples/{kind}/{path} differs from what init writes \
                 (UPDATE_EXAMPLES=1 cargo test examples regenerates it)"
            );
            if cfg!(unix) {
                assert_eq!(example_exec, exec, "examples/{kind}/{path}: executable bit");
            }
        }
    }
}

fn copy_tree(from: &Path, to: &Path) {
    for (path, (bytes, exec)) in tree(from) {
        let target = to.join(&path);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(&target, bytes).unwrap();
        #[cfg(unix)]
        if exec {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        #[cfg(not(unix))]
        let _ = exec;
    }
}

/// Names must fit every AWS limit they feed: role names (≤ 64) and the artifact bucket (≤ 63,
/// with a 12-digit account and the longest Region).
#[test]
fn example_names_fit_aws_limits() {
    for kind in KINDS {
        let path = examples().join(kind).join("pipewright.yml");
        let loaded = pipewright::spec::load(&path).unwrap_or_else(|e| panic!("{kind}: {e:?}"));
        let names = loaded.spec.names();
        assert!(names.codepipeline_role().len() <= 64, "{kind}");
        assert!(
            names
                .artifact_bucket("123456789012", "ap-southeast-3")
                .len()
                <= 63,
            "{kind}"
        );
    }
}

#[test]
fn examples_validate_and_render_as_pinned() {
    for kind in KINDS {
        let mut test = Test::new();
        for (path, (bytes, _)) in tree(&examples().join(kind)) {
            test = test.file(&path, bytes);
        }
        let out = validate(test);
        let out = out.then().args(["render"]).run().success();
        insta::assert_snapshot!(format!("{kind}-buildspec"), out.read("buildspec.yml"));
        let appspec = out.dir.path().join("appspec.yml");
        if appspec.exists() {
            insta::assert_snapshot!(format!("{kind}-appspec"), out.read("appspec.yml"));
        }
    }
}

/// The server examples' builds run with plain `sh` and leave a complete CodeDeploy revision in
/// `dist/`.
#[test]
fn server_examples_build_a_complete_revision() {
    for kind in ["ec2-rolling", "ec2-blue-green"] {
        let mut test = Test::new();
        for (path, (bytes, _)) in tree(&examples().join(kind)) {
            test = test.file(&path, bytes);
        }
        let out = test.args(["render"]).run().success();
        let build = run_build(out.dir.path(), "sh");
        assert!(
            build.status.success(),
            "{kind}: {}",
            String::from_utf8_lossy(&build.stderr)
        );
        let dist = out.dir.path().join("dist");
        assert_eq!(
            std::fs::read_to_string(dist.join("appspec.yml")).unwrap(),
            out.read("appspec.yml")
        );
        assert!(dist.join("scripts/start.sh").is_file(), "{kind}");
        assert!(dist.join("index.html").is_file(), "{kind}");
    }
}
