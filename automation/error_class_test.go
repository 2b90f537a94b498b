package automation

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/db"
	"github.com/rowflow/rowflow/dbtest"
)

// TestErrorClassMatchesSQL: ErrorClass gives real step error texts (those
// the kinds, outbound, the scripts and the runtime write) the class
// rowflow_error_class (the rollup's trigger) gives them, the class the
// table expects; a missing error (NULL) is other in SQL.
func TestErrorClassMatchesSQL(t *testing.T) {
	t.Parallel()
	pool := dbtest.New(t)
	q := db.New(pool)
	null, err := q.ErrorClass(context.Background(), nil)
	require.NoError(t, err)
	require.Equal(t, ErrorOther, null)
	for msg, want := range map[string]string{
		"loop_detected: this run would be 9 automation writes deep (the maximum is 8); origin run run_abc": ErrorLoopDetected,
		"step 2 abandoned after 5 attempt(s): outbound: delivery failed: status 500":                       ErrorAbandoned,
		"outbound: delivery failed: status 429":                                                            ErrorHTTP429,
		"slack: status 429":                                                                                ErrorHTTP429,
		"outbound: delivery failed: status 404":                                                            ErrorHTTP4xx,
		"outbound: delivery failed: status 400":                                                            ErrorHTTP4xx,
		"outbound: delivery failed: status 500":                                                            ErrorHTTP5xx,
		"outbound: delivery failed: status 503":                                                            ErrorHTTP5xx,
		"teams: status 502":                                                                                ErrorHTTP5xx,
		`outbound: delivery failed: Post "http://127.0.0.1:9/hook": context deadline exceeded`:             ErrorTimeout,
		"the script ran longer than its timeout (30s)":                                                     ErrorTimeout,
		"reading records: the script's time is up":                                                         ErrorTimeout,
		`outbound: delivery failed: Post "http://127.0.0.1:9/hook": dial tcp 127.0.0.1:9: connect: connection refused`: ErrorConnection,
		`outbound: delivery failed: Post "http://nowhere.invalid/": dial tcp: lookup nowhere.invalid: no such host`:    ErrorConnection,
		`outbound: delivery failed: Post "http://127.0.0.1:9/hook": EOF`:                                               ErrorConnection,
		"smtp: read tcp 10.0.0.1:4000->10.0.0.2:25: read: connection reset by peer":                                    ErrorConnection,
		"context canceled":               ErrorCancelled,
		"Error: nope (line 1, column 7)": ErrorScript,
		"TypeError: Cannot read property 'x' of undefined (line 3, column 12)": ErrorScript,
		"the script awaited a promise that never settles":                      ErrorScript,
		`"soon" is not a duration (like 90s, 10m, 1h30m or 2d)`:                ErrorInvalidData,
		`Amount: expected a number, got "abc"`:                                 ErrorInvalidData,
		"outbound: delivery failed: URL is not valid":                          ErrorInvalidData,
		`base.getTable: no table "Nope" in this base`:                          ErrorInvalidData,
		"outbound: delivery failed: destination address not allowed":           ErrorOther,
		"boom": ErrorOther,
		"":     ErrorOther,
	} {
		require.Equal(t, want, ErrorClass(msg), "Go class of %q", msg)
		got, err := q.ErrorClass(context.Background(), &msg)
		require.NoError(t, err)
		require.Equal(t, want, got, "SQL class of %q", msg)
	}
}
