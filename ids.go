package rowflow

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"strings"
	"time"
)

// ID prefixes of every resource type; the API contract names them.
const (
	PrefixBase         = "bas_"
	PrefixTable        = "tbl_"
	PrefixField        = "fld_"
	PrefixRecord       = "rec_"
	PrefixView         = "viw_"
	PrefixForm         = "frm_"
	PrefixToken        = "tok_"
	PrefixAutomation   = "aut_"
	PrefixRun          = "run_"
	PrefixWebhook      = "whk_"
	PrefixUser         = "usr_"
	PrefixNotification = "ntf_"
	PrefixConnection   = "con_"
)

const crockford = "0123456789abcdefghjkmnpqrstvwxyz"

// NewID returns prefix + 26 characters: 48 bits of milliseconds then 80
// random bits, Crockford base32. IDs created later sort after earlier ones
// (to the millisecond), which keeps id-ordered lists in creation order.
func NewID(prefix string) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(time.Now().UnixMilli())<<16)
	if _, err := rand.Read(b[6:]); err != nil {
		panic("rowflow: crypto/rand failed: " + err.Error())
	}
	return encodeID(prefix, b)
}

// RunIDFor is the id of the run of automation automationID for the event
// key eventKey: a pure function of the pair, which runs are unique by. A
// run started again for the same event (its matching repeated after a
// crash) has the same id, so its steps' idempotency keys — the
// webhook-id of send_webhook — are the same too.
func RunIDFor(automationID, eventKey string) string {
	sum := sha256.Sum256([]byte(automationID + "\x00" + eventKey))
	var b [16]byte
	copy(b[:], sum[:16])
	return encodeID(PrefixRun, b)
}

// encodeID is prefix + the 128 bits of b as 26 Crockford base32 digits.
func encodeID(prefix string, b [16]byte) string {
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
