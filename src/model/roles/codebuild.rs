//! The CodeBuild role: write the build's logs and reports, read and write artifacts, read the
//! secrets the spec names, and what `build.permissions` grants the build's own commands.

use super::super::Ctx;
use super::super::policy::Statement;
use super::{artifact_object_arns, secret_id_of};

pub(super) fn statements(ctx: &Ctx<'_>) -> Vec<Statement> {
    let t = ctx.target;
    let log_group = t.log_group_arn(&ctx.names.log_group());
    let (bucket, objects) = artifact_object_arns(ctx);
    let mut statements = vec![
        Statement::allow(
            "WriteBuildLogs",
            &["logs:CreateLogStream", "logs:PutLogEvents"],
            vec![log_group.clone(), format!("{log_group}:*")],
        ),
        Statement::allow(
            "ReadWriteArtifacts",
            &["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"],
            vec![objects],
        ),
        Statement::allow(
            "LocateArtifactBucket",
            &["s3:GetBucketAcl", "s3:GetBucketLocation"],
            vec![bucket],
        ),
    ];
    if !ctx.spec.build.reports.is_empty() {
        let project = ctx.names.build_project();
        statements.push(Statement::allow(
            "WriteTestReports",
            &[
                "codebuild:CreateReportGroup",
                "codebuild:CreateReport",
                "codebuild:UpdateReport",
                "codebuild:BatchPutTestCases",
                "codebuild:BatchPutCodeCoverages",
            ],
            vec![t.report_groups_arn(&format!("{project}-"))],
        ));
    }
    let mut parameters = Vec::new();
    let mut secrets = Vec::new();
    for reference in ctx.spec.build.secrets.values() {
        if let Some(name) = reference.strip_prefix("ssm:") {
            parameters.push(t.ssm_parameter_arn(name));
        } else if let Some(rest) = reference.strip_prefix("secretsmanager:") {
            let secret_id = secret_id_of(rest);
            secrets.push(t.secret_arn_pattern(secret_id));
        }
    }
    parameters.sort();
    parameters.dedup();
    secrets.sort();
    secrets.dedup();
    statements.push(Statement::allow(
        "ReadParameters",
        &["ssm:GetParameters"],
        parameters,
    ));
    statements.push(Statement::allow(
        "ReadSecrets",
        &["secretsmanager:GetSecretValue"],
        secrets,
    ));
    statements.push(super::use_key(ctx));
    statements.extend(super::grants::statements(t, &ctx.spec.build.permissions));
    statements
}
