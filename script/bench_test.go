package script

import (
	"context"
	"runtime"
	"sort"
	"sync"
	"testing"
	"time"
)

// BenchmarkTrivial is the per-execution overhead: a fresh VM, the
// prelude, a script that reads its input and sets one output. It reports
// p50/p99 per execution beside ns/op.
func BenchmarkTrivial(b *testing.B) {
	r := NewRunner(Opts{Concurrency: 1})
	req := Request{Code: "output.set('y', input.config().x + 1)", Input: map[string]any{"x": 1}, Timeout: time.Second}
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		s := time.Now()
		if _, err := r.Run(context.Background(), req); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(s))
	}
	reportPercentiles(b, lat)
}

// BenchmarkParallel is scripts/s sustained with one slot per CPU.
func BenchmarkParallel(b *testing.B) {
	r := NewRunner(Opts{})
	req := Request{Code: "let s = 0; for (const v of input.config().xs) s += v; output.set('sum', s)", Input: map[string]any{"xs": []int{1, 2, 3, 4}}, Timeout: time.Second}
	b.ResetTimer()
	var mu sync.Mutex
	start := time.Now()
	b.SetParallelism(1)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := r.Run(context.Background(), req); err != nil {
				mu.Lock()
				b.Error(err)
				mu.Unlock()
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "scripts/s")
	_ = runtime.NumCPU()
}

func reportPercentiles(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}
