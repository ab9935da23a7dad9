//! The service roles: one per AWS service that acts for the pipeline, each trusting that one
//! service and allowed exactly what this pipeline's resources need. One file per role's policy
//! ([`codebuild`], [`codepipeline`], [`codedeploy`]), each split by what the spec chose (source
//! provider, deploy platform), so a new provider or platform is one more function.

mod codebuild;
mod codedeploy;
mod codepipeline;
mod grants;

pub use grants::snippet_for;

use serde_json::json;

use super::policy::{Statement, document, merge, trust};
use super::{Ctx, Model, Resource, Role, RolePolicy, Target, role_id};

pub(super) fn add(ctx: &Ctx<'_>, model: &mut Model) {
    let names = &ctx.names;
    let t = ctx.target;
    // CodeBuild and CodePipeline send the project's and the pipeline's ARN when they assume
    // their roles (their "Cross-service confused deputy prevention" pages); CodeDeploy and
    // EventBridge roles are held to the account.
    push(
        ctx,
        model,
        names.codebuild_role(),
        ("codebuild", Some(t.project_arn(&names.build_project()))),
        "CodeBuild runs the build of",
        document(&codebuild::statements(ctx)),
    );
    push(
        ctx,
        model,
        names.codepipeline_role(),
        ("codepipeline", Some(t.pipeline_arn(&names.pipeline()))),
        "CodePipeline runs",
        document(&codepipeline::statements(ctx)),
    );
    // One role serves every CodeDeploy environment: its permissions are each environment's.
    let codedeploy: Vec<Statement> = ctx
        .codedeploy_stages()
        .flat_map(|(stage, deploy)| codedeploy::statements(ctx, stage.name, deploy))
        .collect();
    if !codedeploy.is_empty() {
        push(
            ctx,
            model,
            names.codedeploy_role(),
            ("codedeploy", None),
            "CodeDeploy deploys",
            document(&merge(codedeploy)),
        );
    }
    // CodeCommit and S3 sources start the pipeline through an EventBridge rule.
    if matches!(
        ctx.spec.source,
        crate::spec::Source::Codecommit(_) | crate::spec::Source::S3(_)
    ) {
        let pipeline_arn = ctx.target.pipeline_arn(&names.pipeline());
        push(
            ctx,
            model,
            names.events_role(),
            ("events", None),
            "EventBridge starts",
            document(&[Statement::allow(
                "StartPipeline",
                &["codepipeline:StartPipelineExecution"],
                vec![pipeline_arn],
            )]),
        );
    }
}

/// A role and its policy (which needs the role).
fn push(
    ctx: &Ctx<'_>,
    model: &mut Model,
    name: String,
    (service, source_arn): (&str, Option<String>),
    purpose: &str,
    policy: serde_json::Value,
) {
    model.push(
        Resource::Role(Role {
            name: name.clone(),
            description: format!("{purpose} the {} pipeline (pipewright)", ctx.names.base()),
            trust: trust(
                &ctx.target.service_principal(service),
                &ctx.target.account_id,
                source_arn.as_deref(),
            ),
            tags: ctx.tags.clone(),
        }),
        &[],
    );
    model.push(
        Resource::RolePolicy(RolePolicy {
            role: name.clone(),
            document: policy,
        }),
        &[role_id(name)],
    );
}

/// With a customer-managed key, reading and writing the artifacts (and the secrets encrypted
/// with it) needs the key: SSE-KMS decrypts on GetObject and makes a data key on PutObject.
/// <https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html#require-sse-kms>
fn use_key(ctx: &Ctx<'_>) -> Statement {
    Statement::allow(
        "UseArtifactKey",
        &["kms:Decrypt", "kms:GenerateDataKey"],
        ctx.spec.kms_key.iter().cloned().collect(),
    )
}

/// The artifact bucket's ARN, and the ARN pattern of its objects.
fn artifact_object_arns(ctx: &Ctx<'_>) -> (String, String) {
    let bucket = ctx.target.bucket_arn(&ctx.artifact_bucket);
    let objects = format!("{bucket}/*");
    (bucket, objects)
}

/// The secret id of `id[:json-key[:stage[:version]]]`; a full ARN keeps its own colons.
pub(crate) fn secret_id_of(reference: &str) -> &str {
    if reference.starts_with("arn:") {
        // arn:partition:secretsmanager:region:account:secret:name-suffix[:json-key...]
        let end = reference
            .match_indices(':')
            .nth(6)
            .map_or(reference.len(), |(i, _)| i);
        &reference[..end]
    } else {
        reference.split(':').next().unwrap_or(reference)
    }
}

/// `iam:PassRole` of the task and execution roles the spec names, passed only to ECS tasks:
/// what registering the task definition needs (CodePipeline's ECS action and CodeDeploy's ECS
/// deployments both pass them). No role named, no statement.
fn pass_task_roles<'a>(t: &Target, roles: impl Iterator<Item = &'a str>) -> Statement {
    let mut arns: Vec<String> = roles.map(|r| t.role_arn(r)).collect();
    arns.sort();
    arns.dedup();
    Statement::allow("PassTaskRoles", &["iam:PassRole"], arns).condition(json!({
        "StringEquals": { "iam:PassedToService": t.service_principal("ecs-tasks") }
    }))
}

/// `…:listener/app/…` ↔ `…:listener/net/…`.
fn other_listener_form(listener: &str) -> Option<String> {
    if listener.contains(":listener/app/") {
        Some(listener.replacen(":listener/app/", ":listener/net/", 1))
    } else if listener.contains(":listener/net/") {
        Some(listener.replacen(":listener/net/", ":listener/app/", 1))
    } else {
        None
    }
}

/// `…:listener/app/lb/id/lid` → `…:listener-rule/app/lb/id/lid/*`.
fn listener_rules_arn(listener: &str) -> String {
    format!(
        "{}/*",
        listener.replacen(":listener/", ":listener-rule/", 1)
    )
}

#[cfg(test)]
mod tests {
    use super::secret_id_of;

    #[test]
    fn secret_ids_drop_the_json_key_and_version() {
        assert_eq!(secret_id_of("prod/db:password"), "prod/db");
        assert_eq!(secret_id_of("prod/db"), "prod/db");
        assert_eq!(
            secret_id_of("arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf:password"),
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"
        );
    }
}
