package kind

import "time"

// RetryPolicy is how a step is tried again after a retryable failure:
// MaxAttempts tries in all (the first included), waiting Delay before the
// second, doubled each time when Exponential, never more than MaxDelay,
// each wait spread by ±20 % when Jitter (so that many runs failing
// together do not come back together). A step's own "retry" overrides
// any part of it.
type RetryPolicy struct {
	MaxAttempts int
	Delay       time.Duration
	Exponential bool
	MaxDelay    time.Duration
	Jitter      bool
}

// RetryDefaulter is an Action whose steps retry by RetryDefaults unless
// the step says otherwise. Actions that call other systems (a webhook, a
// mail server, a chat service) declare ExternalRetry: a receiver may be
// down for seconds or for hours.
type RetryDefaulter interface {
	RetryDefaults() RetryPolicy
}

// DefaultRetry is the policy of actions that declare none — record
// actions, whose failures are rarely transient: 3 attempts, 1 s then 2 s.
var DefaultRetry = RetryPolicy{MaxAttempts: 3, Delay: time.Second, Exponential: true, MaxDelay: time.Hour}

// ExternalRetry is the policy of actions that call out: from 1 s,
// doubling, with jitter, at most 1 h between attempts, 36 attempts —
// about 24 h in all (1+2+…+2048 s ≈ 68 min, then 23 hourly attempts). A
// 10 s outage is over by the 5th attempt (~15 s after the first).
var ExternalRetry = RetryPolicy{MaxAttempts: 36, Delay: time.Second, Exponential: true, MaxDelay: time.Hour, Jitter: true}

// RetryOf returns the default policy of kind k: its RetryDefaults, or
// DefaultRetry.
func RetryOf(k any) RetryPolicy {
	if d, ok := k.(RetryDefaulter); ok {
		return d.RetryDefaults()
	}
	return DefaultRetry
}
