package bench

import (
	"fmt"
	"math"
	"sort"
	"time"
)

// Dist summarizes a sample of durations in milliseconds.
type Dist struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50_ms"`
	P95 float64 `json:"p95_ms"`
	P99 float64 `json:"p99_ms"`
	Max float64 `json:"max_ms"`
}

// distOf computes the percentiles (nearest rank) of ds.
func distOf(ds []time.Duration) Dist {
	if len(ds) == 0 {
		return Dist{}
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	q := func(p float64) float64 {
		i := int(math.Ceil(p*float64(len(s)))) - 1
		i = max(0, min(i, len(s)-1))
		return ms(s[i])
	}
	return Dist{N: len(s), P50: q(0.50), P95: q(0.95), P99: q(0.99), Max: ms(s[len(s)-1])}
}

func ms(d time.Duration) float64 { return math.Round(float64(d)/float64(time.Microsecond)) / 1000 }

// String is "p50=… p95=… p99=… max=…" in ms.
func (d Dist) String() string {
	return fmt.Sprintf("p50=%.2f p95=%.2f p99=%.2f max=%.2f", d.P50, d.P95, d.P99, d.Max)
}
