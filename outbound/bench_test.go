package outbound

import (
	"bytes"
	"testing"
	"time"
)

func BenchmarkSign(b *testing.B) {
	body := bytes.Repeat([]byte(`{"k":"v"},`), 103)[:1024] // 1 KiB
	ts := time.Unix(1700000000, 0)
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		_ = Sign(secret, "run_01HZY.step_3", ts, body)
	}
}
