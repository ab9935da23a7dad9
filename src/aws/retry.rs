//! What the SDK may retry. Its standard strategy retries throttling, 5xx and transient network
//! failures with jittered backoff, which pipewright keeps; but it also counts a refused
//! connection as transient, and eight attempts at a port nobody listens on take ten seconds to
//! say what was known after the first. A refused connection is final here.

use aws_sdk_sts::config::interceptors::InterceptorContext;
use aws_sdk_sts::config::retry::{ClassifyRetry, RetryAction};

/// Forbids a retry when the connection was refused (nothing listens at the endpoint); has no
/// opinion on anything else, so the SDK's own classifiers decide as before.
#[derive(Debug, Clone, Copy)]
pub(super) struct RefusedIsFinal;

impl ClassifyRetry for RefusedIsFinal {
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        match ctx.output_or_error() {
            Some(Err(err)) if err.as_connector_error().is_some_and(|e| is_refused(e)) => {
                RetryAction::RetryForbidden
            }
            _ => RetryAction::NoActionIndicated,
        }
    }

    fn name(&self) -> &'static str {
        "connection refused is final"
    }
}

/// Whether an error's chain holds an I/O error of kind `ConnectionRefused`.
pub(crate) fn is_refused(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(err);
    while let Some(current) = next {
        if current
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused)
        {
            return true;
        }
        next = current.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;
    use std::time::Duration;

    use aws_config::{BehaviorVersion, Region};
    use aws_sdk_sts::config::interceptors::BeforeTransmitInterceptorContextRef;
    use aws_sdk_sts::config::retry::RetryConfig;
    use aws_sdk_sts::config::{ConfigBag, Credentials, Intercept, RuntimeComponents};

    use super::{RefusedIsFinal, is_refused};

    #[derive(Debug)]
    struct Wrapper(std::io::Error);

    impl std::fmt::Display for Wrapper {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("client error (Connect)")
        }
    }

    impl std::error::Error for Wrapper {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    /// Counts the attempts a client makes.
    #[derive(Debug, Default, Clone)]
    struct Attempts(std::sync::Arc<std::sync::atomic::AtomicUsize>);

    impl Intercept for Attempts {
        fn name(&self) -> &'static str {
            "count attempts"
        }

        fn read_before_attempt(
            &self,
            _: &BeforeTransmitInterceptorContextRef<'_>,
            _: &RuntimeComponents,
            _: &mut ConfigBag,
        ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    }

    /// Attempts one call makes to a port nobody listens on, with or without the rule.
    fn attempts_at_a_closed_port(refused_is_final: bool) -> usize {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port(); // the listener is dropped: nothing listens there now
        let attempts = Attempts::default();
        let mut config = aws_sdk_sts::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(format!("http://127.0.0.1:{port}"))
            .credentials_provider(Credentials::new("test", "test", None, None, "test"))
            .retry_config(
                RetryConfig::standard()
                    .with_max_attempts(3)
                    .with_initial_backoff(Duration::from_millis(1)),
            )
            .interceptor(attempts.clone());
        if refused_is_final {
            config = config.retry_classifier(RefusedIsFinal);
        }
        let client = aws_sdk_sts::Client::from_conf(config.build());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let result = runtime.block_on(client.get_caller_identity().send());
        assert!(result.is_err(), "nothing listens on port {port}");
        attempts.0.load(Ordering::SeqCst)
    }

    #[test]
    fn a_refused_connection_is_tried_once_not_retried() {
        assert_eq!(attempts_at_a_closed_port(true), 1);
        // The SDK alone retries it: what the rule is there to stop.
        assert_eq!(attempts_at_a_closed_port(false), 3);
    }

    #[test]
    fn a_refused_connection_is_found_anywhere_in_the_chain() {
        let refused = Wrapper(std::io::ErrorKind::ConnectionRefused.into());
        assert!(is_refused(&refused));
        let reset = Wrapper(std::io::ErrorKind::ConnectionReset.into());
        assert!(!is_refused(&reset));
    }
}
