//! EventBridge rules that start the pipeline on a push.
//!
//! A rule is three things EventBridge stores apart: the rule (pattern, description, state), its
//! targets, and its tags. `read` joins them into [`Rule`]; `update` writes each only where it
//! differs. `PutRule` creates *or overwrites*, so `create` first checks that the name is free:
//! a same-named rule someone else made is reported as AlreadyExists (the engine then checks its
//! owner) instead of being silently rewritten.

use aws_sdk_eventbridge::Client;
use aws_sdk_eventbridge::operation::describe_rule::DescribeRuleOutput;
use aws_sdk_eventbridge::types::{RuleState, Tag, Target};

use super::error::{absent_is_none, ignore_not_found, invalid_request};
use super::{AwsError, ErrorKind, SdkResultExt, s3_source, tags};
use crate::model::{Kind, Live, Resource, ResourceId, Rule, Tags};

fn rule_id(name: &str) -> ResourceId {
    ResourceId::new(Kind::Rule, name)
}

fn invalid(operation: &'static str, name: &str, err: &impl std::fmt::Display) -> AwsError {
    invalid_request(operation, rule_id(name).to_string(), err)
}

async fn describe(client: &Client, name: &str) -> Result<Option<DescribeRuleOutput>, AwsError> {
    absent_is_none(
        client
            .describe_rule()
            .name(name)
            .send()
            .await
            .about(rule_id(name)),
    )
}

/// Every target of the rule (pages followed); `None` when the rule is gone.
async fn targets(client: &Client, name: &str) -> Result<Option<Vec<Target>>, AwsError> {
    let mut all = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = absent_is_none(
            client
                .list_targets_by_rule()
                .rule(name)
                .set_next_token(token.take())
                .send()
                .await
                .about(rule_id(name)),
        )?;
        let Some(page) = page else {
            return Ok(None);
        };
        all.extend(page.targets().iter().cloned());
        match page.next_token() {
            Some(next) if !next.is_empty() => token = Some(next.to_owned()),
            _ => return Ok(Some(all)),
        }
    }
}

/// The rule, its targets and its tags are read at once (the ARN is computed, not looked up).
pub(super) async fn read(clients: &super::Clients, name: &str) -> Result<Option<Live>, AwsError> {
    let client = &clients.events;
    let arn = clients.target().rule_arn(name);
    let (rule, targets, listed) =
        tokio::join!(describe(client, name), targets(client, name), async {
            absent_is_none(
                client
                    .list_tags_for_resource()
                    .resource_arn(&arn)
                    .send()
                    .await
                    .about(rule_id(name)),
            )
        },);
    let Some(rule) = rule? else {
        return Ok(None);
    };
    let Some(targets) = targets? else {
        return Ok(None);
    };
    let Some(listed) = listed? else {
        return Ok(None);
    };
    let tags: Tags = listed
        .tags()
        .iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect();
    let target = targets.iter().find(|t| t.id() == Rule::TARGET_ID);
    let bucket_events = match s3_source_bucket(rule.event_pattern()) {
        Some(bucket) if s3_source::eventbridge_on(&clients.s3, &bucket).await? => Some(bucket),
        _ => None,
    };
    let event_pattern = rule
        .event_pattern()
        .map_or(serde_json::Value::Null, |text| {
            serde_json::from_str(text)
                .unwrap_or_else(|_| serde_json::Value::String(text.to_owned()))
        });
    Ok(Some(Live::tagged(Resource::Rule(Rule {
        name: name.to_owned(),
        description: rule.description().unwrap_or_default().to_owned(),
        event_pattern,
        target_arn: target.map(Target::arn).unwrap_or_default().to_owned(),
        target_role: target
            .and_then(Target::role_arn)
            .unwrap_or_default()
            .to_owned(),
        bucket_events,
        tags,
    }))))
}

/// The bucket an S3 source rule watches (`detail.bucket.name` of an `aws.s3` pattern).
fn s3_source_bucket(pattern: Option<&str>) -> Option<String> {
    let pattern: serde_json::Value = serde_json::from_str(pattern?).ok()?;
    if pattern.get("source")?.get(0)?.as_str()? != "aws.s3" {
        return None;
    }
    Some(
        pattern
            .get("detail")?
            .get("bucket")?
            .get("name")?
            .get(0)?
            .as_str()?
            .to_owned(),
    )
}

/// Turn the source bucket's EventBridge delivery on; when it was off, say on the rule that
/// pipewright turned it on (so that `down` turns it off, and only then).
async fn bucket_events_on(clients: &super::Clients, rule: &Rule) -> Result<(), AwsError> {
    let Some(bucket) = &rule.bucket_events else {
        return Ok(());
    };
    if !s3_source::set_eventbridge(&clients.s3, bucket, true).await? {
        return Ok(());
    }
    let arn = clients.target().rule_arn(&rule.name);
    let tag = Tag::builder()
        .key(Rule::BUCKET_EVENTS_TAG)
        .value(bucket)
        .build()
        .map_err(|e| invalid("TagResource", &rule.name, &e))?;
    clients
        .events
        .tag_resource()
        .resource_arn(arn)
        .tags(tag)
        .send()
        .await
        .about(rule_id(&rule.name))?;
    Ok(())
}

fn event_tags(name: &str, tags: &Tags) -> Result<Vec<Tag>, AwsError> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid("TagResource", name, &e))
}

/// Create or overwrite the rule itself; tags only count when it is created.
async fn put_rule(client: &Client, rule: &Rule, tags: Option<&Tags>) -> Result<(), AwsError> {
    let tags = tags.map(|t| event_tags(&rule.name, t)).transpose()?;
    client
        .put_rule()
        .name(&rule.name)
        .description(&rule.description)
        .event_pattern(rule.event_pattern.to_string())
        .state(RuleState::Enabled)
        .set_tags(tags)
        .send()
        .await
        .about(rule_id(&rule.name))?;
    Ok(())
}

async fn put_target(client: &Client, rule: &Rule) -> Result<(), AwsError> {
    let target = Target::builder()
        .id(Rule::TARGET_ID)
        .arn(&rule.target_arn)
        .role_arn(&rule.target_role)
        .build()
        .map_err(|e| invalid("PutTargets", &rule.name, &e))?;
    let out = client
        .put_targets()
        .rule(&rule.name)
        .targets(target)
        .send()
        .await
        .about(rule_id(&rule.name))?;
    // PutTargets reports failures per target inside a successful response.
    match out.failed_entries().first() {
        Some(failed) => Err(AwsError {
            operation: "PutTargets",
            subject: rule_id(&rule.name).to_string(),
            code: failed.error_code().map(str::to_owned),
            message: failed
                .error_message()
                .unwrap_or("the target was not added")
                .to_owned(),
            kind: ErrorKind::Other,
        }),
        None => Ok(()),
    }
}

/// PutRule creates or overwrites. No pre-check here: the plan was made from a read of this very
/// name under the pipeline's lock moments ago (a same-named rule pipewright does not own is
/// refused there), and a PutRule repeated after a lost response only rewrites our own rule.
pub(super) async fn create(clients: &super::Clients, rule: &Rule) -> Result<(), AwsError> {
    let client = &clients.events;
    put_rule(client, rule, Some(&rule.tags)).await?;
    put_target(client, rule).await?;
    bucket_events_on(clients, rule).await
}

pub(super) async fn update(
    clients: &super::Clients,
    desired: &Rule,
    live: &Rule,
) -> Result<(), AwsError> {
    let client = &clients.events;
    if desired.bucket_events != live.bucket_events {
        bucket_events_on(clients, desired).await?;
    }
    let name = desired.name.as_str();
    if desired.description != live.description || desired.event_pattern != live.event_pattern {
        put_rule(client, desired, None).await?;
    }
    if desired.target_arn != live.target_arn || desired.target_role != live.target_role {
        put_target(client, desired).await?;
    }
    tags::add_missing(&desired.tags, &live.tags, |missing| async move {
        let arn = describe(client, name)
            .await?
            .and_then(|rule| rule.arn().map(str::to_owned))
            .ok_or_else(|| AwsError {
                operation: "DescribeRule",
                subject: rule_id(name).to_string(),
                code: None,
                message: "the rule is gone, or has no ARN to tag".to_owned(),
                kind: ErrorKind::NotFound,
            })?;
        client
            .tag_resource()
            .resource_arn(arn)
            .set_tags(Some(event_tags(name, &missing)?))
            .send()
            .await
            .about(rule_id(name))
            .map(drop)
    })
    .await
}

/// A rule with targets cannot be deleted: every target goes first (ours and any other). The
/// source bucket's EventBridge delivery is turned off again if pipewright turned it on.
pub(super) async fn delete(clients: &super::Clients, name: &str) -> Result<(), AwsError> {
    let client = &clients.events;
    let Some(targets) = targets(client, name).await? else {
        return Ok(());
    };
    let tags = absent_is_none(
        client
            .list_tags_for_resource()
            .resource_arn(clients.target().rule_arn(name))
            .send()
            .await
            .about(rule_id(name)),
    )?;
    let enabled_by_us = tags.and_then(|t| {
        t.tags()
            .iter()
            .find(|tag| tag.key() == Rule::BUCKET_EVENTS_TAG)
            .map(|tag| tag.value().to_owned())
    });
    if let Some(bucket) = enabled_by_us {
        match s3_source::set_eventbridge(&clients.s3, &bucket, false).await {
            // The user's bucket is gone: nothing of ours is left on it.
            Err(err) if err.is(ErrorKind::NotFound) => {}
            other => {
                other?;
            }
        }
    }
    let ids: Vec<String> = targets.iter().map(|t| t.id().to_owned()).collect();
    // RemoveTargets takes at most 100 ids per call.
    for chunk in ids.chunks(100) {
        let out = client
            .remove_targets()
            .rule(name)
            .set_ids(Some(chunk.to_vec()))
            .send()
            .await
            .about(rule_id(name));
        let out = match out {
            Ok(out) => out,
            Err(err) if err.is(ErrorKind::NotFound) => return Ok(()),
            Err(err) => return Err(err),
        };
        if let Some(failed) = out.failed_entries().first() {
            return Err(AwsError {
                operation: "RemoveTargets",
                subject: rule_id(name).to_string(),
                code: failed.error_code().map(str::to_owned),
                message: failed
                    .error_message()
                    .unwrap_or("a target was not removed")
                    .to_owned(),
                kind: ErrorKind::Other,
            });
        }
    }
    ignore_not_found(
        client
            .delete_rule()
            .name(name)
            .send()
            .await
            .about(rule_id(name)),
    )
}
