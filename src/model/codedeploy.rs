//! CodeDeploy: one application per pipeline, one deployment group per CodeDeploy stage, and a
//! custom deployment config only where no predefined `CodeDeployDefault.*` config fits.
//!
//! Deployment configs can be neither updated nor tagged, so a custom config's name ends in a hash
//! of its settings: a changed strategy is a new config, the group moves to it, and the old one
//! (found by the pipeline's name prefix) is deleted once nothing uses it.

use super::{
    Application, BlueGreen, ComputePlatform, Ctx, DeploymentConfig, DeploymentGroup,
    DeploymentStyle, EcsGroup, GreenFleet, Kind, MinimumHealthyHosts, MinimumHealthyKind, Model,
    Resource, ResourceId, TrafficControl, TrafficKind, TrafficRouting, role_id,
};
use crate::spec::{CodeDeploy, MinimumHealthy, Platform, Strategy, Targets};

/// Minutes CodeDeploy keeps the old fleet after a blue/green deployment succeeds.
const TERMINATE_BLUE_AFTER_MINUTES: u32 = 5;

pub(super) fn add(ctx: &Ctx<'_>, model: &mut Model) {
    let Some(first) = ctx.codedeploy() else {
        return;
    };
    let names = &ctx.names;
    let application = names.codedeploy_application();
    model.push(
        Resource::Application(Application {
            name: application.clone(),
            platform: compute_platform(first.platform),
            tags: ctx.tags.clone(),
        }),
        &[],
    );
    let app_id = ResourceId::new(Kind::Application, &application);
    let role = names.codedeploy_role();
    for (stage, deploy) in ctx.codedeploy_stages() {
        let mut depends_on = vec![app_id.clone(), role_id(role.clone())];
        let config = match custom_config(ctx, stage.name, deploy) {
            Some(custom) => {
                let name = custom.name.clone();
                if model
                    .get(&ResourceId::new(Kind::DeploymentConfig, &name))
                    .is_none()
                {
                    model.push(Resource::DeploymentConfig(custom), &[]);
                }
                depends_on.push(ResourceId::new(Kind::DeploymentConfig, &name));
                name
            }
            None => predefined_config(deploy).to_owned(),
        };
        let group = group(
            ctx,
            &application,
            names.deployment_group(stage.name),
            config,
            deploy,
        );
        model.push(Resource::DeploymentGroup(group), &depends_on);
    }
}

/// Every deployment config name the spec's groups use (predefined or custom).
pub(super) fn config_names(ctx: &Ctx<'_>) -> Vec<String> {
    let mut names: Vec<String> = ctx
        .codedeploy_stages()
        .map(|(stage, deploy)| {
            custom_config(ctx, stage.name, deploy)
                .map_or_else(|| predefined_config(deploy).to_owned(), |c| c.name)
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

fn compute_platform(platform: Platform) -> ComputePlatform {
    match platform {
        Platform::Server => ComputePlatform::Server,
        Platform::Lambda => ComputePlatform::Lambda,
        Platform::Ecs => ComputePlatform::Ecs,
    }
}

/// The time-based traffic shift a canary/linear strategy means.
fn traffic(deploy: &CodeDeploy) -> Option<TrafficRouting> {
    let steps = deploy.traffic_steps()?;
    Some(TrafficRouting {
        kind: if deploy.strategy == Strategy::Canary {
            TrafficKind::TimeBasedCanary
        } else {
            TrafficKind::TimeBasedLinear
        },
        percent: steps.percent,
        interval_minutes: steps.interval_minutes,
    })
}

/// The predefined config for a strategy, or `None` when the settings need a custom one.
fn predefined(deploy: &CodeDeploy) -> Option<&'static str> {
    use Platform::{Ecs, Lambda, Server};
    let routing = traffic(deploy);
    let shift = routing.map(|t| (t.kind, t.percent, t.interval_minutes));
    let canary = TrafficKind::TimeBasedCanary;
    let linear = TrafficKind::TimeBasedLinear;
    Some(match (deploy.platform, deploy.strategy) {
        (Server, Strategy::Rolling) if deploy.minimum_healthy.is_some() => return None,
        (Server, Strategy::Rolling) => "CodeDeployDefault.OneAtATime",
        (Server, Strategy::HalfAtATime) => "CodeDeployDefault.HalfAtATime",
        (Server, _) => "CodeDeployDefault.AllAtOnce",
        (Lambda, Strategy::Canary | Strategy::Linear) => match shift? {
            (k, 10, 5) if k == canary => "CodeDeployDefault.LambdaCanary10Percent5Minutes",
            (k, 10, 10) if k == canary => "CodeDeployDefault.LambdaCanary10Percent10Minutes",
            (k, 10, 15) if k == canary => "CodeDeployDefault.LambdaCanary10Percent15Minutes",
            (k, 10, 30) if k == canary => "CodeDeployDefault.LambdaCanary10Percent30Minutes",
            (k, 10, 1) if k == linear => "CodeDeployDefault.LambdaLinear10PercentEvery1Minute",
            (k, 10, 2) if k == linear => "CodeDeployDefault.LambdaLinear10PercentEvery2Minutes",
            (k, 10, 3) if k == linear => "CodeDeployDefault.LambdaLinear10PercentEvery3Minutes",
            (k, 10, 10) if k == linear => "CodeDeployDefault.LambdaLinear10PercentEvery10Minutes",
            _ => return None,
        },
        (Lambda, _) => "CodeDeployDefault.LambdaAllAtOnce",
        (Ecs, Strategy::Canary | Strategy::Linear) => match shift? {
            (k, 10, 5) if k == canary => "CodeDeployDefault.ECSCanary10Percent5Minutes",
            (k, 10, 15) if k == canary => "CodeDeployDefault.ECSCanary10Percent15Minutes",
            (k, 10, 1) if k == linear => "CodeDeployDefault.ECSLinear10PercentEvery1Minutes",
            (k, 10, 3) if k == linear => "CodeDeployDefault.ECSLinear10PercentEvery3Minutes",
            _ => return None,
        },
        (Ecs, _) => "CodeDeployDefault.ECSAllAtOnce",
    })
}

fn predefined_config(deploy: &CodeDeploy) -> &'static str {
    predefined(deploy).unwrap_or("CodeDeployDefault.AllAtOnce")
}

fn custom_config(ctx: &Ctx<'_>, stage: &str, deploy: &CodeDeploy) -> Option<DeploymentConfig> {
    if predefined(deploy).is_some() {
        return None;
    }
    let minimum_healthy = deploy.minimum_healthy.map(|m| match m {
        MinimumHealthy::Hosts(value) => MinimumHealthyHosts {
            kind: MinimumHealthyKind::HostCount,
            value,
        },
        MinimumHealthy::Percent(value) => MinimumHealthyHosts {
            kind: MinimumHealthyKind::FleetPercent,
            value,
        },
    });
    let traffic = traffic(deploy);
    let platform = compute_platform(deploy.platform);
    let fingerprint = fingerprint(&(&platform, &minimum_healthy, &traffic));
    Some(DeploymentConfig {
        name: format!("{}-{fingerprint}", ctx.names.deployment_config(stage)),
        platform,
        minimum_healthy,
        traffic,
    })
}

/// Eight hex digits of FNV-1a over the settings' JSON: stable across runs and machines.
fn fingerprint(value: &impl serde::Serialize) -> String {
    let bytes = serde_json::to_vec(value).unwrap_or_default();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{:08x}", hash & 0xffff_ffff)
}

fn group(
    ctx: &Ctx<'_>,
    application: &str,
    name: String,
    config: String,
    deploy: &CodeDeploy,
) -> DeploymentGroup {
    let blue_green = deploy.strategy == Strategy::BlueGreen
        || matches!(deploy.platform, Platform::Lambda | Platform::Ecs);
    let target_groups = deploy
        .load_balancer
        .as_ref()
        .map(|lb| lb.target_groups.clone())
        .unwrap_or_default();
    let traffic_control = blue_green || !target_groups.is_empty();
    let (mut ec2_tags, mut on_premises_tags, mut autoscaling_groups) =
        (super::Tags::new(), super::Tags::new(), Vec::new());
    match &deploy.targets {
        Some(Targets::Ec2Tags(tags)) => ec2_tags.clone_from(tags),
        Some(Targets::OnPremisesTags(tags)) => on_premises_tags.clone_from(tags),
        Some(Targets::AutoscalingGroups(groups)) => autoscaling_groups.clone_from(groups),
        None => {}
    }
    // Sets, not sequences: AWS answers in its own order.
    autoscaling_groups.sort();
    let mut target_groups = target_groups;
    target_groups.sort();
    let mut alarms = deploy.alarms.clone();
    alarms.sort();
    let green_fleet = match deploy.platform {
        Platform::Server if !autoscaling_groups.is_empty() => {
            Some(GreenFleet::CopyAutoScalingGroup)
        }
        Platform::Server => Some(GreenFleet::DiscoverExisting),
        Platform::Lambda | Platform::Ecs => None,
    };
    DeploymentGroup {
        name,
        application: application.to_owned(),
        service_role: ctx.target.role_arn(&ctx.names.codedeploy_role()),
        config,
        style: if blue_green {
            DeploymentStyle::BlueGreen
        } else {
            DeploymentStyle::InPlace
        },
        traffic_control: if traffic_control {
            TrafficControl::With
        } else {
            TrafficControl::Without
        },
        ec2_tags,
        on_premises_tags,
        autoscaling_groups,
        target_groups,
        blue_green: (blue_green && deploy.platform != Platform::Lambda).then_some(BlueGreen {
            green_fleet,
            terminate_after_minutes: TERMINATE_BLUE_AFTER_MINUTES,
        }),
        ecs: deploy.ecs.as_ref().map(|ecs| EcsGroup {
            cluster: ecs.cluster.clone(),
            service: ecs.service.clone(),
            target_groups: ecs.target_groups.clone(),
            listener: ecs.listener.clone(),
            test_listener: ecs.test_listener.clone(),
        }),
        auto_rollback: deploy.auto_rollback,
        alarms,
        tags: ctx.tags.clone(),
    }
}
