//! Deployment groups.
//!
//! `GetDeploymentGroup` answers with every sub-structure AWS keeps, defaults included (a
//! blue/green section on in-place groups, a green fleet option on ECS groups, disabled alarm
//! configurations). [`normalise`] keeps only what the model says, in the model's shape, so an
//! unchanged group compares equal. Writes send the whole desired configuration in one
//! `UpdateDeploymentGroup`, with empty lists where something must be cleared.

use aws_sdk_codedeploy::Client;
use aws_sdk_codedeploy::types::{
    Alarm, AlarmConfiguration, AutoRollbackConfiguration, AutoRollbackEvent, AutoScalingGroup,
    BlueGreenDeploymentConfiguration, BlueInstanceTerminationOption, DeploymentGroupInfo,
    DeploymentOption, DeploymentReadyAction, DeploymentReadyOption, DeploymentStyle,
    DeploymentType, Ec2TagFilter, Ec2TagFilterType, EcsService, GreenFleetProvisioningAction,
    GreenFleetProvisioningOption, InstanceAction, LoadBalancerInfo, TagFilter, TagFilterType,
    TargetGroupInfo, TargetGroupPairInfo, TrafficRoute,
};

use super::{absent_is_none, next, read_tags, sdk_tags, signed, tag_missing, unsigned};
use crate::aws::error::ignore_not_found;
use crate::aws::{AwsError, Clients, SdkResultExt};
use crate::model::{
    self, BlueGreen, DeploymentGroup, EcsGroup, GreenFleet, Kind, Live, Resource, ResourceId, Tags,
    TrafficControl,
};

fn group_id(application: &str, group: &str) -> ResourceId {
    ResourceId::new(Kind::DeploymentGroup, format!("{application}/{group}"))
}

pub(in crate::aws) async fn read(
    clients: &Clients,
    application: &str,
    group: &str,
) -> Result<Option<Live>, AwsError> {
    let client = &clients.codedeploy;
    let id = group_id(application, group);
    let arn = clients.target().deployment_group_arn(application, group);
    let (info, tags) = tokio::join!(
        client
            .get_deployment_group()
            .application_name(application)
            .deployment_group_name(group)
            .send(),
        read_tags(client, &arn, &id),
    );
    // Both DeploymentGroupDoesNotExist and ApplicationDoesNotExist mean "no such group".
    let info = absent_is_none(info.about(&id))?;
    let Some(info) = info.as_ref().and_then(|out| out.deployment_group_info()) else {
        return Ok(None);
    };
    Ok(Some(Live::tagged(Resource::DeploymentGroup(normalise(
        application,
        group,
        info,
        tags?,
    )))))
}

fn tag_map<'a>(filters: impl Iterator<Item = (Option<&'a str>, Option<&'a str>)>) -> Tags {
    filters
        .filter_map(|(key, value)| Some((key?.to_owned(), value.unwrap_or_default().to_owned())))
        .collect()
}

fn names<'a>(groups: impl Iterator<Item = Option<&'a str>>) -> Vec<String> {
    groups.flatten().map(str::to_owned).collect()
}

/// A set-valued list in the model's order (sorted), whatever order AWS answers in.
fn sorted(mut list: Vec<String>) -> Vec<String> {
    list.sort();
    list
}

fn normalise(
    application: &str,
    name: &str,
    info: &DeploymentGroupInfo,
    tags: Tags,
) -> DeploymentGroup {
    let platform = info
        .compute_platform()
        .map_or(model::ComputePlatform::Server, |p| {
            model::ComputePlatform::from_aws(p.as_str())
        });
    let style = info
        .deployment_style()
        .and_then(DeploymentStyle::deployment_type)
        .map_or(model::DeploymentStyle::InPlace, |t| {
            model::DeploymentStyle::from_aws(t.as_str())
        });
    let load_balancer = info.load_balancer_info();
    let blue_green = (style == model::DeploymentStyle::BlueGreen
        && platform != model::ComputePlatform::Lambda)
        .then(|| live_blue_green(info.blue_green_deployment_configuration(), &platform));
    let pair = load_balancer.and_then(|lb| lb.target_group_pair_info_list().first());
    let ecs = info.ecs_services().first().map(|service| {
        let route = |r: Option<&TrafficRoute>| r.and_then(|r| r.listener_arns().first()).cloned();
        EcsGroup {
            cluster: service.cluster_name().unwrap_or_default().to_owned(),
            service: service.service_name().unwrap_or_default().to_owned(),
            target_groups: pair.map_or_else(Vec::new, |p| {
                names(p.target_groups().iter().map(TargetGroupInfo::name))
            }),
            listener: route(pair.and_then(TargetGroupPairInfo::prod_traffic_route))
                .unwrap_or_default(),
            test_listener: route(pair.and_then(TargetGroupPairInfo::test_traffic_route)),
        }
    });
    let alarms = info
        .alarm_configuration()
        .filter(|a| a.enabled())
        .map_or_else(Vec::new, |a| {
            sorted(names(a.alarms().iter().map(Alarm::name)))
        });
    DeploymentGroup {
        name: name.to_owned(),
        application: application.to_owned(),
        service_role: info.service_role_arn().unwrap_or_default().to_owned(),
        config: info
            .deployment_config_name()
            .unwrap_or("CodeDeployDefault.OneAtATime")
            .to_owned(),
        style,
        traffic_control: info
            .deployment_style()
            .and_then(DeploymentStyle::deployment_option)
            .map_or(TrafficControl::Without, |o| {
                TrafficControl::from_aws(o.as_str())
            }),
        ec2_tags: tag_map(info.ec2_tag_filters().iter().map(|f| (f.key(), f.value()))),
        on_premises_tags: tag_map(
            info.on_premises_instance_tag_filters()
                .iter()
                .map(|f| (f.key(), f.value())),
        ),
        autoscaling_groups: sorted(names(
            info.auto_scaling_groups()
                .iter()
                .map(AutoScalingGroup::name),
        )),
        target_groups: load_balancer.map_or_else(Vec::new, |lb| {
            sorted(names(
                lb.target_group_info_list()
                    .iter()
                    .map(TargetGroupInfo::name),
            ))
        }),
        blue_green,
        ecs,
        auto_rollback: info
            .auto_rollback_configuration()
            .is_some_and(AutoRollbackConfiguration::enabled),
        alarms,
        tags,
    }
}

/// The blue/green settings the model holds: the green fleet's origin (servers only) and how long
/// the blue fleet outlives a deployment.
fn live_blue_green(
    config: Option<&BlueGreenDeploymentConfiguration>,
    platform: &model::ComputePlatform,
) -> BlueGreen {
    let green_fleet = config
        .and_then(BlueGreenDeploymentConfiguration::green_fleet_provisioning_option)
        .and_then(GreenFleetProvisioningOption::action)
        .map_or(GreenFleet::DiscoverExisting, |action| {
            GreenFleet::from_aws(action.as_str())
        });
    BlueGreen {
        green_fleet: (*platform == model::ComputePlatform::Server).then_some(green_fleet),
        terminate_after_minutes: config
            .and_then(
                BlueGreenDeploymentConfiguration::terminate_blue_instances_on_deployment_success,
            )
            .map_or(0, |t| unsigned(t.termination_wait_time_in_minutes())),
    }
}

/// Everything pipewright sets on a group besides its name and tags, as SDK values. A list the
/// desired group leaves empty is sent (empty) only when the live group has something to clear.
struct Fields {
    service_role: String,
    config: String,
    style: DeploymentStyle,
    ec2_tags: Option<Vec<Ec2TagFilter>>,
    on_premises_tags: Option<Vec<TagFilter>>,
    autoscaling_groups: Option<Vec<String>>,
    load_balancer: Option<LoadBalancerInfo>,
    blue_green: Option<BlueGreenDeploymentConfiguration>,
    ecs_services: Option<Vec<EcsService>>,
    auto_rollback: AutoRollbackConfiguration,
    alarms: Option<AlarmConfiguration>,
}

impl Fields {
    fn of(desired: &DeploymentGroup, live: Option<&DeploymentGroup>) -> Self {
        let clear = |live_has: fn(&DeploymentGroup) -> bool| live.is_some_and(live_has);
        let ec2_tags = (!desired.ec2_tags.is_empty() || clear(|l| !l.ec2_tags.is_empty()))
            .then(|| ec2_tag_filters(&desired.ec2_tags));
        let on_premises_tags = (!desired.on_premises_tags.is_empty()
            || clear(|l| !l.on_premises_tags.is_empty()))
        .then(|| on_premises_tag_filters(&desired.on_premises_tags));
        // A blue/green deployment that copies Auto Scaling groups leaves the group pointing at
        // the copies; sending the original names back would aim it at terminated groups.
        let autoscaling_groups = match live {
            Some(live) if live.autoscaling_groups_replaced_by_codedeploy() => {
                Some(live.autoscaling_groups.clone())
            }
            _ => (!desired.autoscaling_groups.is_empty()
                || clear(|l| !l.autoscaling_groups.is_empty()))
            .then(|| desired.autoscaling_groups.clone()),
        };
        let has_load_balancer =
            |g: &DeploymentGroup| !g.target_groups.is_empty() || g.ecs.is_some();
        let load_balancer = (has_load_balancer(desired) || clear(has_load_balancer))
            .then(|| load_balancer(desired));
        let alarms = (!desired.alarms.is_empty() || clear(|l| !l.alarms.is_empty()))
            .then(|| alarm_configuration(&desired.alarms));
        Self {
            service_role: desired.service_role.clone(),
            config: desired.config.clone(),
            style: DeploymentStyle::builder()
                .deployment_type(DeploymentType::from(desired.style.as_str()))
                .deployment_option(DeploymentOption::from(desired.traffic_control.as_str()))
                .build(),
            ec2_tags,
            on_premises_tags,
            autoscaling_groups,
            load_balancer,
            blue_green: desired.blue_green.as_ref().map(blue_green),
            ecs_services: desired.ecs.as_ref().map(|ecs| {
                vec![
                    EcsService::builder()
                        .cluster_name(&ecs.cluster)
                        .service_name(&ecs.service)
                        .build(),
                ]
            }),
            auto_rollback: auto_rollback(desired),
            alarms,
        }
    }
}

fn ec2_tag_filters(tags: &Tags) -> Vec<Ec2TagFilter> {
    tags.iter()
        .map(|(k, v)| {
            Ec2TagFilter::builder()
                .key(k)
                .value(v)
                .r#type(Ec2TagFilterType::KeyAndValue)
                .build()
        })
        .collect()
}

fn on_premises_tag_filters(tags: &Tags) -> Vec<TagFilter> {
    tags.iter()
        .map(|(k, v)| {
            TagFilter::builder()
                .key(k)
                .value(v)
                .r#type(TagFilterType::KeyAndValue)
                .build()
        })
        .collect()
}

/// The alarms that stop a deployment; none disables the check (which clears it).
fn alarm_configuration(alarms: &[String]) -> AlarmConfiguration {
    AlarmConfiguration::builder()
        .enabled(!alarms.is_empty())
        .set_alarms(Some(
            alarms
                .iter()
                .map(|name| Alarm::builder().name(name).build())
                .collect(),
        ))
        .build()
}

/// Roll back a failed deployment, and one an alarm stopped when there are alarms.
fn auto_rollback(group: &DeploymentGroup) -> AutoRollbackConfiguration {
    let mut events = vec![AutoRollbackEvent::DeploymentFailure];
    if !group.alarms.is_empty() {
        events.push(AutoRollbackEvent::DeploymentStopOnAlarm);
    }
    AutoRollbackConfiguration::builder()
        .enabled(group.auto_rollback)
        .set_events(group.auto_rollback.then_some(events))
        .build()
}

/// Target groups for servers; for ECS, the pair of target groups behind the production (and
/// optional test) listener. Empty when there is no load balancer (which clears one).
fn load_balancer(group: &DeploymentGroup) -> LoadBalancerInfo {
    let target_group = |name: &String| TargetGroupInfo::builder().name(name).build();
    let mut info = LoadBalancerInfo::builder();
    if !group.target_groups.is_empty() {
        info = info.set_target_group_info_list(Some(
            group.target_groups.iter().map(target_group).collect(),
        ));
    }
    if let Some(ecs) = &group.ecs {
        let route = |listener: &String| TrafficRoute::builder().listener_arns(listener).build();
        info = info.target_group_pair_info_list(
            TargetGroupPairInfo::builder()
                .set_target_groups(Some(ecs.target_groups.iter().map(target_group).collect()))
                .prod_traffic_route(route(&ecs.listener))
                .set_test_traffic_route(ecs.test_listener.as_ref().map(route))
                .build(),
        );
    }
    info.build()
}

fn blue_green(settings: &BlueGreen) -> BlueGreenDeploymentConfiguration {
    BlueGreenDeploymentConfiguration::builder()
        .terminate_blue_instances_on_deployment_success(
            BlueInstanceTerminationOption::builder()
                .action(InstanceAction::Terminate)
                .termination_wait_time_in_minutes(signed(settings.terminate_after_minutes))
                .build(),
        )
        .deployment_ready_option(
            DeploymentReadyOption::builder()
                .action_on_timeout(DeploymentReadyAction::ContinueDeployment)
                .wait_time_in_minutes(0)
                .build(),
        )
        .set_green_fleet_provisioning_option(settings.green_fleet.as_ref().map(|action| {
            GreenFleetProvisioningOption::builder()
                .action(GreenFleetProvisioningAction::from(action.as_str()))
                .build()
        }))
        .build()
}

/// The same setters exist on the create and the update builders (different types).
macro_rules! with_fields {
    ($request:expr, $fields:expr) => {{
        let fields = $fields;
        $request
            .service_role_arn(fields.service_role)
            .deployment_config_name(fields.config)
            .deployment_style(fields.style)
            .set_ec2_tag_filters(fields.ec2_tags)
            .set_on_premises_instance_tag_filters(fields.on_premises_tags)
            .set_auto_scaling_groups(fields.autoscaling_groups)
            .set_load_balancer_info(fields.load_balancer)
            .set_blue_green_deployment_configuration(fields.blue_green)
            .set_ecs_services(fields.ecs_services)
            .auto_rollback_configuration(fields.auto_rollback)
            .set_alarm_configuration(fields.alarms)
    }};
}

pub(in crate::aws) async fn create(
    client: &Client,
    group: &DeploymentGroup,
) -> Result<(), AwsError> {
    let request = client
        .create_deployment_group()
        .application_name(&group.application)
        .deployment_group_name(&group.name)
        .set_tags(Some(sdk_tags(&group.tags)));
    with_fields!(request, Fields::of(group, None))
        .send()
        .await
        .about(group_id(&group.application, &group.name))?;
    Ok(())
}

/// One `UpdateDeploymentGroup` when anything but the tags differs, then the missing tags.
pub(in crate::aws) async fn update(
    clients: &Clients,
    desired: &DeploymentGroup,
    live: &DeploymentGroup,
) -> Result<(), AwsError> {
    let id = group_id(&desired.application, &desired.name);
    let untagged = |g: &DeploymentGroup| DeploymentGroup {
        tags: Tags::new(),
        ..g.clone()
    };
    if untagged(desired) != untagged(live) {
        let request = clients
            .codedeploy
            .update_deployment_group()
            .application_name(&desired.application)
            .current_deployment_group_name(&desired.name);
        with_fields!(request, Fields::of(desired, Some(live)))
            .send()
            .await
            .about(&id)?;
    }
    tag_missing(
        &clients.codedeploy,
        &clients
            .target()
            .deployment_group_arn(&desired.application, &desired.name),
        &desired.tags,
        &live.tags,
        &id,
    )
    .await
}

pub(in crate::aws) async fn delete(
    client: &Client,
    application: &str,
    group: &str,
) -> Result<(), AwsError> {
    ignore_not_found(
        client
            .delete_deployment_group()
            .application_name(application)
            .deployment_group_name(group)
            .send()
            .await
            .about(group_id(application, group)),
    )
}

/// Ids (`application/group`) of every group in the application; none when it does not exist.
pub(in crate::aws) async fn list(
    client: &Client,
    application: &str,
) -> Result<Vec<ResourceId>, AwsError> {
    let mut ids = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .list_deployment_groups()
            .application_name(application)
            .set_next_token(token.take())
            .send()
            .await
            .about(ResourceId::new(Kind::Application, application));
        let Some(page) = absent_is_none(page)? else {
            return Ok(ids);
        };
        ids.extend(
            page.deployment_groups().iter().map(|group| {
                ResourceId::new(Kind::DeploymentGroup, format!("{application}/{group}"))
            }),
        );
        token = next(page.next_token());
        if token.is_none() {
            return Ok(ids);
        }
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_codedeploy::types::ComputePlatform;

    use super::*;

    fn server_group() -> DeploymentGroup {
        DeploymentGroup {
            name: "shop-group".to_owned(),
            application: "shop-app".to_owned(),
            service_role: "arn:aws:iam::123456789012:role/shop-codedeploy-role".to_owned(),
            config: "CodeDeployDefault.OneAtATime".to_owned(),
            style: model::DeploymentStyle::InPlace,
            traffic_control: TrafficControl::Without,
            ec2_tags: [("app".to_owned(), "shop".to_owned())]
                .into_iter()
                .collect(),
            on_premises_tags: Tags::new(),
            autoscaling_groups: Vec::new(),
            target_groups: Vec::new(),
            blue_green: None,
            ecs: None,
            auto_rollback: true,
            alarms: Vec::new(),
            tags: Tags::new(),
        }
    }

    /// The defaults AWS fills in for settings nobody set.
    fn aws_defaults(
        info: aws_sdk_codedeploy::types::builders::DeploymentGroupInfoBuilder,
    ) -> aws_sdk_codedeploy::types::builders::DeploymentGroupInfoBuilder {
        info.blue_green_deployment_configuration(
            BlueGreenDeploymentConfiguration::builder()
                .terminate_blue_instances_on_deployment_success(
                    BlueInstanceTerminationOption::builder()
                        .action(InstanceAction::Terminate)
                        .termination_wait_time_in_minutes(60)
                        .build(),
                )
                .green_fleet_provisioning_option(
                    GreenFleetProvisioningOption::builder()
                        .action(GreenFleetProvisioningAction::DiscoverExisting)
                        .build(),
                )
                .build(),
        )
        .alarm_configuration(
            AlarmConfiguration::builder()
                .enabled(false)
                .ignore_poll_alarm_failure(false)
                .build(),
        )
        .load_balancer_info(LoadBalancerInfo::builder().build())
        .termination_hook_enabled(false)
    }

    #[test]
    fn defaults_aws_adds_are_not_differences() {
        let desired = server_group();
        let info = aws_defaults(DeploymentGroupInfo::builder())
            .application_name("shop-app")
            .deployment_group_name("shop-group")
            .compute_platform(ComputePlatform::Server)
            .service_role_arn(&desired.service_role)
            .deployment_config_name(&desired.config)
            .deployment_style(
                DeploymentStyle::builder()
                    .deployment_type(DeploymentType::InPlace)
                    .deployment_option(DeploymentOption::WithoutTrafficControl)
                    .build(),
            )
            .ec2_tag_filters(
                Ec2TagFilter::builder()
                    .key("app")
                    .value("shop")
                    .r#type(Ec2TagFilterType::KeyAndValue)
                    .build(),
            )
            .auto_rollback_configuration(
                AutoRollbackConfiguration::builder()
                    .enabled(true)
                    .events(AutoRollbackEvent::DeploymentFailure)
                    .build(),
            )
            .build();
        assert_eq!(
            normalise("shop-app", "shop-group", &info, Tags::new()),
            desired
        );
    }

    #[test]
    fn lambda_and_ecs_groups_carry_no_fleet_settings() {
        let lambda = aws_defaults(DeploymentGroupInfo::builder())
            .compute_platform(ComputePlatform::Lambda)
            .deployment_style(
                DeploymentStyle::builder()
                    .deployment_type(DeploymentType::BlueGreen)
                    .deployment_option(DeploymentOption::WithTrafficControl)
                    .build(),
            )
            .build();
        assert_eq!(normalise("a", "g", &lambda, Tags::new()).blue_green, None);

        let ecs = aws_defaults(DeploymentGroupInfo::builder())
            .compute_platform(ComputePlatform::Ecs)
            .deployment_style(
                DeploymentStyle::builder()
                    .deployment_type(DeploymentType::BlueGreen)
                    .deployment_option(DeploymentOption::WithTrafficControl)
                    .build(),
            )
            .build();
        assert_eq!(
            normalise("a", "g", &ecs, Tags::new()).blue_green,
            Some(BlueGreen {
                green_fleet: None,
                terminate_after_minutes: 60
            })
        );
    }

    #[test]
    fn only_what_must_be_cleared_is_sent_empty() {
        let desired = server_group();
        let fresh = Fields::of(&desired, None);
        assert!(fresh.alarms.is_none());
        assert!(fresh.load_balancer.is_none());
        assert!(fresh.autoscaling_groups.is_none());
        let mut live = desired.clone();
        live.alarms = vec!["old".to_owned()];
        live.target_groups = vec!["old-tg".to_owned()];
        let clearing = Fields::of(&desired, Some(&live));
        let alarms = clearing.alarms.expect("alarms cleared");
        assert!(!alarms.enabled() && alarms.alarms().is_empty());
        let lb = clearing.load_balancer.expect("load balancer cleared");
        assert!(lb.target_group_info_list().is_empty());
        assert!(clearing.autoscaling_groups.is_none());
    }
}
