// Verifies a licensedesk license offline (docs/license-format.md, "Verifying"), in its order of
// checks, with the standard library only. Copy this file and jws.go (the signature and JSON
// plumbing); add revocations.go to check a revocation list. cli.go is the test harness.
package main

import (
	"fmt"
	"regexp"
	"strings"
)

var whitespace = regexp.MustCompile(`[\t\n\v\f\r ]`)

// Checks is what the product knows: who it is, the machine, the time, the revoked ids.
type Checks struct {
	Product, FeatureCode string
	Now, Skew            int64           // unix seconds; skew applies to every time comparison
	LastSeen             *int64          // the latest time the product has seen, if any
	Revoked              map[string]bool // from RevokedSubs, if there is a revocation list
}

// Claims are a license's v1 claims; Raw is their JSON as signed (with any claims not known).
type Claims struct {
	Iss, Sub, Aud, Fc, App string
	Iat, Nbf, Exp, Qty     int64
	Name, Company, Email   string // the customer, cust
	Raw                    []byte
}

// normalise drops ASCII whitespace and '-' and upper-cases a-z; nothing else.
func normalise(code string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case strings.ContainsRune("\t\n\v\f\r -", r):
			return -1
		case 'a' <= r && r <= 'z':
			return r - 'a' + 'A'
		}
		return r
	}, code)
}

// Verify checks a license and returns its claims, or a *Rejected with the format's code.
func Verify(text string, keys Keys, checks Checks) (*Claims, error) {
	const begin, end = "-----BEGIN LICENSE-----", "-----END LICENSE-----"
	jws := ""
	if _, armored, found := strings.Cut(text, begin); found {
		if inner, _, found := strings.Cut(armored, end); found {
			jws = whitespace.ReplaceAllString(inner, "")
		}
	}
	if len(jws) > 16384 || !compactJWS.MatchString(jws) {
		return nil, &Rejected{"BAD_ARMOR", "no armored compact JWS in the text"}
	}
	codes := [3]string{"BAD_ARMOR", "UNKNOWN_KEY", "BAD_SIGNATURE"}
	segment, err := signedClaims(jws, "license+jwt", keys, codes)
	if err != nil {
		return nil, err
	}
	var claims, cust members
	if !decode(segment, &claims) || claims == nil {
		return nil, &Rejected{"BAD_ARMOR", "the claims are not a JSON object"}
	}
	var v int64
	if !integer(claims, "v", 1, &v) || v != 1 {
		return nil, &Rejected{"UNSUPPORTED_VERSION", "format version " + string(claims["v"])}
	}
	var c Claims
	c.Raw, _ = b64.DecodeString(segment)
	valid := member(claims, "cust", &cust) && integer(claims, "qty", 1, &c.Qty)
	for name, target := range map[string]*int64{"iat": &c.Iat, "nbf": &c.Nbf, "exp": &c.Exp} {
		valid = valid && integer(claims, name, -(1<<53-1), target)
	}
	texts := map[string]*string{"iss": &c.Iss, "sub": &c.Sub, "aud": &c.Aud, "fc": &c.Fc,
		"app": &c.App}
	for name, target := range texts {
		valid = valid && member(claims, name, target)
	}
	customer := map[string]*string{"name": &c.Name, "company": &c.Company, "email": &c.Email}
	for name, target := range customer {
		valid = valid && member(cust, name, target)
	}
	if !valid {
		return nil, &Rejected{"BAD_ARMOR", "the claims do not match format v1"}
	}
	now, skew, floor := checks.Now, checks.Skew, c.Iat
	if checks.LastSeen != nil && *checks.LastSeen > floor {
		floor = *checks.LastSeen
	}
	switch {
	case checks.Revoked[c.Sub]:
		return nil, &Rejected{"REVOKED", "the license " + c.Sub + " is revoked"}
	case c.Aud != checks.Product:
		return nil, &Rejected{"WRONG_PRODUCT", "the license is for product " + c.Aud}
	case normalise(c.Fc) != normalise(checks.FeatureCode):
		return nil, &Rejected{"WRONG_FEATURE_CODE", "the license is for another machine " + c.Fc}
	case now < floor-skew:
		return nil, &Rejected{"CLOCK_ROLLBACK", fmt.Sprintf("the clock reads before %d", floor)}
	case now < c.Nbf-skew:
		return nil, &Rejected{"NOT_YET_VALID", fmt.Sprintf("valid from %d", c.Nbf)}
	case now >= c.Exp+skew:
		return nil, &Rejected{"EXPIRED", fmt.Sprintf("the license expired at %d", c.Exp)}
	}
	return &c, nil
}
