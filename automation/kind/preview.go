package kind

import "context"

// Previewer is an Action whose effect is outside the database (a request,
// an email, a chat message, a notification): a dry run
// (POST /automations/{id}/test, mode dry_run) calls Preview instead of
// Execute with the rendered config. Preview checks what Execute would
// check before sending (addresses, the connection, sizes) and returns the
// request Execute would make, WITHOUT making it: no connection is opened,
// nothing is written. The runtime redacts the request with Redact and the
// kind's declared secrets, so Preview returns it as it would go out.
// A Transactional or EffectFree action is executed for real in a dry
// run, inside a transaction that is rolled back; any other action is not
// executed at all (the dry run says it cannot simulate it).
type Previewer interface {
	Preview(ctx context.Context, s *StepContext, cfg any) (Preview, error)
}

// Preview is what a dry run shows of a Previewer step.
type Preview struct {
	// Request is what the step would send (a method, URL, headers and
	// body; an email's envelope and content; a chat payload), as plain
	// JSON-able values.
	Request any
	// Output is the step's output when it is known without sending; nil
	// when only a real execution knows it (an HTTP answer, a message id):
	// later steps that use it get a placeholder.
	Output any
	// Note says in one sentence what a real run would do beyond Request
	// ("signed with webhook-signature", "retried on 5xx").
	Note string
}

// EffectFree is an Action with no effect outside the transaction its ctx
// carries (a read, a sandboxed script, a delay, which only computes when
// to go on): a dry run executes it for real.
type EffectFree interface {
	EffectFree()
}
