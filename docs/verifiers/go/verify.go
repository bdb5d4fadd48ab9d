// Verifies a licensedesk license offline (docs/license-format.md, "Verifying"), in its order of
// checks, with the standard library only (crypto/ed25519). CLI contract: ../README.md.
package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"regexp"
	"strings"
	"unicode/utf8"
)

var (
	compactJWS = regexp.MustCompile(`^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$`)
	whitespace = regexp.MustCompile(`[\t\n\v\f\r ]`)
	ignored    = regexp.MustCompile(`[\t\n\v\f\r -]`)
	b64        = base64.RawURLEncoding
)

// Rejected is a verdict: one of the format's error codes and why.
type Rejected struct{ Code, Message string }

func (r *Rejected) Error() string { return r.Code + ": " + r.Message }

type object = map[string]any

// Keys maps a kid, the RFC 7638 thumbprint of a trusted key, to the key.
type Keys = map[string]ed25519.PublicKey

// Checks is what the product knows: who it is, the machine, the time, the revoked ids.
type Checks struct {
	Product, FeatureCode string
	Now, Skew            int64           // unix seconds; skew applies to every time comparison
	LastSeen             *int64          // the latest time the product has seen, if any
	Revoked              map[string]bool // from a verified revocation list, if any
}

// segmentJSON decodes one base64url segment of UTF-8 JSON; numbers stay json.Number.
func segmentJSON(segment string) any {
	raw, err := b64.DecodeString(segment)
	if err != nil || !utf8.Valid(raw) {
		return nil
	}
	var value any
	decoder := json.NewDecoder(bytes.NewReader(raw))
	decoder.UseNumber()
	if decoder.Decode(&value) != nil || decoder.More() {
		return nil
	}
	return value
}

// integer reports a JSON integer (1 or 1.0) within [low, 2^53 - 1], as JavaScript reads it.
func integer(value any, low float64) (int64, bool) {
	number, ok := value.(json.Number)
	f, err := number.Float64()
	if !ok || err != nil || f != math.Trunc(f) || f < low || f > 1<<53-1 {
		return 0, false
	}
	return int64(f), true
}

func isString(value any) bool { _, ok := value.(string); return ok }

func normalise(code string) string { // ASCII whitespace and '-' dropped, a-z upper-cased only
	return strings.Map(func(r rune) rune {
		if 'a' <= r && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}, ignored.ReplaceAllString(code, ""))
}

// trustedKeys maps each key's RFC 7638 thumbprint, its kid, to the key.
func trustedKeys(jwks struct{ Keys []object }) (Keys, error) {
	keys := Keys{}
	for _, jwk := range jwks.Keys {
		if jwk["kty"] != "OKP" || jwk["crv"] != "Ed25519" {
			continue
		}
		encoded, _ := jwk["x"].(string)
		digest := sha256.Sum256([]byte(`{"crv":"Ed25519","kty":"OKP","x":"` + encoded + `"}`))
		kid := b64.EncodeToString(digest[:])
		x, err := b64.DecodeString(encoded)
		if named, ok := jwk["kid"]; err != nil || len(x) != ed25519.PublicKeySize || ok && named != kid {
			return nil, fmt.Errorf("the JWK %v is not an Ed25519 key named by its thumbprint", named)
		}
		keys[kid] = x
	}
	return keys, nil
}

// signedClaims checks header, key and signature (steps 1-3), failing with codes[0], [1] or [2].
func signedClaims(jws, typ string, keys Keys, codes [3]string) (any, error) {
	parts := strings.Split(jws, ".")
	header, _ := segmentJSON(parts[0]).(object)
	kid, _ := header["kid"].(string)
	_, crit := header["crit"]
	if header["alg"] != "EdDSA" || header["typ"] != typ || kid == "" || crit {
		return nil, &Rejected{codes[0], "the header must be {alg: EdDSA, typ: " + typ + ", kid}, no crit"}
	}
	key, ok := keys[kid]
	if !ok {
		return nil, &Rejected{codes[1], "signed by an unknown key (" + kid + ")"}
	}
	// Only the canonical spelling of a 64-byte signature: 86 characters, unused bits zero.
	signature, err := b64.Strict().DecodeString(parts[2])
	input := []byte(parts[0] + "." + parts[1])
	if err != nil || len(parts[2]) != 86 || !ed25519.Verify(key, input, signature) {
		return nil, &Rejected{codes[2], "the signature does not verify: altered"}
	}
	return segmentJSON(parts[1]), nil
}

// revokedSubs verifies a revocation list: the set of revoked ids, or BAD/STALE_REVOCATION_LIST.
func revokedSubs(text string, keys Keys, now, skew int64, maxAge *int64) (map[string]bool, error) {
	bad := func(message string) error { return &Rejected{"BAD_REVOCATION_LIST", message} }
	jws := strings.Trim(text, "\t\n\v\f\r ")
	if len(text) > 1<<20 || !compactJWS.MatchString(jws) {
		return nil, bad("not a compact JWS of at most 1 MiB")
	}
	codes := [3]string{"BAD_REVOCATION_LIST", "BAD_REVOCATION_LIST", "BAD_REVOCATION_LIST"}
	payload, err := signedClaims(jws, "license-revocations+jwt", keys, codes)
	if err != nil {
		return nil, err
	}
	claims, _ := payload.(object)
	iat, iatOK := integer(claims["iat"], 0)
	entries, listOK := claims["revoked"].([]any)
	if !isVersion1(claims["v"]) || !isString(claims["iss"]) || !iatOK || !listOK {
		return nil, bad("the list claims are not {v: 1, iss, iat, revoked}")
	}
	subs := map[string]bool{}
	for _, value := range entries {
		entry, _ := value.(object)
		sub, subOK := entry["sub"].(string)
		if _, ratOK := integer(entry["rat"], 0); !subOK || !ratOK || subs[sub] {
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

func isVersion1(value any) bool { v, ok := integer(value, 1); return ok && v == 1 }

// Verify checks a license and returns its claims, or a *Rejected with the format's code.
func Verify(text string, keys Keys, checks Checks) (object, error) {
	const begin, end = "-----BEGIN LICENSE-----", "-----END LICENSE-----"
	jws := ""
	if start := strings.Index(text, begin); start >= 0 {
		if stop := strings.Index(text[start+len(begin):], end); stop >= 0 {
			jws = whitespace.ReplaceAllString(text[start+len(begin):start+len(begin)+stop], "")
		}
	}
	if len(jws) > 16384 || !compactJWS.MatchString(jws) {
		return nil, &Rejected{"BAD_ARMOR", "no armored compact JWS in the text"}
	}
	codes := [3]string{"BAD_ARMOR", "UNKNOWN_KEY", "BAD_SIGNATURE"}
	payload, err := signedClaims(jws, "license+jwt", keys, codes)
	if err != nil {
		return nil, err
	}
	claims, isObject := payload.(object)
	if !isObject {
		return nil, &Rejected{"BAD_ARMOR", "the claims are not a JSON object"}
	}
	if !isVersion1(claims["v"]) {
		return nil, &Rejected{"UNSUPPORTED_VERSION", fmt.Sprintf("format version %v", claims["v"])}
	}
	iat, iatOK := integer(claims["iat"], -(1<<53 - 1))
	nbf, nbfOK := integer(claims["nbf"], -(1<<53 - 1))
	exp, expOK := integer(claims["exp"], -(1<<53 - 1))
	_, qtyOK := integer(claims["qty"], 1)
	cust, _ := claims["cust"].(object)
	valid := iatOK && nbfOK && expOK && qtyOK && cust != nil
	for _, name := range []string{"iss", "sub", "aud", "fc", "app"} {
		valid = valid && isString(claims[name])
	}
	for _, name := range []string{"name", "company", "email"} {
		valid = valid && isString(cust[name])
	}
	if !valid {
		return nil, &Rejected{"BAD_ARMOR", "the claims do not match format v1"}
	}
	sub, aud, fc := claims["sub"].(string), claims["aud"].(string), claims["fc"].(string)
	now, skew, floor := checks.Now, checks.Skew, iat
	if checks.LastSeen != nil && *checks.LastSeen > floor {
		floor = *checks.LastSeen
	}
	switch {
	case checks.Revoked[sub]:
		return nil, &Rejected{"REVOKED", "the license " + sub + " is revoked"}
	case aud != checks.Product:
		return nil, &Rejected{"WRONG_PRODUCT", "the license is for product " + aud}
	case normalise(fc) != normalise(checks.FeatureCode):
		return nil, &Rejected{"WRONG_FEATURE_CODE", "the license is for another machine (" + fc + ")"}
	case now < floor-skew:
		return nil, &Rejected{"CLOCK_ROLLBACK", fmt.Sprintf("the clock reads before %d", floor)}
	case now < nbf-skew:
		return nil, &Rejected{"NOT_YET_VALID", fmt.Sprintf("the license is valid from %d", nbf)}
	case now >= exp+skew:
		return nil, &Rejected{"EXPIRED", fmt.Sprintf("the license expired at %d", exp)}
	}
	return claims, nil
}

func main() {
	jwksFile := flag.String("jwks", "", "the trusted JWK Set (JSON file)")
	product := flag.String("product", "", "this product's id")
	featureCode := flag.String("feature-code", "", "this machine's feature code")
	now := flag.Int64("now", -1, "the current time, unix seconds")
	lastSeen := flag.Int64("last-seen", -1, "the latest time this product has seen, unix seconds")
	skew := flag.Int64("clock-skew", 300, "tolerance of every time comparison, seconds")
	revocations := flag.String("revocations", "", "a revocation list (compact JWS file)")
	maxAge := flag.Int64("revocations-max-age", -1, "refuse an older revocation list, seconds")
	flag.Parse()
	if flag.NArg() != 1 || *jwksFile == "" || *product == "" || normalise(*featureCode) == "" ||
		*now < 0 || *skew < 0 {
		fail(2, "usage: verify --jwks <file> --product <id> --feature-code <code> --now <s> "+
			"[options] <license file>")
	}
	var jwks struct{ Keys []object }
	if err := json.Unmarshal(read(*jwksFile), &jwks); err != nil {
		fail(2, "the JWK Set: "+err.Error())
	}
	keys, err := trustedKeys(jwks)
	if err != nil {
		fail(2, err.Error())
	}
	var revoked map[string]bool
	if *revocations != "" {
		revoked, err = revokedSubs(string(read(*revocations)), keys, *now, *skew, optional(*maxAge))
	}
	var claims object
	if err == nil {
		checks := Checks{*product, *featureCode, *now, *skew, optional(*lastSeen), revoked}
		claims, err = Verify(string(read(flag.Arg(0))), keys, checks)
	}
	if err != nil {
		fail(1, err.Error())
	}
	out, _ := json.MarshalIndent(claims, "", "  ")
	fmt.Println(string(out))
}

func optional(seconds int64) *int64 { // flags left at -1 were not given
	if seconds < 0 {
		return nil
	}
	return &seconds
}

func read(path string) []byte {
	content, err := os.ReadFile(path)
	if err != nil {
		fail(2, err.Error())
	}
	return content
}

func fail(status int, message string) {
	fmt.Fprintln(os.Stderr, message)
	os.Exit(status)
}
