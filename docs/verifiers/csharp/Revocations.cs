// Optional: verifies a revocation list (docs/license-format.md, "Revocation list") and returns
// the revoked license ids, to pass to Verify.Check.
using System.Collections.Generic;
using System.Linq;
using System.Xml;

public static class Revocations {
  // The ids a verified revocation list names, or BAD_REVOCATION_LIST / STALE_REVOCATION_LIST.
  public static HashSet<string> RevokedSubs(string text, Dictionary<string, byte[]> keys,
      long now, long skew, long? maxAge) {
    const string bad = "BAD_REVOCATION_LIST";
    string jws = text.Trim(Verify.Whitespace.ToCharArray());
    bool isJws = text.Length <= 1048576 && Jws.Compact.IsMatch(jws);
    Verify.Require(isJws, bad, "not a compact JWS of at most 1 MiB");
    string segment = Jws.SignedClaims(jws, "license-revocations+jwt", keys, bad, bad, bad);
    var claims = Json.Segment(segment);
    long? iat = Json.Integer(Json.Member(claims, "iat"), 0);
    var entries = Json.Member(claims, "revoked");
    bool shape = Json.IsVersion1(claims) && Json.Text(claims, "iss") != null && iat != null
      && Json.Type(entries) == "array";
    Verify.Require(shape, bad, "the claims are not {v: 1, iss, iat, revoked}");
    var subs = new HashSet<string>();
    foreach (var entry in entries.ChildNodes.OfType<XmlElement>()) {
      string sub = Json.Text(entry, "sub");
      bool ok = sub != null && Json.Integer(Json.Member(entry, "rat"), 0) != null && subs.Add(sub);
      Verify.Require(ok, bad, "an entry is not {sub, rat}, or names a license twice");
    }
    Verify.Require(iat <= now + skew, bad, "the revocation list is issued in the future");
    bool fresh = maxAge == null || now <= iat + maxAge + skew;
    Verify.Require(fresh, "STALE_REVOCATION_LIST", "the list is older than " + maxAge + " s");
    return subs;
  }
}
