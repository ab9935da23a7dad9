//! The Lambda appspec: one function alias to shift, and hook functions.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::render::RenderError;
use crate::render::version::{AppSpecVersion, FixedVersion};
use crate::spec::CodeDeploy;

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

/// A Lambda hook: event → the Lambda function CodeDeploy invokes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum LambdaHook {
    BeforeAllowTraffic(String),
    AfterAllowTraffic(String),
}

pub(super) fn from_spec(deploy: &CodeDeploy, field: &str) -> Result<LambdaAppSpec, RenderError> {
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
