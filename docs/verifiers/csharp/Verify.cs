// Verifies a licensedesk license offline (docs/license-format.md, "Verifying"), in its order of
// checks. Mono or .NET Framework; copy this file, Jws.cs (key set, header, signature; Ed25519
// from libsodium) and Json.cs (JSON as XML); add Revocations.cs to check a revocation list.
// Cli.cs is the test harness.
using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;

public sealed class Rejected : Exception {
  public readonly string Code;
  public Rejected(string code, string message) : base(code + ": " + message) { Code = code; }
}

public static class Verify {
  const string Begin = "-----BEGIN LICENSE-----", End = "-----END LICENSE-----";
  public const string Whitespace = "\t\n\v\f\r ";

  public static void Require(bool ok, string code, string message) {
    if (!ok) throw new Rejected(code, message);
  }

  // ASCII whitespace and '-' dropped, a-z upper-cased; nothing else (no Unicode rules).
  public static string Normalise(string code) =>
    new string(code.Where(c => (Whitespace + "-").IndexOf(c) < 0)
      .Select(c => c >= 'a' && c <= 'z' ? (char) (c - 32) : c).ToArray());

  // Verifies a license: the claims' JSON text as signed, or a Rejected with the format's code.
  public static string Check(string text, Dictionary<string, byte[]> keys, string product,
      string featureCode, long now, long? lastSeen, long skew, HashSet<string> revoked) {
    int start = text.IndexOf(Begin, StringComparison.Ordinal) + Begin.Length;
    int end = start < Begin.Length ? -1 : text.IndexOf(End, start, StringComparison.Ordinal);
    string inner = end < 0 ? "" : text.Substring(start, end - start);
    string jws = new string(inner.Where(c => Whitespace.IndexOf(c) < 0).ToArray());
    bool isJws = jws.Length <= 16384 && Jws.Compact.IsMatch(jws);
    Require(isJws, "BAD_ARMOR", "no armored compact JWS in the text");
    string[] codes = { "BAD_ARMOR", "UNKNOWN_KEY", "BAD_SIGNATURE" };
    string segment = Jws.SignedClaims(jws, "license+jwt", keys, codes);
    var claims = Json.Segment(segment);
    Require(Json.Type(claims) == "object", "BAD_ARMOR", "the claims are not a JSON object");
    Require(Json.IsVersion1(claims), "UNSUPPORTED_VERSION", "the format version is not 1");
    long? iat = Json.Integer(Json.Member(claims, "iat"), -Json.MaxSafe);
    long? nbf = Json.Integer(Json.Member(claims, "nbf"), -Json.MaxSafe);
    long? exp = Json.Integer(Json.Member(claims, "exp"), -Json.MaxSafe);
    var cust = Json.Member(claims, "cust");
    bool valid = iat != null && nbf != null && exp != null
      && Json.Integer(Json.Member(claims, "qty"), 1) != null
      && new[] { "iss", "sub", "aud", "fc", "app" }.All(name => Json.Text(claims, name) != null)
      && new[] { "name", "company", "email" }.All(name => Json.Text(cust, name) != null);
    Require(valid, "BAD_ARMOR", "the claims do not match format v1");
    string sub = Json.Text(claims, "sub"), aud = Json.Text(claims, "aud");
    string fc = Json.Text(claims, "fc");
    Require(revoked == null || !revoked.Contains(sub), "REVOKED", sub + " is revoked");
    Require(aud == product, "WRONG_PRODUCT", "the license is for product " + aud);
    bool sameMachine = Normalise(fc) == Normalise(featureCode);
    Require(sameMachine, "WRONG_FEATURE_CODE", "the license is for another machine (" + fc + ")");
    long floor = Math.Max(iat.Value, lastSeen ?? iat.Value);
    Require(now >= floor - skew, "CLOCK_ROLLBACK", "the clock reads before " + floor);
    Require(now >= nbf - skew, "NOT_YET_VALID", "the license is valid from " + nbf);
    Require(now < exp + skew, "EXPIRED", "the license expired at " + exp);
    return new UTF8Encoding(false, true).GetString(Jws.FromB64(segment));
  }
}
