package engine

import (
	"crypto/rand"
	"encoding/binary"
	"strings"
	"time"
)

// ID prefixes of every resource type; the API contract names them.
const (
	PrefixBase       = "bas_"
	PrefixTable      = "tbl_"
	PrefixField      = "fld_"
	PrefixRecord     = "rec_"
	PrefixView       = "viw_"
	PrefixForm       = "frm_"
	PrefixToken      = "tok_"
	PrefixAutomation = "aut_"
	PrefixRun        = "run_"
	PrefixWebhook    = "whk_"
)

const crockford = "0123456789abcdefghjkmnpqrstvwxyz"

// NewID returns prefix + 26 characters: 48 bits of milliseconds then 80
// random bits, Crockford base32. IDs created later sort after earlier ones
// (to the millisecond), which keeps id-ordered lists in creation order.
func NewID(prefix string) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(time.Now().UnixMilli())<<16)
	if _, err := rand.Read(b[6:]); err != nil {
		panic("engine: crypto/rand failed: " + err.Error())
	}
	var sb strings.Builder
	sb.Grow(len(prefix) + 26)
	sb.WriteString(prefix)
	// 128 bits → 26 base32 digits (the top digit holds 3 bits).
	hi := binary.BigEndian.Uint64(b[:8])
	lo := binary.BigEndian.Uint64(b[8:])
	var out [26]byte
	for i := 25; i >= 0; i-- {
		out[i] = crockford[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	sb.Write(out[:])
	return sb.String()
}
