//! The CodeDeploy and CodeCommit adapters, called as a library against the emulator: `create` →
//! an independent client sees every field that matters → pipewright's `read` gives back exactly
//! the model → an `update` writes only what changed → an update with nothing to change writes
//! nothing → `delete` twice (the second finds nothing and succeeds) → gone.
//!
//! Models come from the example specs renamed to each test's scope, so tests run in parallel.

use aws_sdk_codedeploy::types::DeploymentGroupInfo;
use pipewright::aws::{self, DeleteOptions, ErrorKind};
use pipewright::model::{
    ComputePlatform, DeploymentGroup, Kind, Live, MinimumHealthyKind, OWNERSHIP_TAG, Repository,
    Resource, ResourceId, TrafficControl, TrafficKind,
};

use crate::support::adapter::{Session, assert_converged, ops};
use crate::support::aws::{ACCOUNT, REGION, block_on};

impl Session {
    fn group(&self) -> DeploymentGroup {
        match self.desired(Kind::DeploymentGroup) {
            Resource::DeploymentGroup(group) => group,
            _ => unreachable!(),
        }
    }

    /// What a deployment group needs first: the CodeDeploy role, the application and (when the
    /// strategy needs one) the custom config.
    fn create_group_dependencies(&self) {
        let role = self.loaded.spec.names().codedeploy_role();
        self.create(
            self.model
                .get(&ResourceId::new(Kind::Role, role))
                .expect("a CodeDeploy role"),
        );
        self.create(&self.desired(Kind::Application));
        if let Some(config) = self
            .model
            .resources
            .iter()
            .find(|r| r.kind() == Kind::DeploymentConfig)
        {
            self.create(config);
        }
    }

    /// Update, then check the writes, the read-back, and that a second update writes nothing.
    fn update_converges(&self, desired: &Resource, live: &Resource, expected: &[&str]) -> Live {
        self.scope.clear_requests();
        self.update(desired, live);
        assert_eq!(self.writes(), ops(expected), "writes of the update");
        let live = self.read(desired);
        assert_converged(desired, &live, &self.scope.name);
        self.scope.clear_requests();
        self.update(desired, &live.resource);
        assert_eq!(self.writes(), [], "an update with nothing to change wrote");
        live
    }

    /// The group as the independent client reads it.
    fn group_info(&self, group: &DeploymentGroup) -> DeploymentGroupInfo {
        block_on(
            self.aws
                .codedeploy
                .get_deployment_group()
                .application_name(&group.application)
                .deployment_group_name(&group.name)
                .send(),
        )
        .expect("GetDeploymentGroup")
        .deployment_group_info()
        .cloned()
        .expect("group info")
    }

    fn tags_of(&self, arn: &str) -> Vec<(String, String)> {
        block_on(
            self.aws
                .codedeploy
                .list_tags_for_resource()
                .resource_arn(arn)
                .send(),
        )
        .expect("ListTagsForResource")
        .tags()
        .iter()
        .map(|t| {
            (
                t.key().unwrap_or_default().to_owned(),
                t.value().unwrap_or_default().to_owned(),
            )
        })
        .collect()
    }

    fn discover(&self) -> Vec<ResourceId> {
        let names = self.loaded.spec.names();
        block_on(aws::discover(
            &self.clients,
            &names.codedeploy_application(),
            &names.deployment_config_prefix(),
        ))
        .expect("discover")
    }
}

fn app_arn(name: &str) -> String {
    format!("arn:aws:codedeploy:{REGION}:{ACCOUNT}:application:{name}")
}

fn group_arn(group: &DeploymentGroup) -> String {
    format!(
        "arn:aws:codedeploy:{REGION}:{ACCOUNT}:deploymentgroup:{}/{}",
        group.application, group.name
    )
}

fn style(info: &DeploymentGroupInfo) -> (&str, &str) {
    let style = info.deployment_style().expect("a deployment style");
    (
        style.deployment_type().map_or("", |t| t.as_str()),
        style.deployment_option().map_or("", |o| o.as_str()),
    )
}

fn rollback_events(info: &DeploymentGroupInfo) -> Vec<&str> {
    let rollback = info
        .auto_rollback_configuration()
        .expect("an auto-rollback configuration");
    assert!(rollback.enabled());
    let mut events: Vec<&str> = rollback.events().iter().map(|e| e.as_str()).collect();
    events.sort_unstable();
    events
}

#[test]
fn a_codedeploy_application_round_trips() {
    // Lambda goes through CodePipeline's Lambda action: the ECS example has an application.
    let session = Session::new("ecs-blue-green");
    let Resource::Application(app) = session.desired(Kind::Application) else {
        unreachable!()
    };
    assert_eq!(app.platform, ComputePlatform::Ecs);
    let desired = Resource::Application(app.clone());
    session.scope.clear_requests();
    session.create(&desired);
    assert_eq!(session.writes(), ops(&["codedeploy:CreateApplication"]));

    let found = block_on(
        session
            .aws
            .codedeploy
            .get_application()
            .application_name(&app.name)
            .send(),
    )
    .expect("GetApplication");
    assert_eq!(
        found
            .application()
            .and_then(|a| a.compute_platform())
            .map(|p| p.as_str()),
        Some("ECS")
    );
    assert!(
        session
            .tags_of(&app_arn(&app.name))
            .contains(&(OWNERSHIP_TAG.to_owned(), session.scope.name.clone()))
    );
    let again = block_on(aws::create(&session.clients, &desired)).expect_err("a second create");
    assert_eq!(again.kind, ErrorKind::AlreadyExists, "{again}");

    let live = session.read(&desired);
    assert_converged(&desired, &live, &session.scope.name);
    assert_eq!(live.resource.properties(), desired.properties());

    // A tag missing: one TagResource, and nothing else.
    let mut tagged = app.clone();
    tagged.tags.insert("team".to_owned(), "web".to_owned());
    let tagged = Resource::Application(tagged);
    let live = session.update_converges(&tagged, &live.resource, &["codedeploy:TagResource"]);

    session.delete_twice(&live.resource);
    let gone = block_on(
        session
            .aws
            .codedeploy
            .get_application()
            .application_name(&app.name)
            .send(),
    );
    assert!(gone.is_err(), "the application is still there");
}

#[test]
fn an_in_place_group_round_trips() {
    let session = Session::new("ec2-rolling");
    session.create_group_dependencies();
    let group = session.group();
    let desired = Resource::DeploymentGroup(group.clone());
    session.scope.clear_requests();
    session.create(&desired);
    assert_eq!(session.writes(), ops(&["codedeploy:CreateDeploymentGroup"]));

    let info = session.group_info(&group);
    assert_eq!(style(&info), ("IN_PLACE", "WITHOUT_TRAFFIC_CONTROL"));
    assert_eq!(
        info.deployment_config_name(),
        Some("CodeDeployDefault.OneAtATime")
    );
    assert_eq!(
        info.service_role_arn(),
        Some(
            format!(
                "arn:aws:iam::{ACCOUNT}:role/{}-codedeploy-role",
                session.scope.name
            )
            .as_str()
        )
    );
    let filters: Vec<(&str, &str, &str)> = info
        .ec2_tag_filters()
        .iter()
        .map(|f| {
            (
                f.key().unwrap_or_default(),
                f.value().unwrap_or_default(),
                f.r#type().map_or("", |t| t.as_str()),
            )
        })
        .collect();
    assert_eq!(
        filters,
        [("app", session.scope.name.as_str(), "KEY_AND_VALUE")]
    );
    assert_eq!(rollback_events(&info), ["DEPLOYMENT_FAILURE"]);
    assert!(
        info.load_balancer_info()
            .is_none_or(|lb| lb.target_group_info_list().is_empty())
    );
    assert!(
        session
            .tags_of(&group_arn(&group))
            .contains(&(OWNERSHIP_TAG.to_owned(), session.scope.name.clone()))
    );
    let again = block_on(aws::create(&session.clients, &desired)).expect_err("a second create");
    assert_eq!(again.kind, ErrorKind::AlreadyExists, "{again}");

    let live = session.read(&desired);
    assert_converged(&desired, &live, &session.scope.name);

    // Other instances, a load balancer and alarms: one UpdateDeploymentGroup.
    let mut changed = group.clone();
    changed.ec2_tags = [("role".to_owned(), "web".to_owned())]
        .into_iter()
        .collect();
    changed.config = "CodeDeployDefault.HalfAtATime".to_owned();
    changed.target_groups = vec!["web-tg".to_owned()];
    changed.traffic_control = TrafficControl::With;
    changed.alarms = vec!["web-5xx".to_owned()];
    let changed = Resource::DeploymentGroup(changed);
    let live = session.update_converges(
        &changed,
        &live.resource,
        &["codedeploy:UpdateDeploymentGroup"],
    );
    let info = session.group_info(&group);
    assert_eq!(style(&info), ("IN_PLACE", "WITH_TRAFFIC_CONTROL"));
    assert_eq!(
        info.deployment_config_name(),
        Some("CodeDeployDefault.HalfAtATime")
    );
    assert_eq!(
        rollback_events(&info),
        ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"]
    );
    let alarms = info.alarm_configuration().expect("alarms");
    assert!(alarms.enabled());
    assert_eq!(alarms.alarms()[0].name(), Some("web-5xx"));
    assert_eq!(
        info.load_balancer_info()
            .expect("LB")
            .target_group_info_list()[0]
            .name(),
        Some("web-tg")
    );
    assert_eq!(info.ec2_tag_filters()[0].key(), Some("role"));

    // Back to the model: the load balancer and the alarms are cleared, not left behind.
    let live = session.update_converges(
        &desired,
        &live.resource,
        &["codedeploy:UpdateDeploymentGroup"],
    );
    let info = session.group_info(&group);
    assert!(
        info.alarm_configuration()
            .is_none_or(|a| !a.enabled() && a.alarms().is_empty())
    );
    assert!(
        info.load_balancer_info()
            .is_none_or(|lb| lb.target_group_info_list().is_empty())
    );
    assert_eq!(rollback_events(&info), ["DEPLOYMENT_FAILURE"]);

    // Only a tag missing: one TagResource.
    let mut tagged = group.clone();
    tagged.tags.insert("team".to_owned(), "web".to_owned());
    let tagged = Resource::DeploymentGroup(tagged);
    let live = session.update_converges(&tagged, &live.resource, &["codedeploy:TagResource"]);

    // discover finds exactly this pipeline's group (a predefined config is nobody's to delete).
    assert_eq!(
        session.discover(),
        [ResourceId::new(
            Kind::DeploymentGroup,
            format!("{}/{}", group.application, group.name)
        )]
    );
    session.delete_twice(&live.resource);
    assert_eq!(session.discover(), []);
    // A missing application has no groups (and is no error).
    let app = session.desired(Kind::Application);
    session.delete_twice(&app);
    assert_eq!(session.discover(), []);
}

#[test]
fn a_blue_green_server_group_round_trips() {
    let session = Session::new("ec2-blue-green");
    session.create_group_dependencies();
    let group = session.group();
    let desired = Resource::DeploymentGroup(group.clone());
    session.scope.clear_requests();
    session.create(&desired);
    assert_eq!(session.writes(), ops(&["codedeploy:CreateDeploymentGroup"]));

    let info = session.group_info(&group);
    assert_eq!(style(&info), ("BLUE_GREEN", "WITH_TRAFFIC_CONTROL"));
    let asgs: Vec<&str> = info
        .auto_scaling_groups()
        .iter()
        .filter_map(|g| g.name())
        .collect();
    assert_eq!(asgs, [format!("{}-asg", session.scope.name)]);
    let targets: Vec<&str> = info
        .load_balancer_info()
        .expect("a load balancer")
        .target_group_info_list()
        .iter()
        .filter_map(|t| t.name())
        .collect();
    assert_eq!(targets, [format!("{}-tg", session.scope.name)]);
    let bg = info
        .blue_green_deployment_configuration()
        .expect("blue/green settings");
    assert_eq!(
        bg.green_fleet_provisioning_option()
            .and_then(|g| g.action())
            .map(|a| a.as_str()),
        Some("COPY_AUTO_SCALING_GROUP")
    );
    let terminate = bg
        .terminate_blue_instances_on_deployment_success()
        .expect("termination");
    assert_eq!(terminate.action().map(|a| a.as_str()), Some("TERMINATE"));
    assert_eq!(terminate.termination_wait_time_in_minutes(), 5);
    assert_eq!(
        bg.deployment_ready_option()
            .and_then(|r| r.action_on_timeout())
            .map(|a| a.as_str()),
        Some("CONTINUE_DEPLOYMENT")
    );
    assert_eq!(rollback_events(&info), ["DEPLOYMENT_FAILURE"]);

    let live = session.read(&desired);
    assert_converged(&desired, &live, &session.scope.name);

    let mut changed = group.clone();
    if let Some(bg) = &mut changed.blue_green {
        bg.terminate_after_minutes = 30;
    }
    changed.autoscaling_groups.push("spare-asg".to_owned());
    // The model keeps set-valued lists sorted, as the adapter reads them.
    changed.autoscaling_groups.sort();
    let changed = Resource::DeploymentGroup(changed);
    let live = session.update_converges(
        &changed,
        &live.resource,
        &["codedeploy:UpdateDeploymentGroup"],
    );
    let info = session.group_info(&group);
    assert_eq!(
        info.blue_green_deployment_configuration()
            .and_then(|b| b.terminate_blue_instances_on_deployment_success())
            .map(|t| t.termination_wait_time_in_minutes()),
        Some(30)
    );
    assert_eq!(info.auto_scaling_groups().len(), 2);

    session.delete_twice(&live.resource);
}

#[test]
fn an_ecs_group_round_trips() {
    let session = Session::new("ecs-blue-green");
    session.create_group_dependencies();
    let group = session.group();
    let ecs = group.ecs.clone().expect("an ECS group");
    assert!(ecs.test_listener.is_none());
    let desired = Resource::DeploymentGroup(group.clone());
    session.create(&desired);

    let info = session.group_info(&group);
    assert_eq!(info.compute_platform().map(|p| p.as_str()), Some("ECS"));
    assert_eq!(style(&info), ("BLUE_GREEN", "WITH_TRAFFIC_CONTROL"));
    let service = &info.ecs_services()[0];
    assert_eq!(service.cluster_name(), Some(ecs.cluster.as_str()));
    assert_eq!(service.service_name(), Some(ecs.service.as_str()));
    let pair = &info
        .load_balancer_info()
        .expect("LB")
        .target_group_pair_info_list()[0];
    let pair_names: Vec<&str> = pair
        .target_groups()
        .iter()
        .filter_map(|t| t.name())
        .collect();
    assert_eq!(pair_names, ecs.target_groups);
    assert_eq!(
        pair.prod_traffic_route().map(|r| r.listener_arns()),
        Some([ecs.listener.clone()].as_slice())
    );
    assert!(
        pair.test_traffic_route()
            .is_none_or(|r| r.listener_arns().is_empty())
    );
    let bg = info
        .blue_green_deployment_configuration()
        .expect("blue/green settings");
    assert_eq!(
        bg.terminate_blue_instances_on_deployment_success()
            .map(|t| t.termination_wait_time_in_minutes()),
        Some(5)
    );

    let live = session.read(&desired);
    assert_converged(&desired, &live, &session.scope.name);

    // A test listener added: one update, and it reads back.
    let mut changed = group.clone();
    let test_listener = ecs.listener.replace(
        "0123456789abcdef/0123456789abcdef",
        "0123456789abcdef/fedcba9876543210",
    );
    if let Some(e) = &mut changed.ecs {
        e.test_listener = Some(test_listener.clone());
    }
    let changed = Resource::DeploymentGroup(changed);
    let live = session.update_converges(
        &changed,
        &live.resource,
        &["codedeploy:UpdateDeploymentGroup"],
    );
    let info = session.group_info(&group);
    assert_eq!(
        info.load_balancer_info()
            .expect("LB")
            .target_group_pair_info_list()[0]
            .test_traffic_route()
            .map(|r| r.listener_arns()),
        Some([test_listener].as_slice())
    );
    session.delete_twice(&live.resource);
}

#[test]
fn an_ecs_group_with_a_custom_canary_config_round_trips() {
    let session = Session::edited("ecs-blue-green", |text| {
        text.replace(
            "strategy: blue-green",
            "strategy: canary\n    traffic: {percent: 20, interval_minutes: 7}",
        )
    });
    let Resource::DeploymentConfig(config) = session.desired(Kind::DeploymentConfig) else {
        unreachable!()
    };
    let prefix = format!("{}.", session.scope.name);
    assert!(config.name.starts_with(&prefix), "{}", config.name);
    let traffic = config.traffic.expect("a traffic shift");
    assert_eq!(
        (traffic.kind, traffic.percent, traffic.interval_minutes),
        (TrafficKind::TimeBasedCanary, 20, 7)
    );
    let desired_config = Resource::DeploymentConfig(config.clone());
    session.scope.clear_requests();
    session.create_group_dependencies();
    assert!(
        session
            .writes()
            .contains(&("codedeploy:CreateDeploymentConfig".to_owned(), 1))
    );

    let found = block_on(
        session
            .aws
            .codedeploy
            .get_deployment_config()
            .deployment_config_name(&config.name)
            .send(),
    )
    .expect("GetDeploymentConfig");
    let info = found.deployment_config_info().expect("config info");
    assert_eq!(info.compute_platform().map(|p| p.as_str()), Some("ECS"));
    let routing = info.traffic_routing_config().expect("traffic routing");
    assert_eq!(
        routing.r#type().map(|t| t.as_str()),
        Some("TimeBasedCanary")
    );
    let canary = routing.time_based_canary().expect("canary");
    assert_eq!(
        (canary.canary_percentage(), canary.canary_interval()),
        (20, 7)
    );
    let again =
        block_on(aws::create(&session.clients, &desired_config)).expect_err("a second create");
    assert_eq!(again.kind, ErrorKind::AlreadyExists, "{again}");
    let live_config = session.read(&desired_config);
    assert_converged(&desired_config, &live_config, &session.scope.name);

    let group = session.group();
    assert_eq!(group.config, config.name);
    assert!(
        group
            .blue_green
            .as_ref()
            .is_some_and(|b| b.green_fleet.is_none()),
        "ECS groups replace task sets, not fleets"
    );
    let desired = Resource::DeploymentGroup(group.clone());
    session.create(&desired);
    let info = session.group_info(&group);
    assert_eq!(style(&info), ("BLUE_GREEN", "WITH_TRAFFIC_CONTROL"));
    assert_eq!(info.deployment_config_name(), Some(config.name.as_str()));
    let live = session.read(&desired);
    assert_converged(&desired, &live, &session.scope.name);

    // Someone's own config under the same prefix, and another pipeline's: never ours.
    for foreign in [
        format!("{}.custom", session.scope.name),
        format!("{}-canary", session.scope.name),
        format!("{}-api.Deploy-0123abcd", session.scope.name),
    ] {
        block_on(
            session
                .aws
                .codedeploy
                .create_deployment_config()
                .deployment_config_name(&foreign)
                .compute_platform(aws_sdk_codedeploy::types::ComputePlatform::Ecs)
                .send(),
        )
        .expect("create a foreign config");
    }
    let mut found = session.discover();
    found.sort();
    let mut expected = vec![
        ResourceId::new(Kind::DeploymentConfig, &config.name),
        ResourceId::new(
            Kind::DeploymentGroup,
            format!("{}/{}", group.application, group.name),
        ),
    ];
    expected.sort();
    assert_eq!(found, expected);

    // A config in use cannot go: a conflict, which the engine retries after the group moved.
    let in_use = block_on(aws::delete(
        &session.clients,
        &live_config.resource,
        DeleteOptions::default(),
    ))
    .expect_err("deleting a config in use");
    assert_eq!(in_use.kind, ErrorKind::Conflict, "{in_use}");

    // The group moves to a predefined config; then the custom one can go.
    let mut moved = group.clone();
    moved.config = "CodeDeployDefault.LambdaAllAtOnce".to_owned();
    let moved = Resource::DeploymentGroup(moved);
    let live = session.update_converges(
        &moved,
        &live.resource,
        &["codedeploy:UpdateDeploymentGroup"],
    );
    session.delete_twice(&live_config.resource);
    session.delete_twice(&live.resource);
    session.delete_twice(&session.desired(Kind::Application));
}

#[test]
fn a_server_config_with_a_minimum_of_healthy_hosts_round_trips() {
    let session = Session::edited("ec2-rolling", |text| {
        text.replace(
            "    strategy: rolling",
            "    minimum_healthy:\n      percent: 75\n    strategy: rolling",
        )
    });
    let Resource::DeploymentConfig(config) = session.desired(Kind::DeploymentConfig) else {
        unreachable!()
    };
    let minimum = config.minimum_healthy.expect("a minimum");
    assert_eq!(
        (minimum.kind, minimum.value),
        (MinimumHealthyKind::FleetPercent, 75)
    );
    assert!(config.traffic.is_none());
    let desired = Resource::DeploymentConfig(config.clone());
    session.scope.clear_requests();
    session.create(&desired);
    assert_eq!(
        session.writes(),
        ops(&["codedeploy:CreateDeploymentConfig"])
    );
    let found = block_on(
        session
            .aws
            .codedeploy
            .get_deployment_config()
            .deployment_config_name(&config.name)
            .send(),
    )
    .expect("GetDeploymentConfig");
    let info = found.deployment_config_info().expect("config info");
    assert_eq!(info.compute_platform().map(|p| p.as_str()), Some("Server"));
    let hosts = info.minimum_healthy_hosts().expect("minimum healthy hosts");
    assert_eq!(hosts.r#type().map(|t| t.as_str()), Some("FLEET_PERCENT"));
    assert_eq!(hosts.value(), 75);
    let live = session.read(&desired);
    assert_converged(&desired, &live, &session.scope.name);
    assert_eq!(live.resource, desired);
    // Deployment configs cannot be updated: the engine replaces them, the adapter refuses.
    assert!(block_on(aws::update(&session.clients, &desired, &live.resource)).is_err());
    session.delete_twice(&live.resource);
}

#[test]
fn a_codecommit_repository_round_trips() {
    let session = Session::new("static-site");
    let Resource::Repository(repository) = session.desired(Kind::Repository) else {
        unreachable!()
    };
    let desired = Resource::Repository(repository.clone());
    session.scope.clear_requests();
    session.create(&desired);
    assert_eq!(session.writes(), ops(&["codecommit:CreateRepository"]));

    let found = block_on(
        session
            .aws
            .codecommit
            .get_repository()
            .repository_name(&repository.name)
            .send(),
    )
    .expect("GetRepository");
    let metadata = found.repository_metadata().expect("metadata");
    assert_eq!(
        metadata.repository_description(),
        Some(repository.description.as_str())
    );
    let arn = metadata.arn().expect("an ARN").to_owned();
    assert_eq!(
        arn,
        format!("arn:aws:codecommit:{REGION}:{ACCOUNT}:{}", repository.name)
    );
    let tags = block_on(
        session
            .aws
            .codecommit
            .list_tags_for_resource()
            .resource_arn(&arn)
            .send(),
    )
    .expect("ListTagsForResource");
    assert_eq!(
        tags.tags().and_then(|t| t.get(OWNERSHIP_TAG)),
        Some(&session.scope.name)
    );
    let again = block_on(aws::create(&session.clients, &desired)).expect_err("a second create");
    assert_eq!(again.kind, ErrorKind::AlreadyExists, "{again}");

    let live = session.read(&desired);
    assert_converged(&desired, &live, &session.scope.name);
    // No default branch yet: whether it has commits is not known from one read (`down
    // --delete-repo` asks in that case, as for a repository with commits).
    assert_eq!(live.facts.has_commits, None);
    assert_eq!(
        live.facts.clone_url_http.as_deref(),
        metadata.clone_url_http()
    );
    assert!(live.facts.clone_url_ssh.is_some());

    // A new description and a new tag: exactly those two writes.
    let changed = Resource::Repository(Repository {
        description: "Where the shop's code lives".to_owned(),
        tags: {
            let mut tags = repository.tags.clone();
            tags.insert("team".to_owned(), "web".to_owned());
            tags
        },
        ..repository.clone()
    });
    let live = session.update_converges(
        &changed,
        &live.resource,
        &[
            "codecommit:TagResource",
            "codecommit:UpdateRepositoryDescription",
        ],
    );

    // Once something is committed, the repository holds the user's code.
    block_on(
        session
            .aws
            .codecommit
            .put_file()
            .repository_name(&repository.name)
            .branch_name("main")
            .file_path("README.md")
            .file_content(aws_sdk_codecommit::primitives::Blob::new("hello\n"))
            .send(),
    )
    .expect("PutFile");
    assert_eq!(session.read(&changed).facts.has_commits, Some(true));

    session.delete_twice(&live.resource);
}
