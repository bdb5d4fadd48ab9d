// Verifies a licensedesk license offline (docs/license-format.md, "Verifying"), in its order of
// checks, with the JDK only. Copy this file, Jws.java (key set, header, signature) and Json.java
// (the JDK has no JSON parser); add Revocations.java to check a revocation list. Main.java is
// the test harness.
import java.security.PublicKey;
import java.util.*;
import java.util.stream.Stream;

public final class Verify {
  /** A verdict: one of the format's error codes and why. */
  static final class Rejected extends Exception {
    final String code;

    Rejected(String code, String message) {
      super(code + ": " + message);
      this.code = code;
    }
  }

  static final String WHITESPACE = "[\\t\\n\\u000b\\f\\r ]";
  static final String BEGIN = "-----BEGIN LICENSE-----", END = "-----END LICENSE-----";
  static final double MAX_SAFE = 9007199254740991.0; // 2^53 - 1, JavaScript's largest safe integer

  static void require(boolean ok, String code, String message) throws Rejected {
    if (!ok) throw new Rejected(code, message);
  }

  /** A JSON integer (1 or 1.0) within [low, 2^53 - 1], as JavaScript reads it; else null. */
  static Long integer(Object value, double low) {
    if (!(value instanceof Double d) || d != Math.floor(d) || d < low || d > MAX_SAFE) return null;
    return d.longValue();
  }

  static boolean isText(Map<?, ?> object, String name) {
    return object.get(name) instanceof String;
  }

  static boolean isVersion1(Map<?, ?> claims) {
    return Long.valueOf(1).equals(integer(claims.get("v"), 1));
  }

  /** ASCII whitespace and '-' dropped, a-z upper-cased; nothing else (no Unicode rules). */
  static String normalise(String code) {
    StringBuilder out = new StringBuilder();
    for (char c : code.toCharArray()) {
      if ("\t\n\u000b\f\r -".indexOf(c) < 0) out.append(c >= 'a' && c <= 'z' ? (char) (c - 32) : c);
    }
    return out.toString();
  }

  /** Verifies a license: the claims' JSON text as signed, or a Rejected with the format's code. */
  static String verify(String text, Map<String, PublicKey> keys, String product, String featureCode,
      long now, Long lastSeen, long skew, Set<String> revoked) throws Exception {
    int start = text.indexOf(BEGIN) + BEGIN.length(), end = text.indexOf(END, start);
    String inner = start < BEGIN.length() || end < 0 ? "" : text.substring(start, end);
    String jws = inner.replaceAll(WHITESPACE, "");
    boolean isJws = jws.length() <= 16_384 && Jws.COMPACT_JWS.matcher(jws).matches();
    require(isJws, "BAD_ARMOR", "no armored compact JWS in the text");
    String[] codes = {"BAD_ARMOR", "UNKNOWN_KEY", "BAD_SIGNATURE"};
    String signed = Jws.signedClaims(jws, "license+jwt", keys, codes);
    if (!(Json.parse(signed) instanceof Map<?, ?> claims)) {
      throw new Rejected("BAD_ARMOR", "the claims are not a JSON object");
    }
    require(isVersion1(claims), "UNSUPPORTED_VERSION", "format version " + claims.get("v"));
    Long iat = integer(claims.get("iat"), -MAX_SAFE), nbf = integer(claims.get("nbf"), -MAX_SAFE);
    Long exp = integer(claims.get("exp"), -MAX_SAFE);
    boolean valid = iat != null && nbf != null && exp != null
        && integer(claims.get("qty"), 1) != null && claims.get("cust") instanceof Map<?, ?> cust
        && Stream.of("iss", "sub", "aud", "fc", "app").allMatch(name -> isText(claims, name))
        && Stream.of("name", "company", "email").allMatch(name -> isText(cust, name));
    require(valid, "BAD_ARMOR", "the claims do not match format v1");
    String sub = (String) claims.get("sub"), aud = (String) claims.get("aud");
    String fc = (String) claims.get("fc");
    require(revoked == null || !revoked.contains(sub), "REVOKED", sub + " is revoked");
    require(aud.equals(product), "WRONG_PRODUCT", "the license is for product " + aud);
    boolean sameMachine = normalise(fc).equals(normalise(featureCode));
    require(sameMachine, "WRONG_FEATURE_CODE", "the license is for another machine (" + fc + ")");
    long floor = Math.max(iat, lastSeen == null ? iat : lastSeen);
    require(now >= floor - skew, "CLOCK_ROLLBACK", "the clock reads before " + floor);
    require(now >= nbf - skew, "NOT_YET_VALID", "the license is valid from " + nbf);
    require(now < exp + skew, "EXPIRED", "the license expired at " + exp);
    return signed;
  }
}
