// Package notify holds in-app notifications: the rows notify_user writes,
// a user's list of them (unread first-class, cursor pages, mark read), and
// the Hub that streams them to browsers.
//
// The path of one notification:
//
//	notify_user step ──Insert(tx)──▶ notifications row + pg_notify('rowflow_notifications', json)
//	                                   │ (both commit with the step's completion, or neither)
//	                                   ▼
//	Hub: one dedicated connection, LISTEN, WaitForNotification
//	                                   │ fan-out in process by user id
//	                                   ▼
//	Subscription.C ──▶ GET /api/v1/notifications/stream (Server-Sent Events)
//
// PostgreSQL delivers a NOTIFY only when its transaction commits, so a
// rolled-back completion is never announced. A listener connection that
// drops loses what was sent meanwhile; on reconnecting the Hub tells every
// subscription to resync (Subscription.Resync), and the stream re-reads
// the rows after the last one it sent, so nothing committed is skipped.
package notify
