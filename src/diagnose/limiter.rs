//! One rate limiter shared by every reader of CloudWatch Logs in the process.
//!
//! CloudWatch Logs quotas are per account and Region (GetLogEvents 10 TPS, DescribeLogStreams
//! 5 TPS), so concurrent readers — time windows of one stream, or many followed streams — must
//! draw from one budget rather than each keep its own. This is GCRA (a token bucket without a
//! timer): a burst of `burst` calls goes at once, then one every `1/rate` seconds. A throttling
//! answer pushes the next slot back for everyone ([`RateLimiter::penalize`]), so all readers back
//! off together instead of each hammering the quota on its own schedule.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

#[derive(Debug)]
pub struct RateLimiter {
    interval: Duration,
    /// How far ahead of now the schedule may run: `(burst - 1) × interval`.
    tolerance: Duration,
    /// The theoretical arrival time of the next call.
    next: Mutex<Option<Instant>>,
}

impl RateLimiter {
    /// `rate` calls per second, `burst` of them at once.
    #[must_use]
    pub fn new(rate: u32, burst: u32) -> Self {
        let interval = Duration::from_secs(1) / rate.max(1);
        Self {
            interval,
            tolerance: interval * burst.max(1).saturating_sub(1),
            next: Mutex::new(None),
        }
    }

    /// Wait for a slot.
    pub async fn acquire(&self) {
        let wait = self.reserve(Instant::now());
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }

    /// Reserve the next slot at `now`; returns how long to wait for it.
    fn reserve(&self, now: Instant) -> Duration {
        let mut next = self
            .next
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let tat = next.map_or(now, |t| t.max(now));
        let allowed = tat.checked_sub(self.tolerance).unwrap_or(now).max(now);
        *next = Some(tat + self.interval);
        allowed - now
    }

    /// Nobody calls for `pause` from now (after a throttling answer).
    pub fn penalize(&self, pause: Duration) {
        let now = Instant::now();
        let mut next = self
            .next
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let resume = now + pause + self.tolerance;
        if next.is_none_or(|t| t < resume) {
            *next = Some(resume);
        }
    }
}

/// The CloudWatch Logs read quotas pipewright stays under.
#[derive(Debug)]
pub struct Limits {
    pub get_log_events: RateLimiter,
    pub describe_log_streams: RateLimiter,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            get_log_events: RateLimiter::new(10, 10),
            describe_log_streams: RateLimiter::new(5, 5),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::time::Instant;

    use super::RateLimiter;

    #[test]
    fn a_burst_goes_at_once_then_one_call_per_interval() {
        let limiter = RateLimiter::new(10, 3);
        let now = Instant::now();
        let waits: Vec<Duration> = (0..6).map(|_| limiter.reserve(now)).collect();
        assert_eq!(&waits[..3], &[Duration::ZERO; 3]);
        assert_eq!(waits[3], Duration::from_millis(100));
        assert_eq!(waits[4], Duration::from_millis(200));
        assert_eq!(waits[5], Duration::from_millis(300));
    }

    #[test]
    fn idle_time_refills_the_burst() {
        let limiter = RateLimiter::new(10, 2);
        let start = Instant::now();
        limiter.reserve(start);
        limiter.reserve(start);
        let later = start + Duration::from_secs(5);
        assert_eq!(limiter.reserve(later), Duration::ZERO);
        assert_eq!(limiter.reserve(later), Duration::ZERO);
        assert_eq!(limiter.reserve(later), Duration::from_millis(100));
    }

    #[test]
    fn a_penalty_delays_everyone() {
        let limiter = RateLimiter::new(10, 1);
        limiter.penalize(Duration::from_secs(1));
        let wait = limiter.reserve(Instant::now());
        assert!(wait > Duration::from_millis(900), "{wait:?}");
    }
}
