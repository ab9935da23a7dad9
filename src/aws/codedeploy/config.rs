//! Custom deployment configs: created, read and deleted, never updated or tagged.
//!
//! A config is pipewright's when its name is `<pipeline>.<stage>-<8 lowercase hex>`, the suffix
//! being the hash the model puts there; a user's own config under the same prefix without that
//! suffix is never listed, so never deleted.

use aws_sdk_codedeploy::Client;
use aws_sdk_codedeploy::types::{
    ComputePlatform, DeploymentConfigInfo, MinimumHealthyHostsType, TimeBasedCanary,
    TimeBasedLinear, TrafficRoutingConfig, TrafficRoutingType,
};

use super::{absent_is_none, next, signed, unsigned};
use crate::aws::error::ignore_not_found;
use crate::aws::{AwsError, SdkResultExt};
use crate::model::{
    self, DeploymentConfig, Kind, Live, MinimumHealthyHosts, MinimumHealthyKind, Owner, Resource,
    ResourceId, TrafficKind, TrafficRouting,
};

fn config_id(name: &str) -> ResourceId {
    ResourceId::new(Kind::DeploymentConfig, name)
}

pub(in crate::aws) async fn read(client: &Client, name: &str) -> Result<Option<Live>, AwsError> {
    let found = absent_is_none(
        client
            .get_deployment_config()
            .deployment_config_name(name)
            .send()
            .await
            .about(config_id(name)),
    )?;
    let Some(info) = found.as_ref().and_then(|out| out.deployment_config_info()) else {
        return Ok(None);
    };
    Ok(Some(Live::new(
        Resource::DeploymentConfig(normalise(name, info)),
        Owner::Untaggable,
    )))
}

/// The live config as the model describes it: minimum healthy hosts only for servers, traffic
/// shifting only when it is time-based (`AllAtOnce` is what AWS reports for "no shifting").
fn normalise(name: &str, info: &DeploymentConfigInfo) -> DeploymentConfig {
    let platform = info
        .compute_platform()
        .map_or(model::ComputePlatform::Server, |p| {
            model::ComputePlatform::from_aws(p.as_str())
        });
    let minimum_healthy = info
        .minimum_healthy_hosts()
        .filter(|_| platform == model::ComputePlatform::Server)
        .and_then(|m| {
            let kind = match m.r#type()? {
                MinimumHealthyHostsType::HostCount => MinimumHealthyKind::HostCount,
                MinimumHealthyHostsType::FleetPercent => MinimumHealthyKind::FleetPercent,
                _ => return None,
            };
            Some(MinimumHealthyHosts {
                kind,
                value: unsigned(m.value()),
            })
        });
    let traffic = info
        .traffic_routing_config()
        .and_then(|t| match t.r#type()? {
            TrafficRoutingType::TimeBasedCanary => t.time_based_canary().map(|c| TrafficRouting {
                kind: TrafficKind::TimeBasedCanary,
                percent: unsigned(c.canary_percentage()),
                interval_minutes: unsigned(c.canary_interval()),
            }),
            TrafficRoutingType::TimeBasedLinear => t.time_based_linear().map(|l| TrafficRouting {
                kind: TrafficKind::TimeBasedLinear,
                percent: unsigned(l.linear_percentage()),
                interval_minutes: unsigned(l.linear_interval()),
            }),
            _ => None,
        });
    DeploymentConfig {
        name: name.to_owned(),
        platform,
        minimum_healthy,
        traffic,
    }
}

fn traffic_routing(traffic: &TrafficRouting) -> TrafficRoutingConfig {
    let (percent, interval) = (signed(traffic.percent), signed(traffic.interval_minutes));
    match traffic.kind {
        TrafficKind::TimeBasedCanary => TrafficRoutingConfig::builder()
            .r#type(TrafficRoutingType::TimeBasedCanary)
            .time_based_canary(
                TimeBasedCanary::builder()
                    .canary_percentage(percent)
                    .canary_interval(interval)
                    .build(),
            )
            .build(),
        TrafficKind::TimeBasedLinear => TrafficRoutingConfig::builder()
            .r#type(TrafficRoutingType::TimeBasedLinear)
            .time_based_linear(
                TimeBasedLinear::builder()
                    .linear_percentage(percent)
                    .linear_interval(interval)
                    .build(),
            )
            .build(),
    }
}

pub(in crate::aws) async fn create(
    client: &Client,
    config: &DeploymentConfig,
) -> Result<(), AwsError> {
    let minimum_healthy = config.minimum_healthy.map(|m| {
        aws_sdk_codedeploy::types::MinimumHealthyHosts::builder()
            .r#type(match m.kind {
                MinimumHealthyKind::HostCount => MinimumHealthyHostsType::HostCount,
                MinimumHealthyKind::FleetPercent => MinimumHealthyHostsType::FleetPercent,
            })
            .value(signed(m.value))
            .build()
    });
    client
        .create_deployment_config()
        .deployment_config_name(&config.name)
        .compute_platform(ComputePlatform::from(config.platform.as_str()))
        .set_minimum_healthy_hosts(minimum_healthy)
        .set_traffic_routing_config(config.traffic.as_ref().map(traffic_routing))
        .send()
        .await
        .about(config_id(&config.name))?;
    Ok(())
}

/// A config still used by a group fails with `DeploymentConfigInUseException` (a conflict the
/// engine retries); deletes run after every group change, so that only happens while a
/// deployment that uses the config is still running.
pub(in crate::aws) async fn delete(client: &Client, name: &str) -> Result<(), AwsError> {
    ignore_not_found(
        client
            .delete_deployment_config()
            .deployment_config_name(name)
            .send()
            .await
            .about(config_id(name)),
    )
}

/// Ids of the configs pipewright made under `prefix` (see the module docs for the rule).
pub(in crate::aws) async fn list(
    client: &Client,
    prefix: &str,
) -> Result<Vec<ResourceId>, AwsError> {
    let mut ids = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .list_deployment_configs()
            .set_next_token(token.take())
            .send()
            .await
            .about(format_args!("configs {prefix}*"))?;
        ids.extend(
            page.deployment_configs_list()
                .iter()
                .filter(|name| is_ours(name, prefix))
                .map(|name| ResourceId::new(Kind::DeploymentConfig, name)),
        );
        token = next(page.next_token());
        if token.is_none() {
            return Ok(ids);
        }
    }
}

/// `<prefix><stage>-` followed by exactly eight lowercase hex digits: pipewright's naming
/// (`<pipeline>.<stage>-<hash>`; the prefix ends in the `.` no pipeline name contains).
fn is_ours(name: &str, prefix: &str) -> bool {
    let Some(rest) = name.strip_prefix(prefix) else {
        return false;
    };
    let Some((stage, hash)) = rest.rsplit_once('-') else {
        return false;
    };
    !stage.is_empty() && is_fingerprint(hash)
}

fn is_fingerprint(hash: &str) -> bool {
    hash.len() == 8
        && hash
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::is_ours;

    #[test]
    fn only_pipewright_named_configs_are_ours() {
        assert!(is_ours("shop.Deploy-0123abcd", "shop."));
        assert!(is_ours("shop.prod-89abcdef", "shop."));
        assert!(!is_ours("shop.prod-0123ABCD", "shop."), "uppercase hex");
        assert!(!is_ours("shop.prod-0123abc", "shop."), "seven digits");
        assert!(!is_ours("shop.prod-0123abcde", "shop."), "nine digits");
        assert!(!is_ours("shop.canary", "shop."), "a user's own config");
        assert!(!is_ours("shop.-0123abcd", "shop."), "no stage");
        assert!(
            !is_ours("shop-api.prod-0123abcd", "shop."),
            "another pipeline"
        );
        assert!(!is_ours("CodeDeployDefault.AllAtOnce", "shop."));
    }
}
