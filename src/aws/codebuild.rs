//! CodeBuild projects fed by CodePipeline.
//!
//! A project is one document: `read` normalises it into [`Project`] (defaults AWS reports, such as
//! a 60-minute timeout or the `/aws/codebuild/<name>` log group, are filled in so they compare
//! equal to the model), and `update` rewrites it with one `UpdateProject` — which replaces the
//! whole tag set when given tags, so it is sent the live tags merged with ours.

use aws_sdk_codebuild::Client;
use aws_sdk_codebuild::types::{
    ArtifactsType, CacheType, CloudWatchLogsConfig, ComputeType, EnvironmentType,
    EnvironmentVariable, EnvironmentVariableType, ImagePullCredentialsType, LogsConfig,
    LogsConfigStatusType, ProjectArtifacts, ProjectCache, ProjectEnvironment, ProjectSource,
    SourceType, Tag,
};

use super::error::{ignore_not_found, invalid_request};
use super::{AwsError, SdkResultExt, tags};
use crate::model::{
    BuildEnvironment, EnvVar, EnvVarSource, Kind, Live, Project, Resource, ResourceId, Tags,
};

/// What CodeBuild assumes when a project sets no timeout.
const DEFAULT_TIMEOUT_MINUTES: u32 = 60;

fn project_id(name: &str) -> ResourceId {
    ResourceId::new(Kind::Project, name)
}

fn invalid(operation: &'static str, name: &str, err: &impl std::fmt::Display) -> AwsError {
    invalid_request(operation, project_id(name).to_string(), err)
}

pub(super) async fn read(client: &Client, name: &str) -> Result<Option<Live>, AwsError> {
    let out = client
        .batch_get_projects()
        .names(name)
        .send()
        .await
        .about(project_id(name))?;
    let Some(project) = out.projects().iter().find(|p| p.name() == Some(name)) else {
        return Ok(None);
    };
    let tags: Tags = project
        .tags()
        .iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_owned(),
                t.value().unwrap_or_default().to_owned(),
            ))
        })
        .collect();
    let environment = project.environment();
    let mut variables: Vec<EnvVar> = environment
        .map(ProjectEnvironment::environment_variables)
        .unwrap_or_default()
        .iter()
        .map(|v| EnvVar {
            name: v.name().to_owned(),
            value: v.value().to_owned(),
            source: match v.r#type() {
                Some(EnvironmentVariableType::ParameterStore) => EnvVarSource::ParameterStore,
                Some(EnvironmentVariableType::SecretsManager) => EnvVarSource::SecretsManager,
                _ => EnvVarSource::Plaintext,
            },
        })
        .collect();
    variables.sort();
    Ok(Some(Live::tagged(Resource::Project(Project {
        name: name.to_owned(),
        description: project.description().unwrap_or_default().to_owned(),
        service_role: project.service_role().unwrap_or_default().to_owned(),
        buildspec: project
            .source()
            .and_then(ProjectSource::buildspec)
            .unwrap_or_default()
            .to_owned(),
        environment: BuildEnvironment {
            image: environment
                .map(ProjectEnvironment::image)
                .unwrap_or_default()
                .to_owned(),
            compute_type: environment
                .map(|e| e.compute_type().as_str())
                .unwrap_or_default()
                .to_owned(),
            privileged: environment
                .and_then(ProjectEnvironment::privileged_mode)
                .unwrap_or(false),
            variables,
        },
        log_group: log_group(name, project.logs_config()),
        timeout_minutes: project
            .timeout_in_minutes()
            .and_then(|m| u32::try_from(m).ok())
            .unwrap_or(DEFAULT_TIMEOUT_MINUTES),
        cache: project
            .cache()
            .filter(|c| *c.r#type() == CacheType::S3)
            .and_then(ProjectCache::location)
            .map(str::to_owned),
        // Without a key of its own a project reports AWS's (`alias/aws/s3`).
        encryption_key: project
            .encryption_key()
            .filter(|key| !key.ends_with(":alias/aws/s3") && *key != "alias/aws/s3")
            .map(str::to_owned),
        tags,
    }))))
}

/// Where the build's logs go: the configured group, CodeBuild's default group when logging is on
/// without one, nothing (`""`) when CloudWatch logging is off.
fn log_group(name: &str, config: Option<&LogsConfig>) -> String {
    let Some(cloudwatch) = config.and_then(LogsConfig::cloud_watch_logs) else {
        return format!("/aws/codebuild/{name}");
    };
    if *cloudwatch.status() == LogsConfigStatusType::Disabled {
        return String::new();
    }
    cloudwatch
        .group_name()
        .map_or_else(|| format!("/aws/codebuild/{name}"), str::to_owned)
}

/// Every non-tag part of the project, as CodeBuild takes it (Create and Update share them).
struct Document {
    source: ProjectSource,
    artifacts: ProjectArtifacts,
    environment: ProjectEnvironment,
    logs: LogsConfig,
    cache: ProjectCache,
}

fn document(operation: &'static str, project: &Project) -> Result<Document, AwsError> {
    let name = project.name.as_str();
    let source = ProjectSource::builder()
        .r#type(SourceType::Codepipeline)
        .buildspec(&project.buildspec)
        .build()
        .map_err(|e| invalid(operation, name, &e))?;
    let artifacts = ProjectArtifacts::builder()
        .r#type(ArtifactsType::Codepipeline)
        .build()
        .map_err(|e| invalid(operation, name, &e))?;
    let variables = project
        .environment
        .variables
        .iter()
        .map(|v| {
            EnvironmentVariable::builder()
                .name(&v.name)
                .value(&v.value)
                .r#type(EnvironmentVariableType::from(v.source.as_aws()))
                .build()
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid(operation, name, &e))?;
    let environment = ProjectEnvironment::builder()
        .r#type(EnvironmentType::LinuxContainer)
        .image(&project.environment.image)
        .compute_type(ComputeType::from(project.environment.compute_type.as_str()))
        .privileged_mode(project.environment.privileged)
        .image_pull_credentials_type(ImagePullCredentialsType::Codebuild)
        .set_environment_variables(Some(variables))
        .build()
        .map_err(|e| invalid(operation, name, &e))?;
    let logs = LogsConfig::builder()
        .cloud_watch_logs(
            CloudWatchLogsConfig::builder()
                .status(LogsConfigStatusType::Enabled)
                .group_name(&project.log_group)
                .build()
                .map_err(|e| invalid(operation, name, &e))?,
        )
        .build();
    let cache = match &project.cache {
        Some(location) => ProjectCache::builder()
            .r#type(CacheType::S3)
            .location(location),
        None => ProjectCache::builder().r#type(CacheType::NoCache),
    }
    .build()
    .map_err(|e| invalid(operation, name, &e))?;
    Ok(Document {
        source,
        artifacts,
        environment,
        logs,
        cache,
    })
}

fn codebuild_tags(tags: &Tags) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

fn timeout(project: &Project) -> i32 {
    i32::try_from(project.timeout_minutes).unwrap_or(i32::MAX)
}

pub(super) async fn create(client: &Client, project: &Project) -> Result<(), AwsError> {
    let doc = document("CreateProject", project)?;
    client
        .create_project()
        .name(&project.name)
        .description(&project.description)
        .source(doc.source)
        .artifacts(doc.artifacts)
        .environment(doc.environment)
        .service_role(&project.service_role)
        .timeout_in_minutes(timeout(project))
        .logs_config(doc.logs)
        .cache(doc.cache)
        .set_encryption_key(project.encryption_key.clone())
        .set_tags(Some(codebuild_tags(&project.tags)))
        .send()
        .await
        .about(project_id(&project.name))?;
    Ok(())
}

/// One `UpdateProject` when anything differs: every field pipewright sets when a non-tag field
/// differs, and the merged tag set when one of ours is missing (CodeBuild replaces the set).
pub(super) async fn update(
    client: &Client,
    desired: &Project,
    live: &Project,
) -> Result<(), AwsError> {
    let untagged = |p: &Project| Project {
        tags: Tags::new(),
        ..p.clone()
    };
    let fields_differ = untagged(desired) != untagged(live);
    let missing = tags::to_set(&desired.tags, &live.tags);
    if !fields_differ && missing.is_empty() {
        return Ok(());
    }
    let mut request = client.update_project().name(&desired.name);
    if fields_differ {
        let doc = document("UpdateProject", desired)?;
        request = request
            .description(&desired.description)
            .source(doc.source)
            .artifacts(doc.artifacts)
            .environment(doc.environment)
            .service_role(&desired.service_role)
            .timeout_in_minutes(timeout(desired))
            .logs_config(doc.logs)
            .cache(doc.cache)
            .set_encryption_key(desired.encryption_key.clone());
    }
    if !missing.is_empty() {
        // System tags (`aws:…`) cannot be written by anyone; AWS keeps them itself.
        let mut all: Tags = live
            .tags
            .iter()
            .filter(|(key, _)| !key.starts_with("aws:"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        all.extend(desired.tags.clone());
        request = request.set_tags(Some(codebuild_tags(&all)));
    }
    request.send().await.about(project_id(&desired.name))?;
    Ok(())
}

pub(super) async fn delete(client: &Client, name: &str) -> Result<(), AwsError> {
    ignore_not_found(
        client
            .delete_project()
            .name(name)
            .send()
            .await
            .about(project_id(name)),
    )
}
