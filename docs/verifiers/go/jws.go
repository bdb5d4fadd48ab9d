// The signed-JSON plumbing of verify.go and revocations.go: the trusted keys, the JWS header
// and Ed25519 signature (steps 1-3 of docs/license-format.md, "Verifying"), typed JSON members.
package main

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strings"
	"unicode/utf8"
)

var (
	compactJWS = regexp.MustCompile(`^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$`)
	b64        = base64.RawURLEncoding
)

// Rejected is a verdict: one of the format's error codes and why.
type Rejected struct{ Code, Message string }

func (r *Rejected) Error() string { return r.Code + ": " + r.Message }

// Keys maps a kid, the RFC 7638 thumbprint of a trusted key, to the key.
type Keys = map[string]ed25519.PublicKey

// TrustedKeys reads a JWK Set; a JWK whose kid is not its thumbprint is an error.
func TrustedKeys(jwks []byte) (Keys, error) {
	var set struct {
		Keys []struct {
			Kty, Crv, X string
			Kid         *string
		}
	}
	if err := json.Unmarshal(jwks, &set); err != nil {
		return nil, err
	}
	keys := Keys{}
	for _, jwk := range set.Keys {
		if jwk.Kty != "OKP" || jwk.Crv != "Ed25519" {
			continue
		}
		digest := sha256.Sum256([]byte(`{"crv":"Ed25519","kty":"OKP","x":"` + jwk.X + `"}`))
		kid := b64.EncodeToString(digest[:])
		x, err := b64.DecodeString(jwk.X)
		if err != nil || len(x) != ed25519.PublicKeySize || jwk.Kid != nil && *jwk.Kid != kid {
			return nil, fmt.Errorf("the JWK %s is not an Ed25519 key named by its thumbprint", kid)
		}
		keys[kid] = x
	}
	return keys, nil
}

// decode reads one base64url segment of UTF-8 JSON into value.
func decode(segment string, value any) bool {
	raw, err := b64.DecodeString(segment)
	return err == nil && utf8.Valid(raw) && json.Unmarshal(raw, value) == nil
}

type members = map[string]json.RawMessage

// member decodes the member name of an object into target: false if it is missing, null or
// of another type.
func member(object members, name string, target any) bool {
	raw, found := object[name]
	return found && string(raw) != "null" && json.Unmarshal(raw, target) == nil
}

// integer decodes a JSON integer (1 or 1.0) within [low, 2^53 - 1], as JavaScript reads it.
func integer(object members, name string, low float64, target *int64) bool {
	var f float64
	ok := member(object, name, &f) && f == math.Trunc(f) && f >= low && f <= 1<<53-1
	*target = int64(f)
	return ok
}

// signedClaims checks header, key and signature (steps 1-3), failing with codes[0], [1] or [2].
func signedClaims(jws, typ string, keys Keys, codes [3]string) (string, error) {
	parts := strings.Split(jws, ".")
	var header struct {
		Alg, Typ, Kid string
		Crit          json.RawMessage
	}
	if !decode(parts[0], &header) || header.Alg != "EdDSA" || header.Typ != typ ||
		header.Kid == "" || header.Crit != nil {
		return "", &Rejected{codes[0], "the header must be {alg: EdDSA, typ: " + typ + ", kid}"}
	}
	key, known := keys[header.Kid]
	if !known {
		return "", &Rejected{codes[1], "signed by an unknown key (" + header.Kid + ")"}
	}
	// Only the canonical spelling of a 64-byte signature: 86 characters, unused bits zero.
	signature, err := b64.Strict().DecodeString(parts[2])
	input := []byte(parts[0] + "." + parts[1])
	if err != nil || len(parts[2]) != 86 || !ed25519.Verify(key, input, signature) {
		return "", &Rejected{codes[2], "the signature does not verify: altered"}
	}
	return parts[1], nil
}
