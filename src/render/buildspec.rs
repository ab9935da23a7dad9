//! buildspec.yml (version 0.2) as typed data, and how a spec becomes one.
//!
//! The structs cover the keys of the CodeBuild buildspec reference, not only those a spec fills
//! in, because a user template may set any of them and its output is read back into these types:
//! an unknown or misspelt key is an error at render time rather than a failed build. Fields are
//! declared in the order AWS documents them, which is the order they are written in.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::RenderError;
use super::bundle::Bundle;
use super::paths;
use super::secrets::{self, SecretRef};
use super::version::{BuildSpecVersion, FixedVersion};
use crate::model::{BUILD_ARTIFACT, ECS_ARTIFACT};
use crate::spec::{Build, ReportFormat, Spec};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BuildSpec {
    pub version: BuildSpecVersion,
    #[serde(rename = "run-as", default, skip_serializing_if = "Option::is_none")]
    pub run_as: Option<String>,
    #[serde(default, skip_serializing_if = "Env::is_empty")]
    pub env: Env,
    pub phases: Phases,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub reports: BTreeMap<String, ReportGroup>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifacts: Option<Artifacts>,
    #[serde(default, skip_serializing_if = "Cache::is_empty")]
    pub cache: Cache,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Env {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shell: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub variables: BTreeMap<String, String>,
    /// Variable name → Parameter Store parameter name (the value never appears here).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub parameter_store: BTreeMap<String, String>,
    /// Variable name → `secret-id[:json-key[:version-stage[:version-id]]]`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub secrets_manager: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exported_variables: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git_credential_helper: Option<bool>,
}

impl Env {
    fn is_empty(&self) -> bool {
        *self == Env::default()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Phases {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub install: Option<InstallPhase>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre_build: Option<Phase>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build: Option<Phase>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_build: Option<Phase>,
}

/// The `install` phase: the only one that takes `runtime-versions`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct InstallPhase {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_as: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_failure: Option<OnFailure>,
    /// Runtime → version, always strings (`nodejs: "20"`, `python: "3.10"`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub runtime_versions: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub commands: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub finally: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Phase {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_as: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_failure: Option<OnFailure>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub commands: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub finally: Vec<String>,
}

impl Phase {
    fn commands(commands: &[String]) -> Option<Phase> {
        (!commands.is_empty()).then(|| Phase {
            commands: commands.to_vec(),
            ..Phase::default()
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum OnFailure {
    Abort,
    Continue,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ReportGroup {
    pub files: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_directory: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discard_paths: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_format: Option<ReportFileFormat>,
}

/// CodeBuild's `file-format` values, spelled as CodeBuild spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ReportFileFormat {
    Junitxml,
    Cucumberjson,
    Nunitxml,
    Nunit3xml,
    Testngxml,
    Visualstudiotrx,
    Cloverxml,
    Coberturaxml,
    Jacocoxml,
    Simplecov,
}

impl From<ReportFormat> for ReportFileFormat {
    fn from(format: ReportFormat) -> Self {
        match format {
            ReportFormat::Junitxml => ReportFileFormat::Junitxml,
            ReportFormat::Cucumberjson => ReportFileFormat::Cucumberjson,
            ReportFormat::Nunitxml => ReportFileFormat::Nunitxml,
            ReportFormat::Nunit3xml => ReportFileFormat::Nunit3xml,
            ReportFormat::Testngxml => ReportFileFormat::Testngxml,
            ReportFormat::Visualstudiotrx => ReportFileFormat::Visualstudiotrx,
            ReportFormat::Clovercml => ReportFileFormat::Cloverxml,
            ReportFormat::Coberturaxml => ReportFileFormat::Coberturaxml,
            ReportFormat::Jacocoxml => ReportFileFormat::Jacocoxml,
            ReportFormat::Simplecov => ReportFileFormat::Simplecov,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Artifacts {
    pub files: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discard_paths: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_directory: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude_paths: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_symlinks: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3_prefix: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub secondary_artifacts: BTreeMap<String, Artifacts>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cache {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
}

impl Cache {
    fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }
}

impl BuildSpec {
    /// The buildspec a spec asks for. The CodeDeploy `bundle` commands run last in `post_build`,
    /// after the user's own, and the files they place are added to `artifacts.files` unless a
    /// glob there already matches them.
    pub(crate) fn from_spec(spec: &Spec, bundle: &Bundle) -> Result<BuildSpec, RenderError> {
        let build = &spec.build;
        let mut post_build = build.post_build.clone();
        post_build.extend(bundle.commands.iter().cloned());
        let mut files = build.artifacts.files.clone();
        for path in &bundle.artifact_paths {
            if !files.iter().any(|glob| paths::glob_matches(glob, path)) {
                files.push(path.clone());
            }
        }
        let install =
            (!build.install.is_empty() || !build.runtimes.is_empty()).then(|| InstallPhase {
                runtime_versions: build.runtimes.clone(),
                commands: build.install.clone(),
                ..InstallPhase::default()
            });
        let mut phases = Phases {
            install,
            pre_build: Phase::commands(&build.pre_build),
            build: Phase::commands(&build.commands),
            post_build: Phase::commands(&post_build),
        };
        if phases == Phases::default() {
            // CodeBuild requires at least one phase with a command.
            phases.build =
                Phase::commands(&["echo \"pipewright.yml has no build commands\"".to_owned()]);
        }
        let mut artifacts = Artifacts {
            files,
            discard_paths: build.artifacts.discard_paths.then_some(true),
            base_directory: build.artifacts.base_directory.clone(),
            ..Artifacts::default()
        };
        if !bundle.deploy_files.is_empty() {
            // Two output artifacts: CodeBuild matches each to `secondary-artifacts` by name.
            let small = Artifacts {
                files: bundle.deploy_files.clone(),
                base_directory: build.artifacts.base_directory.clone(),
                ..Artifacts::default()
            };
            artifacts.secondary_artifacts = BTreeMap::from([
                (BUILD_ARTIFACT.to_owned(), artifacts.clone()),
                (ECS_ARTIFACT.to_owned(), small),
            ]);
        }
        Ok(BuildSpec {
            version: FixedVersion,
            run_as: None,
            env: env(build)?,
            phases,
            reports: reports(build),
            artifacts: Some(artifacts),
            cache: Cache {
                paths: build.cache.clone(),
            },
        })
    }
}

fn env(build: &Build) -> Result<Env, RenderError> {
    let mut env = Env {
        variables: build.env.clone(),
        ..Env::default()
    };
    for (name, reference) in &build.secrets {
        match secrets::parse(reference) {
            Some(SecretRef::ParameterStore(param)) => {
                env.parameter_store.insert(name.clone(), param.to_owned());
            }
            Some(SecretRef::SecretsManager(secret)) => {
                env.secrets_manager.insert(name.clone(), secret.to_owned());
            }
            None => {
                return Err(RenderError::spec(
                    format!("build.secrets.{name}"),
                    format!("{reference:?} is not a secret reference"),
                    Some(
                        "write ssm:/parameter/name or secretsmanager:secret-id[:json-key]; \
                         the value itself never goes in pipewright.yml"
                            .to_owned(),
                    ),
                ));
            }
        }
    }
    Ok(env)
}

fn reports(build: &Build) -> BTreeMap<String, ReportGroup> {
    build
        .reports
        .iter()
        .map(|(group, report)| {
            (
                group.clone(),
                ReportGroup {
                    files: report.files.clone(),
                    base_directory: report.base_directory.clone(),
                    discard_paths: None,
                    file_format: Some(report.format.into()),
                },
            )
        })
        .collect()
}
