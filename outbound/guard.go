package outbound

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
)

// ErrBlocked is wrapped by every refusal (errors.Is).
var ErrBlocked = errors.New("outbound: destination address not allowed")

// ParseCIDRs parses a comma/space separated list of CIDRs or bare IPs
// (ROWFLOW_OUTBOUND_ALLOW_CIDRS). A bare IP is a single-address prefix
// (/32 or /128). Prefixes are masked ("10.1.2.3/8" is 10.0.0.0/8). IPv6
// zones are not accepted. Empty (or only separators) → nil.
func ParseCIDRs(s string) ([]netip.Prefix, error) {
	fields := strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == ';'
	})
	if len(fields) == 0 {
		return nil, nil
	}
	out := make([]netip.Prefix, 0, len(fields))
	for _, f := range fields {
		var p netip.Prefix
		if strings.Contains(f, "/") {
			pp, err := netip.ParsePrefix(f)
			if err != nil {
				return nil, fmt.Errorf("outbound: invalid CIDR %q: %w", f, err)
			}
			p = pp.Masked()
		} else {
			a, err := netip.ParseAddr(f)
			if err != nil {
				return nil, fmt.Errorf("outbound: invalid IP %q: %w", f, err)
			}
			if a.Zone() != "" {
				return nil, fmt.Errorf("outbound: invalid IP %q: zones are not allowed", f)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p)
	}
	return out, nil
}

// Guard decides which resolved addresses outgoing connections may reach. It
// is immutable after NewGuard and safe for concurrent use. A Guard owns one
// http.Transport (connection pool) shared by every client it hands out.
//
// A nil *Guard behaves like NewGuard(nil): everything special is refused.
type Guard struct {
	allow     []netip.Prefix
	transport *http.Transport

	// dialHook, when set (tests only), sees every address the dialer is about
	// to connect to, before the check.
	dialHook func(netip.AddrPort)
}

// NewGuard returns a guard that refuses the special ranges listed on
// [Guard.Check] except addresses inside one of allow.
func NewGuard(allow []netip.Prefix) *Guard {
	g := &Guard{}
	for _, p := range allow {
		if p.IsValid() {
			g.allow = append(g.allow, p.Masked())
		}
	}
	g.transport = g.newTransport()
	return g
}

var defaultGuard = NewGuard(nil)

// Allow returns a copy of the allow prefixes.
func (g *Guard) Allow() []netip.Prefix {
	if g == nil {
		return nil
	}
	return append([]netip.Prefix(nil), g.allow...)
}

type rangeRule struct {
	prefix netip.Prefix
	reason string
}

func rules(reasons ...string) []rangeRule {
	out := make([]rangeRule, 0, len(reasons)/2)
	for i := 0; i < len(reasons); i += 2 {
		out = append(out, rangeRule{netip.MustParsePrefix(reasons[i]), reasons[i+1]})
	}
	return out
}

// Order matters only for the reason reported: the more specific first.
var v4Rules = rules(
	"0.0.0.0/32", "unspecified",
	"0.0.0.0/8", "\"this network\" (0.0.0.0/8)",
	"10.0.0.0/8", "private (10.0.0.0/8)",
	"100.64.0.0/10", "carrier-grade NAT (100.64.0.0/10)",
	"127.0.0.0/8", "loopback",
	"169.254.0.0/16", "link-local (169.254.0.0/16, cloud metadata)",
	"172.16.0.0/12", "private (172.16.0.0/12)",
	"192.0.0.0/24", "IETF protocol assignments (192.0.0.0/24)",
	"192.0.2.0/24", "documentation (192.0.2.0/24)",
	"192.88.99.0/24", "6to4 relay anycast (192.88.99.0/24)",
	"192.168.0.0/16", "private (192.168.0.0/16)",
	"198.18.0.0/15", "benchmarking (198.18.0.0/15)",
	"198.51.100.0/24", "documentation (198.51.100.0/24)",
	"203.0.113.0/24", "documentation (203.0.113.0/24)",
	"224.0.0.0/4", "multicast",
	"255.255.255.255/32", "broadcast",
	"240.0.0.0/4", "reserved (240.0.0.0/4)",
)

var v6Rules = rules(
	"::/128", "unspecified",
	"::1/128", "loopback",
	"100::/64", "discard-only (100::/64)",
	"2001:2::/48", "benchmarking (2001:2::/48)",
	"2001:10::/28", "ORCHID (2001:10::/28)",
	"2001:20::/28", "ORCHIDv2 (2001:20::/28)",
	"2001:db8::/32", "documentation (2001:db8::/32)",
	"3fff::/20", "documentation (3fff::/20)",
	"fc00::/7", "unique local (fc00::/7)",
	"fe80::/10", "link-local (fe80::/10)",
	"fec0::/10", "site-local (fec0::/10)",
	"ff00::/8", "multicast",
)

// Only 2000::/3 is global unicast; anything else left after the rules above is
// reserved or unassigned.
var globalUnicast = netip.MustParsePrefix("2000::/3")

var (
	pfxMapped     = netip.MustParsePrefix("::ffff:0:0/96")
	pfxTranslated = netip.MustParsePrefix("::ffff:0:0:0/96")
	pfxCompat     = netip.MustParsePrefix("::/96")
	pfxNAT64      = netip.MustParsePrefix("64:ff9b::/96")
	pfxNAT64Local = netip.MustParsePrefix("64:ff9b:1::/48")
	pfx6to4       = netip.MustParsePrefix("2002::/16")
	pfxTeredo     = netip.MustParsePrefix("2001::/32")
)

// embeddedV4 reports whether ip (IPv6, no zone) is one of the forms that
// carry an IPv4 address, and which one:
//
//	::ffff:a.b.c.d        IPv4-mapped          a.b.c.d
//	::ffff:0:a.b.c.d      IPv4-translated      a.b.c.d
//	::a.b.c.d             IPv4-compatible      a.b.c.d (:: and ::1 excluded)
//	64:ff9b::a.b.c.d      NAT64                a.b.c.d
//	64:ff9b:1::/48        local-use NAT64      the last 32 bits (the usual /96 subdivision)
//	2002:AABB:CCDD::/48   6to4                 the 32 bits after 2002:
//	2001:0:S:S:…:C:C      Teredo               the client address (last 32 bits, inverted)
func embeddedV4(ip netip.Addr) (v4 netip.Addr, form string, ok bool) {
	b := ip.As16()
	last := netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
	switch {
	case pfxMapped.Contains(ip):
		return last, "IPv4-mapped", true
	case pfxTranslated.Contains(ip):
		return last, "IPv4-translated", true
	case pfxCompat.Contains(ip):
		return last, "IPv4-compatible", true
	case pfxNAT64.Contains(ip):
		return last, "NAT64", true
	case pfxNAT64Local.Contains(ip):
		return last, "local-use NAT64", true
	case pfx6to4.Contains(ip):
		return netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}), "6to4", true
	case pfxTeredo.Contains(ip):
		return netip.AddrFrom4([4]byte{^b[12], ^b[13], ^b[14], ^b[15]}), "Teredo", true
	}
	return netip.Addr{}, "", false
}

func match(rs []rangeRule, ip netip.Addr) string {
	for _, r := range rs {
		if r.prefix.Contains(ip) {
			return r.reason
		}
	}
	return ""
}

// v4Reason says why an IPv4 address is special, "" when it is public.
func v4Reason(ip netip.Addr) string { return match(v4Rules, ip) }

func (g *Guard) allowed(ip netip.Addr) bool {
	if g == nil {
		return false
	}
	for _, p := range g.allow {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

func blocked(ip netip.Addr, reason string) error {
	return fmt.Errorf("%w: %s is %s", ErrBlocked, ip, reason)
}

// Check refuses loopback, private (10/8, 172.16/12, 192.168/16, fc00::/7),
// link-local (169.254/16 incl. metadata, fe80::/10), CGNAT 100.64/10,
// unspecified (0.0.0.0, ::), multicast, broadcast, 0.0.0.0/8, 192.0.0.0/24,
// 198.18/15, 240/4, documentation ranges, IPv6 outside 2000::/3 and every
// IPv6 form that embeds an IPv4 address (IPv4-mapped ::ffff:0:0/96,
// IPv4-compatible ::/96, NAT64 64:ff9b::/96 and 64:ff9b:1::/48, 6to4
// 2002::/16, Teredo 2001::/32) — the embedded IPv4 is unwrapped and named in
// the error — unless the address is inside one of the allow prefixes.
//
// For an embedded form, the address is allowed when either the IPv6 address
// itself or the IPv4 it embeds is inside an allow prefix: an allowed
// 127.0.0.0/8 permits 127.0.0.1 and ::ffff:127.0.0.1; an allowed
// 64:ff9b::/96 permits every NAT64 destination.
//
// IPv6 zones are ignored. Every refusal wraps ErrBlocked.
func (g *Guard) Check(ip netip.Addr) error {
	if !ip.IsValid() {
		return fmt.Errorf("%w: invalid address", ErrBlocked)
	}
	ip = ip.WithZone("")
	if g.allowed(ip) {
		return nil
	}
	if ip.Is4() {
		if r := v4Reason(ip); r != "" {
			return blocked(ip, r)
		}
		return nil
	}
	// IPv6. The two special addresses inside ::/96 first.
	if ip == netip.IPv6Unspecified() || ip == netip.IPv6Loopback() {
		return blocked(ip, match(v6Rules, ip))
	}
	if v4, form, ok := embeddedV4(ip); ok {
		if g.allowed(v4) {
			return nil
		}
		if r := v4Reason(v4); r != "" {
			return blocked(ip, fmt.Sprintf("%s, embedding %s which is %s", form, v4, r))
		}
		return blocked(ip, fmt.Sprintf("%s (embeds %s)", form, v4))
	}
	if r := match(v6Rules, ip); r != "" {
		return blocked(ip, r)
	}
	if !globalUnicast.Contains(ip) {
		return blocked(ip, "not global unicast (outside 2000::/3)")
	}
	return nil
}
