package script

import (
	"context"
	"errors"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
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

// BenchmarkFullMemory runs 2 scripts at once, each filling its memory
// limit (the maximum), and reports the process's resident memory before,
// at its peak (sampled every 2 ms) and after.
func BenchmarkFullMemory(b *testing.B) {
	r := NewRunner(Opts{Concurrency: 2})
	req := Request{Code: hungryScript, Timeout: 20 * time.Second, MemoryBytes: MaxMemoryBytes}
	before := rssMiB()
	peak := before
	for b.Loop() {
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = r.Run(context.Background(), req)
			}()
		}
		stop := make(chan struct{})
		go func() { wg.Wait(); close(stop) }()
		tick := time.NewTicker(2 * time.Millisecond)
	sample:
		for {
			select {
			case <-stop:
				break sample
			case <-tick.C:
				peak = max(peak, rssMiB())
			}
		}
		tick.Stop()
		for _, err := range errs {
			var se *Error
			if !errors.As(err, &se) || se.Kind != KindMemory {
				b.Fatalf("want an out-of-memory error, got %v", err)
			}
		}
	}
	b.ReportMetric(before, "rss-before-MiB")
	b.ReportMetric(peak, "rss-peak-MiB")
	b.ReportMetric(rssMiB(), "rss-after-MiB")
}

// rssMiB is the process's resident set (VmRSS) in MiB.
func rssMiB() float64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// hungryScript fills its memory limit with 1000-byte strings (every byte
// written), the worst case for resident memory.
const hungryScript = "const a = []; for (;;) a.push('x'.repeat(1000) + a.length)"
