package store

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
)

// Identifier kinds with their own normalization.
const (
	// KindEmail is an email address; it is compared case-insensitively.
	KindEmail = "email"
)

// Tombstone replaces buyer_pseudonym on a row that erasure anonymized. It is not valid hex, so it can never equal
// a pseudonym, and it is the same for every erased row, so anonymized rows cannot be linked to each other.
const Tombstone = "erased"

// ErrInvalidPseudonym is returned when a value passed as a pseudonym is not one Pseudonymize could have produced.
// Checking the shape stops a caller from passing a raw email or buyer id, which would be stored or searched in
// plain text.
var ErrInvalidPseudonym = errors.New("store: not a pseudonym (want 64 lowercase hex digits from Pseudonymize)")

// Pseudonymize returns the pseudonym of a data subject's identifier: lowercase hex of
// HMAC-SHA256(key, kind + ":" + normalized value). The key is the tenant's own, so the same buyer gets unrelated
// pseudonyms in different tenants. Normalization trims surrounding space and lowercases emails, so the pseudonym a
// sync stores and the one a data-subject request computes agree.
func Pseudonymize(key []byte, kind, value string) string {
	v := strings.TrimSpace(value)
	if kind == KindEmail {
		v = strings.ToLower(v)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(kind + ":" + v))
	return hex.EncodeToString(mac.Sum(nil))
}

func validPseudonym(p string) bool {
	if len(p) != sha256.Size*2 {
		return false
	}
	for i := range len(p) {
		c := p[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// checkSubjects validates the pseudonyms of a data-subject operation. The error never quotes the value.
func checkSubjects(pseudonyms []string) error {
	if len(pseudonyms) == 0 {
		return errors.New("store: no subject pseudonyms given")
	}
	for _, p := range pseudonyms {
		if !validPseudonym(p) {
			return ErrInvalidPseudonym
		}
	}
	return nil
}
