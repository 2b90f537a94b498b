// Package outbound is the single way rowflow talks to the outside world:
// webhooks (the send_webhook action), Slack and Teams notifications.
//
// Two concerns live here:
//
//   - The guard (guard.go, client.go). A [Guard] decides which IP addresses an
//     outgoing connection may reach. It refuses loopback, private, link-local
//     (including the cloud metadata address 169.254.169.254), CGNAT,
//     multicast, reserved and documentation ranges and every IPv6 form that
//     embeds an IPv4 address, unless the operator allow-listed the address
//     (ROWFLOW_OUTBOUND_ALLOW_CIDRS, parsed by [ParseCIDRs]). The check runs
//     in the dialer on the *resolved* address, at connect time, so DNS
//     rebinding and "evil.example → 127.0.0.1" records are caught; URLs are
//     only validated syntactically at save time ([ValidateURL], no DNS).
//     Clients from [Guard.Client] never follow redirects and ignore the
//     HTTP(S)_PROXY environment variables.
//
//   - Delivery (sign.go, deliver.go). [Deliver] sends one request following
//     Standard Webhooks (https://www.standardwebhooks.com): webhook-id,
//     webhook-timestamp and, with a secret, webhook-signature ([Sign]). It
//     bounds the time and the response size, decodes JSON answers and
//     classifies failures ([DeliveryError]) as retryable or not, with the
//     server's Retry-After hint.
//
// Error messages never contain the request URL: webhook URLs often carry
// credentials (Slack and Teams incoming-webhook URLs are bearer tokens).
package outbound
