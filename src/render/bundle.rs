//! The commands that turn a build's output into a CodeDeploy revision.
//!
//! CodeDeploy looks for `appspec.yml` at the root of the revision and for each hook script at the
//! path the appspec names ("did not find an AppSpec file within the unpacked revision", "Script
//! does not exist at specified location"). The revision is the build artifact, whose root is
//! `artifacts.base_directory` when set. Rather than asking users to keep a hand-written appspec in
//! step with the spec and to copy scripts into `dist/` themselves, the generated buildspec ends
//! by writing the rendered appspec there (a quoted heredoc: readable in the buildspec and in the
//! build log, and never expanded by the shell) and copying each hook script beside it. The spec
//! stays the single source of truth and the appspec cannot drift.
//!
//! The commands are plain POSIX `sh` (CodeBuild's default shell). Buildspec 0.2 runs every command
//! in one shell, so a user's `cd` carries over: the bundle starts by returning to the source root
//! (`$CODEBUILD_SRC_DIR`) and uses relative paths from there, which keeps the commands short
//! enough to read in a build log. A missing script or artifact folder fails the build with a
//! message that names it.

use std::collections::BTreeSet;

use super::RenderError;
use super::appspec::AppSpec;
use super::paths;
use crate::spec::Spec;

/// What the buildspec must do and ship for a CodeDeploy revision.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Bundle {
    /// Commands appended to `post_build`, in order.
    pub(crate) commands: Vec<String>,
    /// Paths (relative to the artifact root) the artifact must contain.
    pub(crate) artifact_paths: Vec<String>,
    /// For ECS: the only files of the small artifact the ECS deploy action reads
    /// (`model::ECS_ARTIFACT`), relative to the same root.
    pub(crate) deploy_files: Vec<String>,
}

/// The bundle for `appspec` (whose canonical text is `appspec_text`), or an empty one.
pub(crate) fn bundle(
    spec: &Spec,
    appspec: Option<&AppSpec>,
    appspec_text: Option<&str>,
) -> Result<Bundle, RenderError> {
    let (Some(appspec), Some(text)) = (appspec, appspec_text) else {
        return Ok(Bundle::default());
    };
    let artifacts = &spec.build.artifacts;
    let root = paths::folder(artifacts.base_directory.as_deref())
        .map_err(|why| RenderError::spec("build.artifacts.base_directory", why, None))?;
    let in_root = |path: &str| match &root {
        Some(root) => format!("{root}/{path}"),
        None => path.to_owned(),
    };

    let scripts = scripts_with_events(appspec)?;
    if artifacts.discard_paths && scripts.iter().any(|(s, _)| s.contains('/')) {
        return Err(RenderError::spec(
            "build.artifacts.discard_paths",
            "would flatten the hook scripts, so the appspec would not find them",
            Some(
                "remove discard_paths, or keep the hook scripts at the repository root".to_owned(),
            ),
        ));
    }

    let mut commands = vec![r#"cd "${CODEBUILD_SRC_DIR:-.}""#.to_owned()];
    if let Some(root) = &root {
        commands.push(format!(
            "test -d {dir} || {{ echo {msg} >&2; false; }}",
            dir = shell_quote(root),
            msg = shell_quote(&format!(
                "pipewright: the build did not create {root} (build.artifacts.base_directory)"
            )),
        ));
    }
    for (script, event) in &scripts {
        let quoted = shell_quote(script);
        commands.push(format!(
            "test -f {quoted} || {{ echo {msg} >&2; false; }}",
            msg = shell_quote(&format!(
                "pipewright: hook script {script} ({event} in appspec.yml) is not in the repository"
            )),
        ));
        let target = in_root(script);
        if root.is_some() {
            let parent = target.rsplit_once('/').map(|(parent, _)| parent);
            let mkdir = parent
                .map(|p| format!("mkdir -p {} && ", shell_quote(p)))
                .unwrap_or_default();
            commands.push(format!(
                "{mkdir}cp {quoted} {t} && chmod +x {t}",
                t = shell_quote(&target)
            ));
        } else {
            commands.push(format!("chmod +x {quoted}"));
        }
    }
    commands.push(write_appspec(text, &shell_quote(&in_root("appspec.yml"))));

    let mut artifact_paths = vec!["appspec.yml".to_owned()];
    artifact_paths.extend(scripts.into_iter().map(|(script, _)| script));
    let deploy_files = match appspec {
        // The paths the ECS action is configured with (`model/pipeline.rs`); the build writes
        // imageDetail.json, the repository holds taskdef.json.
        AppSpec::Ecs(_) => ["appspec.yml", "taskdef.json", "imageDetail.json"]
            .map(str::to_owned)
            .to_vec(),
        AppSpec::Server(_) => Vec::new(),
    };
    Ok(Bundle {
        commands,
        artifact_paths,
        deploy_files,
    })
}

/// One command writing the appspec: a quoted heredoc, never expanded by the shell.
fn write_appspec(text: &str, target: &str) -> String {
    let marker = heredoc_marker(text);
    let body = format!("{text}{marker}", text = ensure_newline(text));
    format!("cat > {target} <<'{marker}'\n{body}")
}

/// A heredoc delimiter that no line of `text` equals.
fn heredoc_marker(text: &str) -> String {
    let mut marker = "PIPEWRIGHT_APPSPEC".to_owned();
    while text.lines().any(|line| line == marker) {
        marker.push('_');
    }
    marker
}

fn ensure_newline(text: &str) -> String {
    if text.ends_with('\n') {
        text.to_owned()
    } else {
        format!("{text}\n")
    }
}

/// `(script, event)` for each script a server appspec runs, each script once (with the first
/// event that runs it), in lifecycle order.
/// A location that is not inside the revision (possible from a template override) cannot be
/// bundled.
fn scripts_with_events(appspec: &AppSpec) -> Result<Vec<(String, &'static str)>, RenderError> {
    let AppSpec::Server(server) = appspec else {
        return Ok(Vec::new());
    };
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for (event, hooks) in &server.hooks {
        for hook in hooks {
            let script = paths::relative(&hook.location).map_err(|why| {
                RenderError::spec(format!("appspec.yml hooks.{}", event.as_str()), why, None)
            })?;
            if seen.insert(script.clone()) {
                out.push((script, event.as_str()));
            }
        }
    }
    Ok(out)
}

/// `value` as one shell word: bare when it is plainly safe, else single-quoted.
pub(crate) fn shell_quote(value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./:=@%+,-".contains(c));
    if plain {
        value.to_owned()
    } else {
        format!("'{}'", value.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words() {
        assert_eq!(shell_quote("scripts/start.sh"), "scripts/start.sh");
        assert_eq!(
            shell_quote("my scripts/it's.sh"),
            r"'my scripts/it'\''s.sh'"
        );
        assert_eq!(shell_quote("$HOME"), "'$HOME'");
        assert_eq!(shell_quote(""), "''");
    }

    #[test]
    fn marker_never_collides() {
        assert_eq!(heredoc_marker("a: 1\n"), "PIPEWRIGHT_APPSPEC");
        assert_eq!(
            heredoc_marker("PIPEWRIGHT_APPSPEC\n"),
            "PIPEWRIGHT_APPSPEC_"
        );
    }
}
