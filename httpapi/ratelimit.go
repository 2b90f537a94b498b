package httpapi

import (
	"crypto/sha256"
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"golang.org/x/time/rate"
)

// RateLimits are the request limits of the API, each kept per process in
// memory (golang.org/x/time/rate token buckets; several API processes
// each apply them). 0 turns a limit off. A request over a limit answers
// 429 with Retry-After (whole seconds).
type RateLimits struct {
	// AuthFailuresPerMinute is how many failed authentications (a bearer
	// token that is not valid) one client IP may make per minute, in a
	// burst of the same size; beyond it every authenticated request of
	// that IP is refused until the bucket refills (brute force).
	AuthFailuresPerMinute int
	// FormSubmitsPerMinute is how many form submissions one client IP may
	// make per minute (burst the same): each may fire automations that
	// call out.
	FormSubmitsPerMinute int
	// TokenRequestsPerSecond is how many requests one token may make per
	// second, in a burst of twice that.
	TokenRequestsPerSecond int
}

// limiter is a set of token buckets by key, forgetting keys idle for
// longer than it takes a bucket to refill.
type limiter struct {
	limit rate.Limit
	burst int
	mu    sync.Mutex
	keys  map[string]*bucket
	swept time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// newLimiter returns a limiter of perSecond events a second with burst,
// or nil (no limit) when perSecond is 0.
func newLimiter(perSecond float64, burst int) *limiter {
	if perSecond <= 0 || burst <= 0 {
		return nil
	}
	return &limiter{limit: rate.Limit(perSecond), burst: burst, keys: map[string]*bucket{}}
}

func (l *limiter) get(key string, now time.Time) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	refill := time.Duration(float64(l.burst)/float64(l.limit)*float64(time.Second)) + time.Minute
	if now.Sub(l.swept) > refill {
		for k, b := range l.keys {
			if now.Sub(b.seen) > refill {
				delete(l.keys, k)
			}
		}
		l.swept = now
	}
	b, ok := l.keys[key]
	if !ok {
		b = &bucket{lim: rate.NewLimiter(l.limit, l.burst)}
		l.keys[key] = b
	}
	b.seen = now
	return b.lim
}

// take spends one event of key's bucket; when none is left it spends
// nothing and returns how long until one is.
func (l *limiter) take(key string) (ok bool, wait time.Duration) {
	if l == nil {
		return true, 0
	}
	now := time.Now()
	r := l.get(key, now).ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// blocked reports whether key's bucket is empty (without spending), and
// how long until it holds one event again.
func (l *limiter) blocked(key string) (bool, time.Duration) {
	if l == nil {
		return false, 0
	}
	now := time.Now()
	lim := l.get(key, now)
	if tokens := lim.TokensAt(now); tokens < 1 {
		return true, time.Duration((1 - tokens) / float64(l.limit) * float64(time.Second))
	}
	return false, 0
}

// limiters are the API's limiters (nil fields: off).
type limiters struct {
	authFailures *limiter
	formSubmits  *limiter
	tokens       *limiter
}

func newLimiters(l RateLimits) *limiters {
	return &limiters{
		authFailures: newLimiter(float64(l.AuthFailuresPerMinute)/60, l.AuthFailuresPerMinute),
		formSubmits:  newLimiter(float64(l.FormSubmitsPerMinute)/60, l.FormSubmitsPerMinute),
		tokens:       newLimiter(float64(l.TokenRequestsPerSecond), 2*l.TokenRequestsPerSecond),
	}
}

// clientIP is the limiter key of a remote address: its IPv4 address, or
// the /64 network of an IPv6 one (a single client usually holds a whole
// /64, and could otherwise rotate addresses past every limit).
// X-Forwarded-For is not trusted: behind a proxy every client shares the
// proxy's limits.
func clientIP(remote string) string {
	host := remote
	if h, _, err := net.SplitHostPort(remote); err == nil {
		host = h
	}
	ip := net.ParseIP(host)
	if ip == nil || ip.To4() != nil {
		return host
	}
	return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

// tokenKey is the limiter key of a bearer secret (a hash: the limiter
// keeps no secret).
func tokenKey(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return string(sum[:16])
}

// tooMany answers 429 with Retry-After: wait rounded up to whole seconds.
func tooMany(api huma.API, ctx huma.Context, wait time.Duration, what string) {
	secs := int(math.Ceil(wait.Seconds()))
	ctx.SetHeader("Retry-After", strconv.Itoa(max(secs, 1)))
	_ = huma.WriteErr(api, ctx, http.StatusTooManyRequests, "too many "+what+": retry after "+strconv.Itoa(max(secs, 1))+" s")
}

// formRateMiddleware limits form submissions per client IP (operations
// with Metadata "rate": "form_submit").
func formRateMiddleware(api huma.API, l *limiters) func(huma.Context, func(huma.Context)) {
	return func(ctx huma.Context, next func(huma.Context)) {
		if kind, _ := ctx.Operation().Metadata["rate"].(string); kind == rateFormSubmit {
			if ok, wait := l.formSubmits.take(clientIP(ctx.RemoteAddr())); !ok {
				tooMany(api, ctx, wait, "form submissions from this address")
				return
			}
		}
		next(ctx)
	}
}

// rateFormSubmit is the "rate" metadata of form submissions.
const rateFormSubmit = "form_submit"
