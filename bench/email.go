package bench

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rowflow/rowflow/migrations"
	"github.com/rowflow/rowflow/outbound/smtp/smtpserver"
)

// EmailRow is the send_email rows: (a) record write → email accepted by a
// local SMTP server at a fixed rate, from just before the API call to the
// end of DATA (this process's clock); (b) emails/s sustained, first write
// → last email, with the SMTP sessions the server saw (connection reuse).
type EmailRow struct {
	Rate          int     `json:"rate"`
	Sent          int     `json:"sent"`
	Accepted      int     `json:"accepted"`
	Lost          int     `json:"lost"`
	WriteToEmail  Dist    `json:"write_to_email"`
	Total         int     `json:"throughput_emails"`
	EmailsPerSec  float64 `json:"emails_per_sec"`
	ThroughputGot int     `json:"throughput_accepted"`
	Sessions      int64   `json:"smtp_sessions"`
}

// String is the row as printed.
func (r EmailRow) String() string {
	return fmt.Sprintf("rate=%d sent=%d accepted=%d lost=%d | write→email %s\n  throughput: emails=%d accepted=%d emails_per_sec=%.0f smtp_sessions=%d",
		r.Rate, r.Sent, r.Accepted, r.Lost, r.WriteToEmail, r.Total, r.ThroughputGot, r.EmailsPerSec, r.Sessions)
}

// mailSink is the in-process SMTP server of the email rows: it records when
// each record's email (subject = record id) arrived.
type mailSink struct {
	srv *smtpserver.Server
	mu  sync.Mutex
	at  map[string]time.Time
	n   int
}

func newMailSink() (*mailSink, error) {
	s := &mailSink{at: map[string]time.Time{}}
	var err error
	s.srv, err = smtpserver.Start(smtpserver.Opts{OnMessage: func(m smtpserver.Message) {
		now := time.Now()
		s.mu.Lock()
		s.at[m.Header.Get("Subject")] = now
		s.n++
		s.mu.Unlock()
	}})
	return s, err
}

func (s *mailSink) count() int { s.mu.Lock(); defer s.mu.Unlock(); return s.n }

func (s *mailSink) arrived(id string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.at[id]
	return t, ok
}

// Email measures the send_email rows on a server of its own (ROWFLOW_SMTP_URL
// pointing at an in-process SMTP server), in a fresh database.
func Email(ctx context.Context, o Opts, rate int, dur time.Duration, total int) (EmailRow, error) {
	row := EmailRow{Rate: rate, Total: total}
	dbURL, drop, err := freshDatabase(ctx, o.AdminURL)
	if err != nil {
		return row, err
	}
	defer drop()
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		return row, err
	}
	defer pool.Close()
	if err := migrations.Up(ctx, pool, o.Logger); err != nil {
		return row, err
	}
	sink, err := newMailSink()
	if err != nil {
		return row, err
	}
	defer sink.srv.Close()
	srv, err := startServer(ctx, o.Binary, dbURL, []string{fmt.Sprintf("ROWFLOW_SMTP_URL=smtp://%s?tls=none&from=bench@example.com", sink.srv.Addr())})
	if err != nil {
		return row, err
	}
	defer srv.stop()
	a := newAPI(srv.url)
	baseID, tableID, err := a.setupTable("bench email")
	if err != nil {
		return row, err
	}
	if err := a.do("POST", "/api/v1/bases/"+baseID+"/automations", map[string]any{
		"name":    "bench email",
		"trigger": map[string]any{"type": "record_created", "config": map[string]any{"table_id": tableID}},
		"steps": []any{map[string]any{"id": "mail", "type": "send_email", "config": map[string]any{
			"to": "ops@example.com", "subject": "{{trigger.record.id}}", "text": "Order {{trigger.record.fields.Name}}: {{trigger.record.fields.Amount}}",
		}}},
	}, nil, 201); err != nil {
		return row, err
	}
	write := func(i int) (string, error) {
		var r idOnly
		err := a.do("POST", "/api/v1/tables/"+tableID+"/records", map[string]any{"fields": map[string]any{"Name": fmt.Sprintf("order %d", i), "Status": "Done", "Amount": i}}, &r, 201)
		return r.ID, err
	}
	// Warm up connections and caches.
	for i := 0; i < 200; i++ {
		if _, err := write(i); err != nil {
			return row, err
		}
	}
	waitCount(sink, 200, 30*time.Second)

	// (a) fixed rate, open loop.
	n := int(float64(rate) * dur.Seconds())
	interval := time.Second / time.Duration(rate)
	var (
		mu    sync.Mutex
		sent  = map[string]time.Time{}
		first error
		wg    sync.WaitGroup
	)
	start := time.Now()
	for i := 0; i < n && ctx.Err() == nil; i++ {
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			time.Sleep(d)
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			t0 := time.Now()
			id, err := write(i)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if first == nil {
					first = err
				}
				return
			}
			sent[id] = t0
		}(i)
	}
	wg.Wait()
	if first != nil {
		return row, first
	}
	waitCount(sink, 200+len(sent), 30*time.Second)
	var lat []time.Duration
	for id, t0 := range sent {
		if t, ok := sink.arrived(id); ok {
			lat = append(lat, t.Sub(t0))
		}
	}
	row.Sent, row.Accepted, row.Lost, row.WriteToEmail = len(sent), len(lat), len(sent)-len(lat), distOf(lat)

	// (b) sustained: batches of 100 from 8 writers.
	before := sink.count()
	sessions0 := sink.srv.Sessions()
	t0 := time.Now()
	next := make(chan int)
	var werr error
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range next {
				recs := make([]any, 100)
				for i := range recs {
					recs[i] = map[string]any{"fields": map[string]any{"Name": fmt.Sprintf("t%d-%d", b, i), "Amount": i}}
				}
				if err := a.do("POST", "/api/v1/tables/"+tableID+"/records", map[string]any{"records": recs}, nil, 201); err != nil {
					mu.Lock()
					werr = err
					mu.Unlock()
				}
			}
		}()
	}
	for b := 0; b < total/100 && ctx.Err() == nil; b++ {
		next <- b
	}
	close(next)
	wg.Wait()
	if werr != nil {
		return row, werr
	}
	last := waitCount(sink, before+total, 120*time.Second)
	row.ThroughputGot = sink.count() - before
	row.EmailsPerSec = float64(row.ThroughputGot) / last.Sub(t0).Seconds()
	row.Sessions = sink.srv.Sessions() - sessions0
	return row, nil
}

// waitCount waits until the sink holds n emails (or the bound passes) and
// returns when the last one arrived.
func waitCount(s *mailSink, n int, bound time.Duration) time.Time {
	deadline := time.Now().Add(bound)
	for s.count() < n && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var last time.Time
	for _, t := range s.at {
		if t.After(last) {
			last = t
		}
	}
	return last
}

// emailRowLine prefixes the printed row.
var emailRowLine = strings.TrimSpace(`
send_email (record write → email accepted by a local SMTP server, ms; emails/s sustained)`)

// emailRows runs Email (brief with Short) and prints its row.
func emailRows(ctx context.Context, o Opts, res *Result) error {
	dur, total := 10*time.Second, 10000
	if o.Short {
		dur, total = 4*time.Second, 3000
	}
	row, err := Email(ctx, o, 50, dur, total)
	if err != nil {
		return fmt.Errorf("email rows: %w", err)
	}
	res.Email = &row
	fmt.Fprintln(o.Out, emailRowLine)
	fmt.Fprintln(o.Out, "  "+row.String())
	return nil
}
