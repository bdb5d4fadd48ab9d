// The test harness around verify.go: the CLI contract of ../README.md.
package main

import (
	"flag"
	"fmt"
	"os"
)

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
	keys, err := TrustedKeys(read(*jwksFile))
	if err != nil {
		fail(2, "error: the JWK Set: "+err.Error())
	}
	var revoked map[string]bool
	if *revocations != "" {
		revoked, err = RevokedSubs(string(read(*revocations)), keys, *now, *skew, optional(*maxAge))
	}
	var claims *Claims
	if err == nil {
		checks := Checks{*product, *featureCode, *now, *skew, optional(*lastSeen), revoked}
		claims, err = Verify(string(read(flag.Arg(0))), keys, checks)
	}
	if err != nil {
		fail(1, err.Error())
	}
	fmt.Println(string(claims.Raw))
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
		fail(2, "error: "+err.Error())
	}
	return content
}

func fail(status int, message string) {
	fmt.Fprintln(os.Stderr, message)
	os.Exit(status)
}
