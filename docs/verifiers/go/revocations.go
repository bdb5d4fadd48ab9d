// Optional: verifies a revocation list (docs/license-format.md, "Revocation list") and returns
// the revoked license ids, for Checks.Revoked.
package main

import (
	"fmt"
	"strings"
)

// RevokedSubs verifies a revocation list as served, or fails with BAD/STALE_REVOCATION_LIST.
func RevokedSubs(text string, keys Keys, now, skew int64, maxAge *int64) (map[string]bool, error) {
	bad := func(message string) error { return &Rejected{"BAD_REVOCATION_LIST", message} }
	jws := strings.Trim(text, "\t\n\v\f\r ")
	if len(text) > 1<<20 || !compactJWS.MatchString(jws) {
		return nil, bad("not a compact JWS of at most 1 MiB")
	}
	codes := [3]string{"BAD_REVOCATION_LIST", "BAD_REVOCATION_LIST", "BAD_REVOCATION_LIST"}
	segment, err := signedClaims(jws, "license-revocations+jwt", keys, codes)
	if err != nil {
		return nil, err
	}
	var claims members
	var entries []members
	var v, iat, rat int64
	var iss string
	if !decode(segment, &claims) || !integer(claims, "v", 1, &v) || v != 1 ||
		!member(claims, "iss", &iss) || !integer(claims, "iat", 0, &iat) ||
		!member(claims, "revoked", &entries) {
		return nil, bad("the list claims are not {v: 1, iss, iat, revoked}")
	}
	subs := map[string]bool{}
	for _, entry := range entries {
		var sub string
		if !member(entry, "sub", &sub) || !integer(entry, "rat", 0, &rat) || subs[sub] {
			return nil, bad("an entry is not {sub, rat}, or names a license twice")
		}
		subs[sub] = true
	}
	if iat > now+skew {
		return nil, bad("the revocation list is issued in the future")
	}
	if maxAge != nil && now > iat+*maxAge+skew {
		message := fmt.Sprintf("the list is older than %d s", *maxAge)
		return nil, &Rejected{"STALE_REVOCATION_LIST", message}
	}
	return subs, nil
}
