// Package teams posts Adaptive Cards to Microsoft Teams Workflows webhooks
// (plain JSON, no library). It is a client and nothing else.
package teams
