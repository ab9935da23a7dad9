//! The EC2/on-premises appspec: files to copy and hook scripts by lifecycle event.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::render::RenderError;
use crate::render::paths;
use crate::render::version::{AppSpecVersion, FixedVersion};
use crate::spec::{CodeDeploy, FileExistsBehavior, Hook, Os, Spec};

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

pub(super) fn from_spec(
    spec: &Spec,
    deploy: &CodeDeploy,
    field: &str,
) -> Result<ServerAppSpec, RenderError> {
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
