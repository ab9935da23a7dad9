//! The build: a CodeBuild project and the log group it writes to.

use super::role_id;
use super::roles::secret_id_of;
use super::{BuildEnvironment, Ctx, EnvVar, EnvVarSource, LogGroup, Model, Project, Resource};

pub(super) fn add(ctx: &Ctx<'_>, buildspec: &str, model: &mut Model) {
    let names = &ctx.names;
    let build = &ctx.spec.build;
    let log_group = names.log_group();
    model.push(
        Resource::LogGroup(LogGroup {
            name: log_group.clone(),
            retention_days: build.log_retention_days,
            tags: ctx.tags.clone(),
        }),
        &[],
    );
    let mut variables: Vec<EnvVar> = build
        .env
        .iter()
        .map(|(name, value)| EnvVar {
            name: name.clone(),
            value: value.clone(),
            source: EnvVarSource::Plaintext,
        })
        .chain(
            build
                .secrets
                .iter()
                .filter_map(|(name, reference)| secret_variable(name, reference)),
        )
        .collect();
    variables.sort();
    let role = names.codebuild_role();
    let project = Project {
        name: names.build_project(),
        description: format!("Build of the {} pipeline (pipewright)", names.base()),
        service_role: ctx.target.role_arn(&role),
        buildspec: if build.buildspec_is_generated() {
            buildspec.to_owned()
        } else {
            build.buildspec.clone()
        },
        environment: BuildEnvironment {
            image: build.image.clone(),
            compute_type: build.compute.codebuild_type().to_owned(),
            privileged: build.privileged,
            variables,
        },
        log_group: log_group.clone(),
        timeout_minutes: build.timeout_minutes,
        cache: (!build.cache.is_empty())
            .then(|| format!("{}/{}/cache", ctx.artifact_bucket, names.base())),
        encryption_key: ctx.spec.kms_key.clone(),
        tags: ctx.tags.clone(),
    };
    // CodeBuild does not need the log group to exist to create the project; the pipeline
    // waits for it instead (see `pipeline.rs`), so no build can run before pipewright owns it.
    model.push(Resource::Project(project), &[role_id(role)]);
}

/// A secret becomes a reference the build resolves at run time; its value never passes here.
fn secret_variable(name: &str, reference: &str) -> Option<EnvVar> {
    if let Some(parameter) = reference.strip_prefix("ssm:") {
        return Some(EnvVar {
            name: name.to_owned(),
            value: parameter.to_owned(),
            source: EnvVarSource::ParameterStore,
        });
    }
    let rest = reference.strip_prefix("secretsmanager:")?;
    // CodeBuild takes `secret-id:json-key:version-stage:version-id` as the value.
    debug_assert!(!secret_id_of(rest).is_empty());
    Some(EnvVar {
        name: name.to_owned(),
        value: rest.to_owned(),
        source: EnvVarSource::SecretsManager,
    })
}
