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
// Actions that are not Previewers are executed for real in a dry run,
// inside a transaction that is rolled back (the record actions, reads,
// scripts, delays): they must have no effect outside that transaction.
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
