package automation

import (
	"net/http"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rowflow/rowflow/automation/action"
	"github.com/rowflow/rowflow/automation/kind"
	"github.com/rowflow/rowflow/automation/trigger"
	"github.com/rowflow/rowflow/outbound"
	"github.com/rowflow/rowflow/record"
)

// newTestRuntime is a Runtime on pool with its own record service (whose
// hook it is), as app wires them, and the kinds these tests use: the
// record triggers and the record actions plus send_webhook (which may
// only reach loopback). opts.Pool, Records and Kinds are set here.
func newTestRuntime(t *testing.T, pool *pgxpool.Pool, opts Opts) *Runtime {
	t.Helper()
	recs := record.New(record.Opts{Pool: pool})
	opts.Pool, opts.Records = pool, recs
	opts.Kinds = kind.NewRegistry(
		[]kind.Trigger{trigger.RecordCreated{}, trigger.RecordUpdated{}, trigger.RecordDeleted{}, trigger.FormSubmitted{Records: recs}},
		[]kind.Action{action.CreateRecord{Records: recs}, action.UpdateRecord{Records: recs}, action.SendWebhook{HTTP: loopbackClient()}},
	)
	rt := New(opts)
	recs.SetHook(rt)
	return rt
}

func loopbackClient() *http.Client {
	allow, _ := outbound.ParseCIDRs("127.0.0.0/8")
	return outbound.NewGuard(allow).Client(0)
}
