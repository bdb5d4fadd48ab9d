// Optional: verifies a revocation list (docs/license-format.md, "Revocation list") and returns
// the revoked license ids, to pass to Verify.verify.
import java.security.PublicKey;
import java.util.*;

final class Revocations {
  /** The ids a verified revocation list names, or BAD_REVOCATION_LIST / STALE_REVOCATION_LIST. */
  static Set<String> revokedSubs(String text, Map<String, PublicKey> keys, long now, long skew,
      Long maxAge) throws Exception {
    String bad = "BAD_REVOCATION_LIST";
    String jws = text.replaceAll("^" + Verify.WHITESPACE + "+|" + Verify.WHITESPACE + "+$", "");
    boolean isJws = text.length() <= 1_048_576 && Jws.COMPACT_JWS.matcher(jws).matches();
    Verify.require(isJws, bad, "not a compact JWS of at most 1 MiB");
    String signed = Jws.signedClaims(jws, "license-revocations+jwt", keys, bad, bad, bad);
    Map<?, ?> claims = Json.parse(signed) instanceof Map<?, ?> map ? map : Map.of();
    Long iat = Verify.integer(claims.get("iat"), 0);
    boolean shape = Verify.isVersion1(claims) && claims.get("iss") instanceof String && iat != null;
    Verify.require(shape && claims.get("revoked") instanceof List, bad, "the claims are not v1's");
    Set<String> subs = new HashSet<>();
    for (Object value : (List<?>) claims.get("revoked")) {
      boolean ok = value instanceof Map<?, ?> entry && entry.get("sub") instanceof String sub
          && Verify.integer(entry.get("rat"), 0) != null && subs.add(sub);
      Verify.require(ok, bad, "an entry is not {sub, rat}, or names a license twice");
    }
    Verify.require(iat <= now + skew, bad, "the revocation list is issued in the future");
    boolean fresh = maxAge == null || now <= iat + maxAge + skew;
    Verify.require(fresh, "STALE_REVOCATION_LIST", "the list is older than " + maxAge + " s");
    return subs;
  }
}
