//! CodePipeline V2 pipelines.
//!
//! The pipeline's declaration is one document that `UpdatePipeline` replaces whole, so `update`
//! compares the normalised declaration and rewrites it only when it differs. `read` also reports
//! every resource the live declaration names ([`Facts::references`]): with no state file, that is
//! how `observe` finds a bucket, project or deployment group an older spec created.
//!
//! Normalisation: AWS (and the emulator) add defaults on read — `runOrder` 1, empty
//! `configuration` and artifact lists, the `version` — which are either part of the model
//! already or not compared.

use aws_sdk_codepipeline::Client;
use aws_sdk_codepipeline::types::{
    ActionCategory, ActionDeclaration, ActionOwner, ActionTypeId, ArtifactStore, ArtifactStoreType,
    EncryptionKey, EncryptionKeyType, GitBranchFilterCriteria, GitConfiguration, GitPushFilter,
    InputArtifact, OutputArtifact, PipelineDeclaration, PipelineTriggerDeclaration,
    PipelineTriggerProviderType, PipelineType, StageDeclaration, Tag,
};

use super::error::{absent_is_none, ignore_not_found, invalid_request};
use super::{AwsError, ErrorKind, SdkResultExt, tags};
use crate::model::{
    self, Action, Facts, GitTrigger, Kind, Live, Pipeline, Resource, ResourceId, Stage, Tags,
};

fn pipeline_id(name: &str) -> ResourceId {
    ResourceId::new(Kind::Pipeline, name)
}

fn invalid(operation: &'static str, name: &str, err: &impl std::fmt::Display) -> AwsError {
    invalid_request(operation, pipeline_id(name).to_string(), err)
}

/// The live declaration and the pipeline's ARN; `None` when there is no such pipeline.
async fn get(
    client: &Client,
    name: &str,
) -> Result<Option<(PipelineDeclaration, Option<String>)>, AwsError> {
    let got = client.get_pipeline().name(name).send().await;
    Ok(
        absent_is_none(got.about(pipeline_id(name)))?.and_then(|out| {
            out.pipeline().cloned().map(|declaration| {
                let arn = out
                    .metadata()
                    .and_then(|m| m.pipeline_arn())
                    .map(str::to_owned);
                (declaration, arn)
            })
        }),
    )
}

/// The declaration and its tags are read at once (the ARN is computed, not looked up).
pub(super) async fn read(clients: &super::Clients, name: &str) -> Result<Option<Live>, AwsError> {
    let client = &clients.codepipeline;
    let arn = clients.target().pipeline_arn(name);
    let (found, tags) = tokio::join!(get(client, name), list_tags(client, name, &arn));
    let Some((declaration, _)) = found? else {
        return Ok(None);
    };
    // Deleted between the two calls: gone.
    let Some(tags) = absent_is_none(tags)? else {
        return Ok(None);
    };
    let pipeline = normalise(name, &declaration, tags);
    let facts = Facts {
        references: references(&pipeline),
        ..Facts::default()
    };
    Ok(Some(
        Live::tagged(Resource::Pipeline(pipeline)).with_facts(facts),
    ))
}

async fn list_tags(client: &Client, name: &str, arn: &str) -> Result<Tags, AwsError> {
    let mut tags = Tags::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .list_tags_for_resource()
            .resource_arn(arn)
            .set_next_token(token.take())
            .send()
            .await
            .about(pipeline_id(name))?;
        tags.extend(
            page.tags()
                .iter()
                .map(|t| (t.key().to_owned(), t.value().to_owned())),
        );
        match page.next_token() {
            Some(next) if !next.is_empty() => token = Some(next.to_owned()),
            _ => return Ok(tags),
        }
    }
}

/// The live declaration in the model's shape.
fn normalise(name: &str, declaration: &PipelineDeclaration, tags: Tags) -> Pipeline {
    let artifact_bucket = declaration.artifact_store().map_or_else(
        || {
            // A cross-Region pipeline keeps one store per Region: report the first.
            declaration
                .artifact_stores()
                .and_then(|stores| stores.iter().min_by(|a, b| a.0.cmp(b.0)))
                .map(|(_, store)| store.location().to_owned())
                .unwrap_or_default()
        },
        |store| store.location().to_owned(),
    );
    let stages = declaration
        .stages()
        .iter()
        .map(|stage| Stage {
            name: stage.name().to_owned(),
            actions: stage.actions().iter().map(normalise_action).collect(),
        })
        .collect();
    // pipewright writes at most one trigger: a push filter on one branch of the source action.
    let trigger = declaration
        .triggers()
        .iter()
        .find(|t| *t.provider_type() == PipelineTriggerProviderType::CodeStarSourceConnection)
        .and_then(PipelineTriggerDeclaration::git_configuration)
        .map(|git| GitTrigger {
            source_action: git.source_action_name().to_owned(),
            branch: git
                .push()
                .iter()
                .find_map(|push| push.branches()?.includes().first().cloned())
                .unwrap_or_default(),
        });
    let artifact_key = declaration
        .artifact_store()
        .and_then(ArtifactStore::encryption_key)
        .map(|key| key.id().to_owned());
    Pipeline {
        name: name.to_owned(),
        role: declaration.role_arn().to_owned(),
        artifact_bucket,
        artifact_key,
        stages,
        trigger,
        tags,
    }
}

fn normalise_action(action: &ActionDeclaration) -> Action {
    let type_id = action.action_type_id();
    Action {
        name: action.name().to_owned(),
        category: type_id.map_or(model::ActionCategory::Other(String::new()), |t| {
            model::ActionCategory::from_aws(t.category().as_str())
        }),
        owner: type_id.map_or(model::ActionOwner::Other(String::new()), |t| {
            model::ActionOwner::from_aws(t.owner().as_str())
        }),
        provider: type_id
            .map(ActionTypeId::provider)
            .unwrap_or_default()
            .to_owned(),
        version: type_id
            .map(ActionTypeId::version)
            .unwrap_or_default()
            .to_owned(),
        run_order: action.run_order().unwrap_or(1),
        configuration: action
            .configuration()
            .map(|c| c.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default(),
        inputs: action
            .input_artifacts()
            .iter()
            .map(|a| a.name().to_owned())
            .collect(),
        outputs: action
            .output_artifacts()
            .iter()
            .map(|a| a.name().to_owned())
            .collect(),
    }
}

/// Every resource the pipeline names that pipewright may have created.
fn references(pipeline: &Pipeline) -> Vec<ResourceId> {
    let mut ids = Vec::new();
    if !pipeline.artifact_bucket.is_empty() {
        ids.push(ResourceId::new(Kind::Bucket, &pipeline.artifact_bucket));
    }
    for action in pipeline.stages.iter().flat_map(|s| &s.actions) {
        let config = |key: &str| {
            action
                .configuration
                .get(key)
                .filter(|v| !v.is_empty())
                .map(String::as_str)
        };
        match (&action.category, action.provider.as_str()) {
            (_, "CodeBuild") => {
                if let Some(project) = config("ProjectName") {
                    ids.push(ResourceId::new(Kind::Project, project));
                }
            }
            (model::ActionCategory::Deploy, "S3") => {
                if let Some(bucket) = config("BucketName") {
                    ids.push(ResourceId::new(Kind::Bucket, bucket));
                }
            }
            (_, "CodeDeploy" | "CodeDeployToECS") => {
                if let Some(application) = config("ApplicationName") {
                    ids.push(ResourceId::new(Kind::Application, application));
                    if let Some(group) = config("DeploymentGroupName") {
                        ids.push(ResourceId::new(
                            Kind::DeploymentGroup,
                            format!("{application}/{group}"),
                        ));
                    }
                }
            }
            (model::ActionCategory::Source, "CodeCommit") => {
                if let Some(repository) = config("RepositoryName") {
                    ids.push(ResourceId::new(Kind::Repository, repository));
                }
            }
            _ => {}
        }
    }
    ids.sort();
    ids.dedup();
    ids
}

/// The declaration CodePipeline takes for `pipeline` (always V2).
fn declaration(
    operation: &'static str,
    pipeline: &Pipeline,
) -> Result<PipelineDeclaration, AwsError> {
    let name = pipeline.name.as_str();
    let bad = |e: aws_sdk_codepipeline::error::BuildError| invalid(operation, name, &e);
    let stages = pipeline
        .stages
        .iter()
        .map(|stage| {
            let actions = stage
                .actions
                .iter()
                .map(|action| action_declaration(action).map_err(bad))
                .collect::<Result<Vec<_>, _>>()?;
            StageDeclaration::builder()
                .name(&stage.name)
                .set_actions(Some(actions))
                .build()
                .map_err(bad)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let triggers = pipeline
        .trigger
        .as_ref()
        .map(|trigger| {
            let git = GitConfiguration::builder()
                .source_action_name(&trigger.source_action)
                .push(
                    GitPushFilter::builder()
                        .branches(
                            GitBranchFilterCriteria::builder()
                                .includes(&trigger.branch)
                                .build(),
                        )
                        .build(),
                )
                .build()
                .map_err(bad)?;
            PipelineTriggerDeclaration::builder()
                .provider_type(PipelineTriggerProviderType::CodeStarSourceConnection)
                .git_configuration(git)
                .build()
                .map_err(bad)
        })
        .transpose()?;
    PipelineDeclaration::builder()
        .name(name)
        .role_arn(&pipeline.role)
        .artifact_store(
            ArtifactStore::builder()
                .r#type(ArtifactStoreType::S3)
                .location(&pipeline.artifact_bucket)
                .set_encryption_key(
                    pipeline
                        .artifact_key
                        .as_ref()
                        .map(|key| {
                            EncryptionKey::builder()
                                .id(key)
                                .r#type(EncryptionKeyType::Kms)
                                .build()
                        })
                        .transpose()
                        .map_err(bad)?,
                )
                .build()
                .map_err(bad)?,
        )
        .set_stages(Some(stages))
        .pipeline_type(PipelineType::V2)
        // Always a list, empty included: UpdatePipeline then also removes a trigger.
        .set_triggers(Some(triggers.into_iter().collect()))
        .build()
        .map_err(bad)
}

fn action_declaration(
    action: &Action,
) -> Result<ActionDeclaration, aws_sdk_codepipeline::error::BuildError> {
    let type_id = ActionTypeId::builder()
        .category(ActionCategory::from(action.category.as_str()))
        .owner(ActionOwner::from(action.owner.as_str()))
        .provider(&action.provider)
        .version(&action.version)
        .build()?;
    let inputs = action
        .inputs
        .iter()
        .map(|name| InputArtifact::builder().name(name).build())
        .collect::<Result<Vec<_>, _>>()?;
    let outputs = action
        .outputs
        .iter()
        .map(|name| OutputArtifact::builder().name(name).build())
        .collect::<Result<Vec<_>, _>>()?;
    ActionDeclaration::builder()
        .name(&action.name)
        .action_type_id(type_id)
        .run_order(action.run_order)
        .set_configuration(Some(
            action
                .configuration
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ))
        .set_input_artifacts(Some(inputs))
        .set_output_artifacts(Some(outputs))
        .build()
}

fn pipeline_tags(operation: &'static str, name: &str, tags: &Tags) -> Result<Vec<Tag>, AwsError> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid(operation, name, &e))
}

pub(super) async fn create(client: &Client, pipeline: &Pipeline) -> Result<(), AwsError> {
    let name = pipeline.name.as_str();
    let result = client
        .create_pipeline()
        .pipeline(declaration("CreatePipeline", pipeline)?)
        .set_tags(Some(pipeline_tags("CreatePipeline", name, &pipeline.tags)?))
        .send()
        .await
        .about(pipeline_id(name));
    match result {
        Ok(_) => Ok(()),
        // AWS answers a taken name with PipelineNameInUseException (AlreadyExists); moto and the
        // emulator with InvalidStructureException. Whichever the endpoint, a pipeline that exists
        // makes this an AlreadyExists, so the engine re-reads and converges it.
        Err(err)
            if err.code.as_deref() == Some("InvalidStructureException")
                && get(client, name).await?.is_some() =>
        {
            Err(AwsError {
                kind: ErrorKind::AlreadyExists,
                ..err
            })
        }
        Err(err) => Err(err),
    }
}

pub(super) async fn update(
    client: &Client,
    desired: &Pipeline,
    live: &Pipeline,
) -> Result<(), AwsError> {
    let name = desired.name.as_str();
    let untagged = |p: &Pipeline| Pipeline {
        tags: Tags::new(),
        ..p.clone()
    };
    if untagged(desired) != untagged(live) {
        client
            .update_pipeline()
            .pipeline(declaration("UpdatePipeline", desired)?)
            .send()
            .await
            .about(pipeline_id(name))?;
    }
    tags::add_missing(&desired.tags, &live.tags, |missing| async move {
        let Some((_, Some(arn))) = get(client, name).await? else {
            return Err(AwsError {
                operation: "GetPipeline",
                subject: pipeline_id(name).to_string(),
                code: None,
                message: "the pipeline has no ARN to tag".to_owned(),
                kind: ErrorKind::NotFound,
            });
        };
        client
            .tag_resource()
            .resource_arn(arn)
            .set_tags(Some(pipeline_tags("TagResource", name, &missing)?))
            .send()
            .await
            .about(pipeline_id(name))
            .map(drop)
    })
    .await
}

pub(super) async fn delete(client: &Client, name: &str) -> Result<(), AwsError> {
    ignore_not_found(
        client
            .delete_pipeline()
            .name(name)
            .send()
            .await
            .about(pipeline_id(name)),
    )
}

/// Start an execution; returns its id. `token` makes a retried call start one execution only.
pub async fn start_execution(client: &Client, name: &str, token: &str) -> Result<String, AwsError> {
    let started = client
        .start_pipeline_execution()
        .name(name)
        .client_request_token(token)
        .send()
        .await
        .about(pipeline_id(name))?;
    Ok(started
        .pipeline_execution_id()
        .unwrap_or_default()
        .to_owned())
}

/// Run a stage's failed actions again in the same execution (RetryStageExecution).
pub async fn retry_failed_actions(
    client: &Client,
    name: &str,
    stage: &str,
    execution: &str,
) -> Result<(), AwsError> {
    client
        .retry_stage_execution()
        .pipeline_name(name)
        .stage_name(stage)
        .pipeline_execution_id(execution)
        .retry_mode(aws_sdk_codepipeline::types::StageRetryMode::FailedActions)
        .send()
        .await
        .about(format_args!("execution {execution}"))?;
    Ok(())
}

/// Stop an execution: its running actions finish, nothing new starts (no abandon).
pub async fn stop_execution(
    client: &Client,
    name: &str,
    execution: &str,
    reason: &str,
) -> Result<(), AwsError> {
    client
        .stop_pipeline_execution()
        .pipeline_name(name)
        .pipeline_execution_id(execution)
        .abandon(false)
        .reason(reason)
        .send()
        .await
        .about(format_args!("execution {execution}"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn action(category: &str, provider: &str, config: &[(&str, &str)]) -> Action {
        Action {
            name: provider.to_owned(),
            category: model::ActionCategory::from_aws(category),
            owner: model::ActionOwner::Aws,
            provider: provider.to_owned(),
            version: "1".to_owned(),
            run_order: 1,
            configuration: config
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<BTreeMap<_, _>>(),
            inputs: Vec::new(),
            outputs: Vec::new(),
        }
    }

    fn pipeline(actions: Vec<Action>, trigger: Option<GitTrigger>) -> Pipeline {
        Pipeline {
            name: "p".to_owned(),
            role: "arn:aws:iam::1:role/r".to_owned(),
            artifact_bucket: "artifacts".to_owned(),
            artifact_key: None,
            stages: vec![Stage {
                name: "All".to_owned(),
                actions,
            }],
            trigger,
            tags: Tags::new(),
        }
    }

    #[test]
    fn references_name_every_resource_a_pipeline_uses() {
        let p = pipeline(
            vec![
                action("Source", "CodeCommit", &[("RepositoryName", "repo")]),
                action("Source", "S3", &[("S3Bucket", "users-source")]),
                action("Build", "CodeBuild", &[("ProjectName", "proj")]),
                action("Deploy", "S3", &[("BucketName", "site")]),
                action(
                    "Deploy",
                    "CodeDeploy",
                    &[("ApplicationName", "app"), ("DeploymentGroupName", "g")],
                ),
                action(
                    "Deploy",
                    "CodeDeployToECS",
                    &[("ApplicationName", "app"), ("DeploymentGroupName", "ecs")],
                ),
            ],
            None,
        );
        let ids: Vec<String> = references(&p)
            .iter()
            .map(|id| format!("{:?} {}", id.kind, id.name))
            .collect();
        assert_eq!(
            ids,
            [
                "Bucket artifacts",
                "Bucket site",
                "Repository repo",
                "Application app",
                "Project proj",
                "DeploymentGroup app/ecs",
                "DeploymentGroup app/g",
            ]
        );
    }

    #[test]
    fn a_declaration_reads_back_as_the_pipeline_it_came_from() {
        let mut build = action("Build", "CodeBuild", &[("ProjectName", "proj")]);
        build.inputs = vec!["SourceOutput".to_owned()];
        build.outputs = vec!["BuildOutput".to_owned()];
        build.run_order = 2;
        let approval = action("Approval", "Manual", &[]);
        let p = pipeline(
            vec![approval, build],
            Some(GitTrigger {
                source_action: "Source".to_owned(),
                branch: "main".to_owned(),
            }),
        );
        let declared = declaration("CreatePipeline", &p).expect("a valid declaration");
        assert_eq!(declared.pipeline_type(), Some(&PipelineType::V2));
        assert_eq!(normalise("p", &declared, Tags::new()), p);
    }
}
