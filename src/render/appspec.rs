//! appspec.yml as typed data, one shape per CodeDeploy platform, and how a spec becomes one.
//!
//! Three platforms, three documents that share little but `version: 0.0`: servers name files and
//! hook *scripts* by lifecycle event, Lambda and ECS name a resource and hook *functions* as a list
//! of one-key maps. Each shape rejects unknown keys and events, so a template override that
//! misspells `ValidateService` fails at render time, not in the middle of a deployment.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::RenderError;
use super::paths;
use super::version::{AppSpecVersion, FixedVersion};
use crate::spec::{CodeDeploy, FileExistsBehavior, Hook, Os, Platform, Spec};

/// An appspec for whichever platform the spec deploys to.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum AppSpec {
    Server(ServerAppSpec),
    Lambda(LambdaAppSpec),
    Ecs(EcsAppSpec),
}

impl AppSpec {
    /// The built-in template that writes this shape.
    pub(crate) fn template_name(&self) -> &'static str {
        match self {
            AppSpec::Server(_) => "appspec-server.yml.j2",
            AppSpec::Lambda(_) => "appspec-lambda.yml.j2",
            AppSpec::Ecs(_) => "appspec-ecs.yml.j2",
        }
    }
}

/// EC2/on-premises.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerAppSpec {
    pub version: AppSpecVersion,
    pub os: Os,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<ServerFile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_exists_behavior: Option<FileExistsBehavior>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub permissions: Vec<Permission>,
    /// Event → scripts, written in lifecycle order (the order of [`ServerEvent`]).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub hooks: BTreeMap<ServerEvent, Vec<ServerHook>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerFile {
    pub source: String,
    pub destination: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Permission {
    pub object: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub except: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub acls: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub r#type: Vec<String>,
}

/// Server lifecycle events that run scripts, declared in the order CodeDeploy runs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ServerEvent {
    ApplicationStop,
    BeforeBlockTraffic,
    AfterBlockTraffic,
    BeforeInstall,
    AfterInstall,
    ApplicationStart,
    ValidateService,
    BeforeAllowTraffic,
    AfterAllowTraffic,
}

impl ServerEvent {
    /// The event's name in appspec.yml.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ServerEvent::ApplicationStop => "ApplicationStop",
            ServerEvent::BeforeBlockTraffic => "BeforeBlockTraffic",
            ServerEvent::AfterBlockTraffic => "AfterBlockTraffic",
            ServerEvent::BeforeInstall => "BeforeInstall",
            ServerEvent::AfterInstall => "AfterInstall",
            ServerEvent::ApplicationStart => "ApplicationStart",
            ServerEvent::ValidateService => "ValidateService",
            ServerEvent::BeforeAllowTraffic => "BeforeAllowTraffic",
            ServerEvent::AfterAllowTraffic => "AfterAllowTraffic",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerHook {
    /// Script path relative to the root of the revision.
    pub location: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runas: Option<String>,
}

/// Lambda: shift an alias from one published version to another.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct LambdaAppSpec {
    #[serde(rename = "version")]
    pub version: AppSpecVersion,
    /// One entry: logical name → the function.
    pub resources: Vec<BTreeMap<String, LambdaResource>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hooks: Vec<LambdaHook>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct LambdaResource {
    pub r#type: LambdaResourceType,
    pub properties: LambdaProperties,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LambdaResourceType {
    #[serde(rename = "AWS::Lambda::Function")]
    Function,
}

/// The versions are only known at build time: the generated buildspec publishes the new version
/// and replaces [`CURRENT_VERSION`] and [`TARGET_VERSION`] in the bundled appspec. They are
/// written double-quoted, as the AWS documentation writes them, so the number the build puts in
/// stays a string.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct LambdaProperties {
    pub name: String,
    pub alias: String,
    #[serde(serialize_with = "double_quoted")]
    pub current_version: String,
    #[serde(serialize_with = "double_quoted")]
    pub target_version: String,
}

fn double_quoted<S: serde::Serializer>(value: &str, serializer: S) -> Result<S::Ok, S::Error> {
    serde_saphyr::DoubleQuoted(value).serialize(serializer)
}

/// Placeholder the build replaces with the alias's current version.
pub const CURRENT_VERSION: &str = "<CURRENT_VERSION>";
/// Placeholder the build replaces with the version it publishes.
pub const TARGET_VERSION: &str = "<TARGET_VERSION>";
/// Placeholder CodePipeline's ECS deploy action replaces with the registered task definition.
pub const TASK_DEFINITION: &str = "<TASK_DEFINITION>";

/// A Lambda hook: event → the Lambda function CodeDeploy invokes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum LambdaHook {
    BeforeAllowTraffic(String),
    AfterAllowTraffic(String),
}

/// ECS: replace a service's task set behind its load balancer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct EcsAppSpec {
    #[serde(rename = "version")]
    pub version: AppSpecVersion,
    pub resources: Vec<EcsResource>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hooks: Vec<EcsHook>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct EcsResource {
    pub target_service: EcsService,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct EcsService {
    pub r#type: EcsResourceType,
    pub properties: EcsProperties,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EcsResourceType {
    #[serde(rename = "AWS::ECS::Service")]
    Service,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct EcsProperties {
    pub task_definition: String,
    pub load_balancer_info: EcsLoadBalancerInfo,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_configuration: Option<EcsNetworkConfiguration>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct EcsLoadBalancerInfo {
    pub container_name: String,
    pub container_port: u16,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct EcsNetworkConfiguration {
    pub awsvpc_configuration: EcsAwsvpcConfiguration,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct EcsAwsvpcConfiguration {
    pub subnets: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub security_groups: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assign_public_ip: Option<String>,
}

/// An ECS hook: event → the Lambda function CodeDeploy invokes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum EcsHook {
    BeforeInstall(String),
    AfterInstall(String),
    AfterAllowTestTraffic(String),
    BeforeAllowTraffic(String),
    AfterAllowTraffic(String),
}

impl AppSpec {
    /// The appspec the spec's CodeDeploy stages need, or `None` when nothing deploys with
    /// CodeDeploy. Every stage deploys the same build artifact, so every CodeDeploy stage must
    /// want the same appspec.
    pub(crate) fn from_spec(spec: &Spec) -> Result<Option<AppSpec>, RenderError> {
        let mut found: Option<(String, AppSpec)> = None;
        for stage in spec.stages() {
            let crate::spec::Deploy::Codedeploy(deploy) = stage.deploy else {
                continue;
            };
            let field = stage_field(spec, stage.name);
            let appspec = AppSpec::for_deploy(spec, deploy, &field)?;
            match &found {
                None => found = Some((field, appspec)),
                Some((first, existing)) if *existing != appspec => {
                    return Err(RenderError::spec(
                        field,
                        format!("needs a different appspec.yml than {first}"),
                        Some(
                            "every stage deploys the same build artifact, which holds one \
                             appspec.yml: give the CodeDeploy stages the same platform, os, files \
                             and hooks"
                                .to_owned(),
                        ),
                    ));
                }
                Some(_) => {}
            }
        }
        Ok(found.map(|(_, appspec)| appspec))
    }

    fn for_deploy(spec: &Spec, deploy: &CodeDeploy, field: &str) -> Result<AppSpec, RenderError> {
        match deploy.platform {
            Platform::Server => server(spec, deploy, field).map(AppSpec::Server),
            Platform::Lambda => lambda(deploy, field).map(AppSpec::Lambda),
            Platform::Ecs => ecs(deploy, field).map(AppSpec::Ecs),
        }
    }
}

/// Where a stage's `codedeploy` block sits in the spec, for messages.
fn stage_field(spec: &Spec, stage: &str) -> String {
    match &spec.environments {
        Some(envs) if spec.deploy.is_none() => {
            envs.iter().position(|env| env.name == stage).map_or_else(
                || "environments".to_owned(),
                |i| format!("environments[{i}].deploy.codedeploy"),
            )
        }
        _ => "deploy.codedeploy".to_owned(),
    }
}

fn server(spec: &Spec, deploy: &CodeDeploy, field: &str) -> Result<ServerAppSpec, RenderError> {
    let files = if deploy.files.is_empty() {
        vec![ServerFile {
            source: "/".to_owned(),
            destination: format!("/opt/{}", spec.name),
        }]
    } else {
        deploy
            .files
            .iter()
            .map(|f| ServerFile {
                source: f.source.clone(),
                destination: f.destination.clone(),
            })
            .collect()
    };
    let mut hooks = BTreeMap::new();
    for (key, event, hook) in deploy.hooks.iter() {
        let hook_field = format!("{field}.hooks.{key}");
        let event = server_event(event).ok_or_else(|| {
            RenderError::spec(
                &hook_field,
                format!("{event} is not a lifecycle event of a server deployment"),
                Some(
                    "server hooks: application_stop, before_install, after_install, \
                     application_start, validate_service, and the block/allow traffic events"
                        .to_owned(),
                ),
            )
        })?;
        let location = paths::relative(hook.location())
            .map_err(|why| RenderError::spec(&hook_field, why, None))?;
        let (timeout, runas) = match hook {
            Hook::Path(_) => (None, None),
            Hook::Detailed(detail) => (detail.timeout, detail.runas.clone()),
        };
        hooks.insert(
            event,
            vec![ServerHook {
                location,
                timeout,
                runas,
            }],
        );
    }
    Ok(ServerAppSpec {
        version: FixedVersion,
        os: deploy.os,
        files,
        file_exists_behavior: deploy.file_exists_behavior,
        permissions: Vec::new(),
        hooks,
    })
}

fn server_event(event: &str) -> Option<ServerEvent> {
    const ALL: [ServerEvent; 9] = [
        ServerEvent::ApplicationStop,
        ServerEvent::BeforeBlockTraffic,
        ServerEvent::AfterBlockTraffic,
        ServerEvent::BeforeInstall,
        ServerEvent::AfterInstall,
        ServerEvent::ApplicationStart,
        ServerEvent::ValidateService,
        ServerEvent::BeforeAllowTraffic,
        ServerEvent::AfterAllowTraffic,
    ];
    ALL.into_iter().find(|e| e.as_str() == event)
}

fn lambda(deploy: &CodeDeploy, field: &str) -> Result<LambdaAppSpec, RenderError> {
    let target = deploy.lambda.as_ref().ok_or_else(|| {
        RenderError::spec(
            format!("{field}.lambda"),
            "is required when platform is lambda",
            Some("name the function and the alias CodeDeploy shifts: lambda: {function: hello, alias: live}".to_owned()),
        )
    })?;
    let mut hooks = Vec::new();
    for (key, event, hook) in deploy.hooks.iter() {
        hooks.push(match event {
            "BeforeAllowTraffic" => LambdaHook::BeforeAllowTraffic(hook.location().to_owned()),
            "AfterAllowTraffic" => LambdaHook::AfterAllowTraffic(hook.location().to_owned()),
            _ => {
                return Err(RenderError::spec(
                    format!("{field}.hooks.{key}"),
                    format!("{event} is not a lifecycle event of a Lambda deployment"),
                    Some("Lambda hooks: before_allow_traffic, after_allow_traffic".to_owned()),
                ));
            }
        });
    }
    let resource = LambdaResource {
        r#type: LambdaResourceType::Function,
        properties: LambdaProperties {
            name: target.function.clone(),
            alias: target.alias.clone(),
            current_version: CURRENT_VERSION.to_owned(),
            target_version: TARGET_VERSION.to_owned(),
        },
    };
    Ok(LambdaAppSpec {
        version: FixedVersion,
        resources: vec![BTreeMap::from([(target.function.clone(), resource)])],
        hooks,
    })
}

fn ecs(deploy: &CodeDeploy, field: &str) -> Result<EcsAppSpec, RenderError> {
    let target = deploy.ecs.as_ref().ok_or_else(|| {
        RenderError::spec(
            format!("{field}.ecs"),
            "is required when platform is ecs",
            Some(
                "name the cluster, service, container, port, target groups and listener".to_owned(),
            ),
        )
    })?;
    let mut hooks = Vec::new();
    for (key, event, hook) in deploy.hooks.iter() {
        let function = hook.location().to_owned();
        hooks.push(match event {
            "BeforeInstall" => EcsHook::BeforeInstall(function),
            "AfterInstall" => EcsHook::AfterInstall(function),
            "AfterAllowTestTraffic" => EcsHook::AfterAllowTestTraffic(function),
            "BeforeAllowTraffic" => EcsHook::BeforeAllowTraffic(function),
            "AfterAllowTraffic" => EcsHook::AfterAllowTraffic(function),
            _ => {
                return Err(RenderError::spec(
                    format!("{field}.hooks.{key}"),
                    format!("{event} is not a lifecycle event of an ECS deployment"),
                    Some(
                        "ECS hooks: before_install, after_install, after_allow_test_traffic, \
                         before_allow_traffic, after_allow_traffic"
                            .to_owned(),
                    ),
                ));
            }
        });
    }
    Ok(EcsAppSpec {
        version: FixedVersion,
        resources: vec![EcsResource {
            target_service: EcsService {
                r#type: EcsResourceType::Service,
                properties: EcsProperties {
                    task_definition: TASK_DEFINITION.to_owned(),
                    load_balancer_info: EcsLoadBalancerInfo {
                        container_name: target.container.clone(),
                        container_port: target.port,
                    },
                    platform_version: None,
                    network_configuration: None,
                },
            },
        }],
        hooks,
    })
}
