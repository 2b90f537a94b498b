package console

import (
	"fmt"
	"html"
	"strings"
	"time"

	"github.com/rowflow/rowflow/automation"
)

// The charts are SVG built on the server from numbers (and escaped
// labels): no script draws them, and each has a text title for screen
// readers.

// sparkline draws counts (oldest first) as a polyline 120×24 with label as
// its accessible name.
func sparkline(counts []int64, label string) string {
	const w, h = 120.0, 24.0
	var peak int64 = 1
	for _, c := range counts {
		peak = max(peak, c)
	}
	var pts strings.Builder
	n := max(len(counts)-1, 1)
	for i, c := range counts {
		x := float64(i) * w / float64(n)
		y := h - 2 - float64(c)*(h-4)/float64(peak)
		fmt.Fprintf(&pts, "%.1f,%.1f ", x, y)
	}
	return fmt.Sprintf(`<svg class="spark" viewBox="0 0 %.0f %.0f" width="%.0f" height="%.0f" role="img" aria-label="%s"><title>%s</title>`+
		`<polyline fill="none" stroke="currentColor" stroke-width="1.5" points="%s"/></svg>`,
		w, h, w, h, html.EscapeString(label), html.EscapeString(label), strings.TrimSpace(pts.String()))
}

// statusColours are the bar colours of each status (also in the CSS
// legend); chosen for contrast on white.
var statusColours = []struct{ Status, Colour string }{
	{automation.RunSucceeded, "#1a7f37"},
	{automation.RunFailed, "#cf222e"},
	{automation.RunSkipped, "#6e7781"},
	{automation.RunCancelled, "#9a6700"},
	{automation.RunRunning, "#0969da"},
	{automation.RunWaiting, "#8250df"},
	{automation.RunQueued, "#57606a"},
}

// statusBars draws the runs of each bucket stacked by status, one bar per
// bucket (oldest left), 640×160, with a title per bar.
func statusBars(s automation.Stats) string {
	const w, h, pad = 640.0, 160.0, 18.0
	if len(s.Buckets) == 0 {
		return `<p class="muted">No runs in this range.</p>`
	}
	var peak int64 = 1
	for _, b := range s.Buckets {
		peak = max(peak, b.Runs)
	}
	slots := bucketSlots(s)
	bw := (w - 2) / float64(slots)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %.0f %.0f" role="img" aria-label="runs by status per %s"><title>Runs by status per %s (peak %d)</title>`, w, h+pad, s.Bucket, s.Bucket, peak)
	for _, bk := range s.Buckets {
		i := bucketIndex(s, bk.Start)
		if i < 0 || i >= slots {
			continue
		}
		x := 1 + float64(i)*bw
		y := h
		var tip []string
		for _, sc := range statusColours {
			n := bk.ByStatus[sc.Status]
			if n == 0 {
				continue
			}
			bh := float64(n) * (h - 4) / float64(peak)
			y -= bh
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`, x, y, max(bw-1, 0.5), bh, sc.Colour)
			tip = append(tip, fmt.Sprintf("%d %s", n, sc.Status))
		}
		fmt.Fprintf(&b, `<rect x="%.1f" y="0" width="%.1f" height="%.0f" fill="transparent"><title>%s: %s</title></rect>`,
			x, max(bw-1, 0.5), h, bk.Start.Format(bucketFormat(s)), html.EscapeString(strings.Join(tip, ", ")))
	}
	fmt.Fprintf(&b, `<line x1="0" y1="%.0f" x2="%.0f" y2="%.0f" stroke="#57606a"/>`, h, w, h)
	fmt.Fprintf(&b, `<text x="0" y="%.0f" font-size="11" fill="#24292f">%s</text>`, h+pad-4, s.From.Format(bucketFormat(s)))
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" font-size="11" fill="#24292f" text-anchor="end">%s</text>`, w, h+pad-4, s.To.Format(bucketFormat(s)))
	b.WriteString(`</svg>`)
	return b.String()
}

// durationLine draws the p50 and p95 run duration per bucket as two
// polylines, 640×120.
func durationLine(s automation.Stats) string {
	const w, h = 640.0, 120.0
	var peak float64
	for _, b := range s.Buckets {
		if b.Duration.P95 != nil {
			peak = max(peak, *b.Duration.P95)
		}
	}
	if peak == 0 {
		return `<p class="muted">No finished runs in this range.</p>`
	}
	slots := bucketSlots(s)
	line := func(get func(automation.Percentiles) *float64) string {
		var pts strings.Builder
		for _, b := range s.Buckets {
			v := get(b.Duration)
			i := bucketIndex(s, b.Start)
			if v == nil || i < 0 || i >= slots {
				continue
			}
			x := (float64(i) + 0.5) * w / float64(slots)
			fmt.Fprintf(&pts, "%.1f,%.1f ", x, h-2-*v*(h-6)/peak)
		}
		return strings.TrimSpace(pts.String())
	}
	return fmt.Sprintf(`<svg class="chart" viewBox="0 0 %.0f %.0f" role="img" aria-label="run duration p50 and p95 per %s"><title>Run duration per %s: p50 (solid) and p95 (dashed), peak %s</title>`+
		`<line x1="0" y1="%.0f" x2="%.0f" y2="%.0f" stroke="#57606a"/>`+
		`<polyline fill="none" stroke="#0969da" stroke-width="2" points="%s"/>`+
		`<polyline fill="none" stroke="#cf222e" stroke-width="2" stroke-dasharray="4 3" points="%s"/>`+
		`<text x="2" y="12" font-size="11" fill="#24292f">%s</text></svg>`,
		w, h, s.Bucket, s.Bucket, secs(&peak), h-1, w, h-1,
		line(func(p automation.Percentiles) *float64 { return p.P50 }),
		line(func(p automation.Percentiles) *float64 { return p.P95 }), secs(&peak))
}

func bucketSize(s automation.Stats) time.Duration {
	if s.Bucket == "hour" {
		return time.Hour
	}
	return 24 * time.Hour
}

func bucketSlots(s automation.Stats) int {
	size := bucketSize(s)
	return max(int(s.To.Sub(s.From.Truncate(size))/size)+1, 1)
}

func bucketIndex(s automation.Stats, start time.Time) int {
	size := bucketSize(s)
	return int(start.Sub(s.From.Truncate(size)) / size)
}

func bucketFormat(s automation.Stats) string {
	if s.Bucket == "hour" {
		return "Jan 2 15:00"
	}
	return "Jan 2"
}
