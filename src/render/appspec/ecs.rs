//! The ECS appspec: the service whose task set CodeDeploy replaces, and hook functions.

use serde::{Deserialize, Serialize};

use crate::render::RenderError;
use crate::render::version::{AppSpecVersion, FixedVersion};
use crate::spec::CodeDeploy;

/// Placeholder CodePipeline's ECS deploy action replaces with the registered task definition.
pub const TASK_DEFINITION: &str = "<TASK_DEFINITION>";

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

pub(super) fn from_spec(deploy: &CodeDeploy, field: &str) -> Result<EcsAppSpec, RenderError> {
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
