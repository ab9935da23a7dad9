//! What exists in the account for one pipeline, read with the plain SDK, never with pipewright:
//! every kind pipewright manages, each found by its ownership tag. The two kinds AWS cannot tag
//! are found the way pipewright owns them: a role's inline policy by its role's tag, a custom
//! deployment config by the `<name>.` prefix no other pipeline's names start with.
//!
//! Every resource in the account is looked at, not only those named after the pipeline: a
//! resource that carries the tag under an unexpected name is found too. Tests run in parallel,
//! so a resource another test deletes between the list and the tag read is simply not listed.

use std::collections::BTreeSet;
use std::future::Future;

use futures::stream::{self, StreamExt};
use pipewright::model::OWNERSHIP_TAG;

use super::aws::{ACCOUNT, Aws, REGION, block_on};

/// Tag reads in flight at once.
const AT_ONCE: usize = 16;

impl Aws {
    /// Every resource of pipeline `name`, one `kind name` line each (`role x-codebuild-role`,
    /// `rule x-source-change (1 target)`, `deployment group x-app/x-group`, …).
    pub fn inventory(&self, name: &str) -> BTreeSet<String> {
        block_on(async {
            let (roles, buckets, groups, projects, pipelines, rules, codedeploy, repos, configs) = tokio::join!(
                self.roles(name),
                self.buckets(name),
                self.log_groups(name),
                self.projects(name),
                self.pipelines(name),
                self.rules(name),
                self.codedeploy(name),
                self.repositories(name),
                self.deployment_configs(name),
            );
            [
                roles, buckets, groups, projects, pipelines, rules, codedeploy, repos, configs,
            ]
            .into_iter()
            .flatten()
            .collect()
        })
    }

    async fn roles(&self, name: &str) -> Vec<String> {
        let roles: Vec<String> = self
            .iam
            .list_roles()
            .into_paginator()
            .items()
            .send()
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .map(|role| role.expect("ListRoles").role_name().to_owned())
            .collect();
        each(roles, |role| async move {
            let tags = self
                .iam
                .list_role_tags()
                .role_name(&role)
                .send()
                .await
                .ok()?;
            let tags = tags.tags().iter().map(|t| (t.key(), t.value()));
            if !is_owned(tags, name) {
                return None;
            }
            let mut found = vec![format!("role {role}")];
            let policies = self
                .iam
                .list_role_policies()
                .role_name(&role)
                .send()
                .await
                .ok()?;
            for policy in policies.policy_names() {
                found.push(format!("role policy {role}/{policy}"));
            }
            Some(found)
        })
        .await
    }

    async fn buckets(&self, name: &str) -> Vec<String> {
        let listed = self.s3.list_buckets().send().await.expect("ListBuckets");
        let buckets: Vec<String> = listed
            .buckets()
            .iter()
            .filter_map(|b| b.name().map(str::to_owned))
            .collect();
        tagged(buckets, name, "bucket", |bucket| async move {
            let tags = self
                .s3
                .get_bucket_tagging()
                .bucket(bucket)
                .send()
                .await
                .ok()?;
            Some(pairs(tags.tag_set().iter().map(|t| (t.key(), t.value()))))
        })
        .await
    }

    async fn log_groups(&self, name: &str) -> Vec<String> {
        let groups: Vec<(String, String)> = self
            .logs
            .describe_log_groups()
            .into_paginator()
            .items()
            .send()
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .filter_map(|group| {
                let group = group.expect("DescribeLogGroups");
                let arn = group.arn()?.trim_end_matches(":*").to_owned();
                Some((group.log_group_name()?.to_owned(), arn))
            })
            .collect();
        each(groups, |(group, arn)| async move {
            let tags = self
                .logs
                .list_tags_for_resource()
                .resource_arn(&arn)
                .send()
                .await
                .ok()?;
            let tags = tags.tags().cloned().unwrap_or_default();
            let tags = tags.iter().map(|(k, v)| (k.as_str(), v.as_str()));
            is_owned(tags, name).then(|| vec![format!("log group {group}")])
        })
        .await
    }

    async fn projects(&self, name: &str) -> Vec<String> {
        let projects: Vec<String> = self
            .codebuild
            .list_projects()
            .into_paginator()
            .items()
            .send()
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .map(|project| project.expect("ListProjects"))
            .collect();
        let chunks: Vec<Vec<String>> = projects.chunks(100).map(<[String]>::to_vec).collect();
        each(chunks, |chunk| async move {
            let got = self
                .codebuild
                .batch_get_projects()
                .set_names(Some(chunk))
                .send()
                .await
                .ok()?;
            let owned = got.projects().iter().filter(|project| {
                let tags = project
                    .tags()
                    .iter()
                    .map(|t| (t.key().unwrap_or_default(), t.value().unwrap_or_default()));
                is_owned(tags, name)
            });
            Some(
                owned
                    .map(|p| format!("project {}", p.name().unwrap_or_default()))
                    .collect(),
            )
        })
        .await
    }

    async fn pipelines(&self, name: &str) -> Vec<String> {
        let pipelines: Vec<String> = self
            .codepipeline
            .list_pipelines()
            .into_paginator()
            .items()
            .send()
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .filter_map(|p| p.expect("ListPipelines").name().map(str::to_owned))
            .collect();
        tagged(pipelines, name, "pipeline", |pipeline| async move {
            let arn = format!("arn:aws:codepipeline:{REGION}:{ACCOUNT}:{pipeline}");
            let tags = self
                .codepipeline
                .list_tags_for_resource()
                .resource_arn(arn)
                .send()
                .await
                .ok()?;
            Some(pairs(tags.tags().iter().map(|t| (t.key(), t.value()))))
        })
        .await
    }

    /// Rules, with how many targets each has (a rule left without its target is a leak too).
    async fn rules(&self, name: &str) -> Vec<String> {
        let mut rules = Vec::new();
        let mut token = None;
        loop {
            let page = self
                .events
                .list_rules()
                .set_next_token(token)
                .send()
                .await
                .expect("ListRules");
            rules.extend(
                page.rules()
                    .iter()
                    .filter_map(|r| Some((r.name()?.to_owned(), r.arn()?.to_owned()))),
            );
            token = page
                .next_token()
                .filter(|t| !t.is_empty())
                .map(str::to_owned);
            if token.is_none() {
                break;
            }
        }
        each(rules, |(rule, arn)| async move {
            let tags = self
                .events
                .list_tags_for_resource()
                .resource_arn(arn)
                .send()
                .await
                .ok()?;
            let tags = tags.tags().iter().map(|t| (t.key(), t.value()));
            if !is_owned(tags, name) {
                return None;
            }
            let targets = self
                .events
                .list_targets_by_rule()
                .rule(&rule)
                .send()
                .await
                .ok()?;
            Some(vec![format!(
                "rule {rule} ({} target)",
                targets.targets().len()
            )])
        })
        .await
    }

    /// Applications and the deployment groups in each.
    async fn codedeploy(&self, name: &str) -> Vec<String> {
        let applications: Vec<String> = self
            .codedeploy
            .list_applications()
            .into_paginator()
            .items()
            .send()
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .map(|app| app.expect("ListApplications"))
            .collect();
        each(applications, |app| async move {
            let mut found = Vec::new();
            let arn = format!("arn:aws:codedeploy:{REGION}:{ACCOUNT}:application:{app}");
            if self.codedeploy_owned(&arn, name).await {
                found.push(format!("application {app}"));
            }
            let groups = self
                .codedeploy
                .list_deployment_groups()
                .application_name(&app)
                .send()
                .await
                .ok()?;
            for group in groups.deployment_groups() {
                let arn =
                    format!("arn:aws:codedeploy:{REGION}:{ACCOUNT}:deploymentgroup:{app}/{group}");
                if self.codedeploy_owned(&arn, name).await {
                    found.push(format!("deployment group {app}/{group}"));
                }
            }
            Some(found)
        })
        .await
    }

    async fn codedeploy_owned(&self, arn: &str, name: &str) -> bool {
        let Ok(tags) = self
            .codedeploy
            .list_tags_for_resource()
            .resource_arn(arn)
            .send()
            .await
        else {
            return false;
        };
        let tags = tags
            .tags()
            .iter()
            .map(|t| (t.key().unwrap_or_default(), t.value().unwrap_or_default()));
        is_owned(tags, name)
    }

    async fn repositories(&self, name: &str) -> Vec<String> {
        let repositories: Vec<String> = self
            .codecommit
            .list_repositories()
            .into_paginator()
            .items()
            .send()
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .filter_map(|r| {
                r.expect("ListRepositories")
                    .repository_name()
                    .map(str::to_owned)
            })
            .collect();
        tagged(repositories, name, "repository", |repository| async move {
            let arn = format!("arn:aws:codecommit:{REGION}:{ACCOUNT}:{repository}");
            let tags = self
                .codecommit
                .list_tags_for_resource()
                .resource_arn(arn)
                .send()
                .await
                .ok()?;
            Some(
                tags.tags()
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .collect(),
            )
        })
        .await
    }

    /// Custom deployment configs cannot be tagged: pipewright's are named `<name>.<stage>-<hash>`.
    async fn deployment_configs(&self, name: &str) -> Vec<String> {
        let prefix = format!("{name}.");
        self.codedeploy
            .list_deployment_configs()
            .into_paginator()
            .items()
            .send()
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .map(|config| config.expect("ListDeploymentConfigs"))
            .filter(|config| config.starts_with(&prefix))
            .map(|config| format!("deployment config {config}"))
            .collect()
    }
}

/// What `up` of the static-site example renamed to `name` makes, as [`Aws::inventory`] lists it.
pub fn static_site(name: &str) -> BTreeSet<String> {
    let roles = ["codebuild", "codepipeline", "events"];
    roles
        .iter()
        .flat_map(|role| {
            [
                format!("role {name}-{role}-role"),
                format!("role policy {name}-{role}-role/pipewright"),
            ]
        })
        .chain([
            format!("bucket {name}-artifacts-{ACCOUNT}-{REGION}"),
            format!("bucket {name}-site"),
            format!("repository {name}"),
            format!("log group /aws/codebuild/{name}-build"),
            format!("project {name}-build"),
            format!("pipeline {name}-pipeline"),
            format!("rule {name}-source-change (1 target)"),
        ])
        .collect()
}

/// What `down` leaves of a pipeline whose source is the CodeCommit repository `name`: the
/// repository, which holds the user's code.
pub fn kept_repository(name: &str) -> BTreeSet<String> {
    [format!("repository {name}")].into_iter().collect()
}

/// Whether a tag set names pipeline `name` as the owner.
fn is_owned<'a>(mut tags: impl Iterator<Item = (&'a str, &'a str)>, name: &str) -> bool {
    tags.any(|(key, value)| key == OWNERSHIP_TAG && value == name)
}

/// The items whose tags (read by `tags`; `None` when unreadable) name pipeline `name` as the
/// owner, each as `label item`.
async fn tagged<F, Fut>(items: Vec<String>, name: &str, label: &str, tags: F) -> Vec<String>
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = Option<Vec<(String, String)>>>,
{
    let tags = &tags;
    each(items, |item| async move {
        let found = tags(item.clone()).await?;
        let found = found.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        is_owned(found, name).then(|| vec![format!("{label} {item}")])
    })
    .await
}

fn pairs<'a>(tags: impl Iterator<Item = (&'a str, &'a str)>) -> Vec<(String, String)> {
    tags.map(|(k, v)| (k.to_owned(), v.to_owned())).collect()
}

/// Run `look` on every item, a few at once; what it finds, in one list.
async fn each<T, F, Fut>(items: Vec<T>, look: F) -> Vec<String>
where
    F: Fn(T) -> Fut,
    Fut: Future<Output = Option<Vec<String>>>,
{
    stream::iter(items)
        .map(look)
        .buffer_unordered(AT_ONCE)
        .filter_map(|found| async move { found })
        .collect::<Vec<Vec<String>>>()
        .await
        .into_iter()
        .flatten()
        .collect()
}
