// Package kind holds the contracts every trigger and action kind is
// written against, so that a kind is one file outside the runtime:
//
//   - Trigger (every trigger) with optional interfaces: RecordMatcher
//     (fires on record changes), NeedsViewAtMatch (reads a view's filter
//     when it matches, so creates of its table are not matched at write
//     time), Lifecycle (keeps rows of its own as automations are saved,
//     enabled, disabled, deleted), Tester (builds a test's trigger data:
//     from a record, or from the kind's own last occurrence; TestSourcer
//     names it);
//   - Action (every step kind) with optional Transactional (its writes
//     commit with the step's completion), Verbatim (config keys that
//     are never templates, such as a script's code), Previewer (what a
//     dry run shows instead of sending: preview.go) and EffectFree (a dry
//     run may execute it: no effect outside its transaction);
//   - SecretHolder (either kind): where its config holds secrets; Redact is
//     the one function that hides them in API answers, stored run input
//     and logs;
//   - Validator (what a kind's Validate sees at save time), StepContext
//     and ActionError (what Execute sees and returns), Records (the narrow
//     view of the record service kinds use);
//   - Registry: the kinds one process knows, built in app.
//
// Kinds import this package, record (its types), outbound and the pure
// evaluators; never the runtime, db or River. Their dependencies are
// fields set by app (action.SendWebhook{HTTP: …}).
package kind
