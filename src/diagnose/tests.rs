//! Shapes the emulator never produces, with the SDK's HTTP layer replaced by aws-smithy-mocks:
//! build batches, empty streams, throttling, a repeated token at the end, token loss, a 501 from
//! GetPipelineState.

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_cloudwatchlogs::operation::get_log_events::GetLogEventsOutput;
use aws_sdk_cloudwatchlogs::types::OutputLogEvent;
use aws_smithy_mocks::{RuleMode, mock, mock_client};

use super::limiter::Limits;
use super::logs::{self, LogLine, Reader};

fn event(timestamp: i64, message: &str) -> OutputLogEvent {
    OutputLogEvent::builder()
        .timestamp(timestamp)
        .message(format!("{message}\n"))
        .build()
}

fn page(events: Vec<OutputLogEvent>, forward: &str) -> GetLogEventsOutput {
    GetLogEventsOutput::builder()
        .set_events(Some(events))
        .next_forward_token(forward)
        .next_backward_token("b/0")
        .build()
}

fn throttled() -> aws_sdk_cloudwatchlogs::config::http::HttpResponse {
    aws_sdk_cloudwatchlogs::config::http::HttpResponse::new(
        400.try_into().expect("status"),
        aws_smithy_types::body::SdkBody::from(
            r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#,
        ),
    )
}

fn reader(client: &aws_sdk_cloudwatchlogs::Client) -> Reader {
    Reader::new(client).with_backoff(Duration::from_millis(1))
}

/// A reader with a budget far above the quotas (tests with many tiny pages).
fn unlimited(client: &aws_sdk_cloudwatchlogs::Client) -> Reader {
    let limits = Limits {
        get_log_events: super::limiter::RateLimiter::new(100_000, 100_000),
        describe_log_streams: super::limiter::RateLimiter::new(100_000, 100_000),
    };
    Reader::with_limits(client.clone(), Arc::new(limits))
}

async fn read(reader: &Reader) -> Vec<LogLine> {
    let mut lines = Vec::new();
    logs::read_all(reader, "g", "s", None, |line| {
        lines.push(line.clone());
        Ok(())
    })
    .await
    .map_err(|e| format!("{e:?}"))
    .expect("read");
    lines
}

/// The backward chain's answer where a test is about the forward chain: nothing to add.
fn backward_empty() -> aws_smithy_mocks::Rule {
    mock!(aws_sdk_cloudwatchlogs::Client::get_log_events)
        .match_requests(|r| r.start_from_head() == Some(false))
        .then_output(|| page(vec![], "f/0"))
}

#[tokio::test]
async fn an_empty_stream_ends_on_the_repeated_token() {
    let backward = backward_empty();
    let rule = mock!(aws_sdk_cloudwatchlogs::Client::get_log_events)
        .match_requests(|r| r.start_from_head() == Some(true))
        .sequence()
        .output(|| page(vec![], "f/0"))
        .output(|| page(vec![], "f/0"))
        .build();
    let client = mock_client!(
        aws_sdk_cloudwatchlogs,
        RuleMode::MatchAny,
        [&rule, &backward]
    );
    let lines = read(&reader(&client)).await;
    assert!(lines.is_empty());
    assert_eq!(rule.num_calls(), 2);
}

#[tokio::test]
async fn pages_are_read_until_the_token_repeats_and_throttling_is_retried() {
    let backward = backward_empty();
    let rule = mock!(aws_sdk_cloudwatchlogs::Client::get_log_events)
        .match_requests(|r| r.start_from_head() == Some(true))
        .sequence()
        .output(|| page(vec![event(1, "one"), event(2, "two")], "f/1"))
        .http_response(throttled)
        .output(|| page(vec![event(3, "three")], "f/2"))
        .http_response(throttled)
        .times(2)
        .output(|| page(vec![], "f/2"))
        .build();
    let client = mock_client!(
        aws_sdk_cloudwatchlogs,
        RuleMode::MatchAny,
        [&rule, &backward]
    );
    let lines = read(&reader(&client)).await;
    let messages: Vec<&str> = lines.iter().map(|l| l.message.as_str()).collect();
    assert_eq!(messages, ["one", "two", "three"]);
    assert_eq!(rule.num_calls(), 6, "3 pages + 3 throttled attempts");
}

/// A stream of `stamps` served like GetLogEvents: pages of `size`, forward tokens `f/<next
/// index>`, backward tokens `b/<first index>`, the same token back at either end.
fn serve(
    stamps: &'static [i64],
    size: usize,
) -> impl Fn(&aws_sdk_cloudwatchlogs::operation::get_log_events::GetLogEventsInput) -> GetLogEventsOutput
+ Send
+ Sync
+ 'static {
    move |req| {
        let token = req.next_token();
        let head = req.start_from_head().unwrap_or(false);
        let (from, to) = match token.and_then(|t| t.split_once('/')) {
            Some(("f", n)) => {
                let n: usize = n.parse().expect("index");
                (n, (n + size).min(stamps.len()))
            }
            Some(("b", n)) => {
                let n: usize = n.parse().expect("index");
                (n.saturating_sub(size), n)
            }
            _ if head => (0, size.min(stamps.len())),
            _ => (stamps.len().saturating_sub(size), stamps.len()),
        };
        let events = stamps[from..to]
            .iter()
            .enumerate()
            .map(|(i, t)| event(*t, &format!("e{}", from + i)))
            .collect();
        GetLogEventsOutput::builder()
            .set_events(Some(events))
            .next_forward_token(format!("f/{to}"))
            .next_backward_token(format!("b/{from}"))
            .build()
    }
}

#[tokio::test]
async fn two_chains_meet_in_the_middle_without_repeating_or_losing_a_line() {
    // Bursts: many events share a millisecond, and page edges fall inside them.
    static STAMPS: [i64; 40] = [
        1, 1, 1, 2, 2, 3, 3, 3, 3, 3, 3, 3, 4, 5, 5, 5, 5, 5, 5, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 8,
        9, 9, 9, 9, 10, 10, 10, 11, 11, 11,
    ];
    for size in [1, 3, 4, 7, 40, 50] {
        let rule = mock!(aws_sdk_cloudwatchlogs::Client::get_log_events)
            .then_compute_output(serve(&STAMPS, size));
        let client = mock_client!(aws_sdk_cloudwatchlogs, RuleMode::MatchAny, [&rule]);
        let lines = read(&unlimited(&client)).await;
        let messages: Vec<String> = lines.iter().map(|l| l.message.clone()).collect();
        let expected: Vec<String> = (0..STAMPS.len()).map(|i| format!("e{i}")).collect();
        assert_eq!(messages, expected, "page size {size}");
    }
}

#[tokio::test]
async fn one_millisecond_holding_everything_is_read_by_the_forward_chain() {
    static STAMPS: [i64; 12] = [5; 12];
    let rule = mock!(aws_sdk_cloudwatchlogs::Client::get_log_events)
        .then_compute_output(serve(&STAMPS, 5));
    let client = mock_client!(aws_sdk_cloudwatchlogs, RuleMode::MatchAny, [&rule]);
    let lines = read(&reader(&client)).await;
    assert_eq!(lines.len(), 12);
    assert_eq!(lines.last().map(|l| l.message.as_str()), Some("e11"));
}

#[tokio::test]
async fn one_limiter_is_shared_by_clones() {
    let limits = Arc::new(Limits::default());
    let rule =
        mock!(aws_sdk_cloudwatchlogs::Client::get_log_events).then_output(|| page(vec![], "f/0"));
    let client = mock_client!(aws_sdk_cloudwatchlogs, RuleMode::MatchAny, [&rule]);
    let a = Reader::with_limits(client.clone(), limits.clone());
    let b = a.clone();
    let started = tokio::time::Instant::now();
    // 10 calls fit the burst; the 11th and 12th wait for the quota (10 TPS).
    for _ in 0..6 {
        a.next_page("g", "s", None, None).await.expect("page");
        b.next_page("g", "s", None, None).await.expect("page");
    }
    assert!(
        started.elapsed() >= Duration::from_millis(150),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn lines_before_the_failure_stop_at_the_phase_report() {
    let rule = mock!(aws_sdk_cloudwatchlogs::Client::get_log_events)
        .sequence()
        .output(|| {
            GetLogEventsOutput::builder()
                .set_events(Some(vec![
                    event(5, "marker"),
                    event(
                        6,
                        "Phase context status code: COMMAND_EXECUTION_ERROR Message: x",
                    ),
                    event(7, "post build noise"),
                ]))
                .next_forward_token("f/9")
                .next_backward_token("b/5")
                .build()
        })
        .output(|| {
            GetLogEventsOutput::builder()
                .set_events(Some(vec![event(3, "three"), event(4, "four")]))
                .next_forward_token("f/4")
                .next_backward_token("b/3")
                .build()
        })
        .build();
    let client = mock_client!(aws_sdk_cloudwatchlogs, RuleMode::Sequential, [&rule]);
    let is_end = |l: &str| l.contains("Phase context status code: COMMAND_EXECUTION_ERROR");
    let window = logs::Window {
        until: Some(100),
        lines: 3,
        marker: Some(&is_end),
        ..logs::Window::default()
    };
    let lines = logs::read_before(&reader(&client), "g", "s", &window)
        .await
        .expect("read");
    let messages: Vec<&str> = lines.iter().map(|l| l.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "four",
            "marker",
            "Phase context status code: COMMAND_EXECUTION_ERROR Message: x"
        ]
    );
}

#[tokio::test]
async fn a_build_batch_is_explained_by_its_failed_build() {
    use aws_sdk_codebuild::operation::batch_get_build_batches::BatchGetBuildBatchesOutput;
    use aws_sdk_codebuild::operation::batch_get_builds::BatchGetBuildsOutput;
    use aws_sdk_codebuild::types::{
        Build, BuildBatch, BuildGroup, BuildPhase, BuildPhaseType, BuildSummary, PhaseContext,
        StatusType,
    };
    let batches = mock!(aws_sdk_codebuild::Client::batch_get_build_batches)
        .match_requests(|r| r.ids() == ["p:batch1"])
        .then_output(|| {
            BatchGetBuildBatchesOutput::builder()
                .build_batches(
                    BuildBatch::builder()
                        .id("p:batch1")
                        .build_groups(
                            BuildGroup::builder()
                                .current_build_summary(
                                    BuildSummary::builder()
                                        .arn("arn:aws:codebuild:us-east-1:1:build/p:ok")
                                        .build_status(StatusType::Succeeded)
                                        .build(),
                                )
                                .build(),
                        )
                        .build_groups(
                            BuildGroup::builder()
                                .current_build_summary(
                                    BuildSummary::builder()
                                        .arn("arn:aws:codebuild:us-east-1:1:build/p:bad")
                                        .build_status(StatusType::Failed)
                                        .build(),
                                )
                                .build(),
                        )
                        .build(),
                )
                .build()
        });
    let builds = mock!(aws_sdk_codebuild::Client::batch_get_builds)
        .match_requests(|r| r.ids() == ["p:bad"])
        .then_output(|| {
            BatchGetBuildsOutput::builder()
                .builds(
                    Build::builder()
                        .id("p:bad")
                        .build_status(StatusType::Failed)
                        .phases(
                            BuildPhase::builder()
                                .phase_type(BuildPhaseType::Build)
                                .phase_status(StatusType::Failed)
                                .contexts(
                                    PhaseContext::builder()
                                        .status_code("COMMAND_EXECUTION_ERROR")
                                        .message(
                                            "Error while executing command: make. Reason: exit status 2",
                                        )
                                        .build(),
                                )
                                .build(),
                        )
                        .build(),
                )
                .build()
        });
    let client = mock_client!(aws_sdk_codebuild, RuleMode::MatchAny, [&batches, &builds]);
    let report = super::codebuild::inspect(&client, "build-batch/p:batch1")
        .await
        .expect("inspect")
        .expect("a build");
    assert_eq!(report.id, "p:bad");
    assert_eq!(report.batch.as_deref(), Some("p:batch1"));
    assert_eq!(report.command.as_deref(), Some("make"));
    assert_eq!(report.exit_status, Some(2));
    assert_eq!(
        report.failed_phase.map(|p| p.phase),
        Some("BUILD".to_owned())
    );
}

/// A pipeline declaration of a Source (S3) and a Build (CodeBuild) stage.
fn source_and_build_pipeline() -> aws_sdk_codepipeline::operation::get_pipeline::GetPipelineOutput {
    use aws_sdk_codepipeline::operation::get_pipeline::GetPipelineOutput;
    use aws_sdk_codepipeline::types::{
        ActionCategory, ActionDeclaration, ActionOwner, ActionTypeId, PipelineDeclaration,
        StageDeclaration,
    };
    let action = |name: &str, category: ActionCategory, provider: &str| {
        ActionDeclaration::builder()
            .name(name)
            .action_type_id(
                ActionTypeId::builder()
                    .category(category)
                    .owner(ActionOwner::Aws)
                    .provider(provider)
                    .version("1")
                    .build()
                    .expect("type id"),
            )
            .build()
            .expect("action")
    };
    GetPipelineOutput::builder()
        .pipeline(
            PipelineDeclaration::builder()
                .name("p")
                .role_arn("arn:aws:iam::1:role/r")
                .stages(
                    StageDeclaration::builder()
                        .name("Source")
                        .actions(action("Source", ActionCategory::Source, "S3"))
                        .build()
                        .expect("stage"),
                )
                .stages(
                    StageDeclaration::builder()
                        .name("Build")
                        .actions(action("Build", ActionCategory::Build, "CodeBuild"))
                        .build()
                        .expect("stage"),
                )
                .build()
                .expect("pipeline"),
        )
        .build()
}

/// The action executions of a run whose build failed after its source succeeded.
fn failed_build_actions()
-> aws_sdk_codepipeline::operation::list_action_executions::ListActionExecutionsOutput {
    use aws_sdk_codepipeline::operation::list_action_executions::ListActionExecutionsOutput;
    use aws_sdk_codepipeline::primitives::DateTime;
    use aws_sdk_codepipeline::types::{
        ActionExecutionDetail, ActionExecutionOutput, ActionExecutionResult, ActionExecutionStatus,
        ErrorDetails,
    };
    ListActionExecutionsOutput::builder()
        .action_execution_details(
            ActionExecutionDetail::builder()
                .stage_name("Build")
                .action_name("Build")
                .status(ActionExecutionStatus::Failed)
                .start_time(DateTime::from_secs(110))
                .output(
                    ActionExecutionOutput::builder()
                        .execution_result(
                            ActionExecutionResult::builder()
                                .external_execution_id("p-build:1")
                                .error_details(
                                    ErrorDetails::builder()
                                        .code("JobFailed")
                                        .message("Build terminated with state: FAILED")
                                        .build(),
                                )
                                .build(),
                        )
                        .build(),
                )
                .build(),
        )
        .action_execution_details(
            ActionExecutionDetail::builder()
                .stage_name("Source")
                .action_name("Source")
                .status(ActionExecutionStatus::Succeeded)
                .start_time(DateTime::from_secs(100))
                .build(),
        )
        .build()
}

#[tokio::test]
async fn without_get_pipeline_state_the_action_executions_are_read() {
    use aws_sdk_codepipeline::operation::list_pipeline_executions::ListPipelineExecutionsOutput;
    use aws_sdk_codepipeline::primitives::DateTime;
    use aws_sdk_codepipeline::types::{PipelineExecutionStatus, PipelineExecutionSummary};
    let declaration =
        mock!(aws_sdk_codepipeline::Client::get_pipeline).then_output(source_and_build_pipeline);
    let executions =
        mock!(aws_sdk_codepipeline::Client::list_pipeline_executions).then_output(|| {
            ListPipelineExecutionsOutput::builder()
                .pipeline_execution_summaries(
                    PipelineExecutionSummary::builder()
                        .pipeline_execution_id("new")
                        .status(PipelineExecutionStatus::Succeeded)
                        .start_time(DateTime::from_secs(200))
                        .build(),
                )
                .pipeline_execution_summaries(
                    PipelineExecutionSummary::builder()
                        .pipeline_execution_id("old")
                        .status(PipelineExecutionStatus::Failed)
                        .start_time(DateTime::from_secs(100))
                        .build(),
                )
                .build()
        });
    let state = mock!(aws_sdk_codepipeline::Client::get_pipeline_state).then_http_response(|| {
        aws_sdk_codepipeline::config::http::HttpResponse::new(
            501.try_into().expect("status"),
            aws_smithy_types::body::SdkBody::from(
                r#"{"__type":"InternalFailure","message":"API action 'GetPipelineState' for service 'codepipeline' not yet implemented or pro feature"}"#,
            ),
        )
    });
    let actions = mock!(aws_sdk_codepipeline::Client::list_action_executions)
        .match_requests(|r| r.filter().and_then(|f| f.pipeline_execution_id()) == Some("old"))
        .then_output(failed_build_actions);
    let client = mock_client!(
        aws_sdk_codepipeline,
        RuleMode::MatchAny,
        [&declaration, &executions, &state, &actions]
    );
    let view = super::state::load(&client, "p", &super::state::Selector::LatestFailed)
        .await
        .expect("view");
    assert_eq!(view.execution_id.as_deref(), Some("old"));
    assert_eq!(view.origin, super::state::Origin::ActionExecutions);
    let failed = view.failed_action(None, None).expect("a failed action");
    assert_eq!(
        (failed.stage.as_str(), failed.provider.as_str()),
        ("Build", "CodeBuild")
    );
    assert_eq!(failed.external_id.as_deref(), Some("p-build:1"));
    assert_eq!(state.num_calls(), 1);
}

#[tokio::test]
async fn a_rejected_token_is_resumed_from_the_last_timestamp_without_repeating_lines() {
    let rule = mock!(aws_sdk_cloudwatchlogs::Client::get_log_events)
        .sequence()
        .output(|| page(vec![event(1, "a"), event(2, "b")], "f/1"))
        .http_response(|| {
            aws_sdk_cloudwatchlogs::config::http::HttpResponse::new(
                400.try_into().expect("status"),
                aws_smithy_types::body::SdkBody::from(
                    r#"{"__type":"InvalidParameterException","message":"The specified nextToken is invalid."}"#,
                ),
            )
        })
        .build();
    let resumed = mock!(aws_sdk_cloudwatchlogs::Client::get_log_events)
        .match_requests(|r| r.next_token().is_none() && r.start_time() == Some(2))
        .then_output(|| page(vec![event(2, "b"), event(3, "c")], "f/9"));
    let client = mock_client!(
        aws_sdk_cloudwatchlogs,
        RuleMode::Sequential,
        [&rule, &resumed]
    );
    let mut follower = super::tail::Follower::new(reader(&client), "g", "s", None);
    let mut seen = Vec::new();
    for _ in 0..3 {
        seen.extend(
            follower
                .poll()
                .await
                .expect("poll")
                .into_iter()
                .map(|l| l.message),
        );
    }
    assert_eq!(seen, ["a", "b", "c"]);
    assert_eq!(resumed.num_calls(), 1);
}
