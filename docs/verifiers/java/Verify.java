// Verifies a licensedesk license offline (docs/license-format.md, "Verifying"), in its order of
// checks, with the JDK only (Ed25519 since Java 15; the JDK has no JSON, so a small reader is
// below). CLI contract: ../README.md.
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.*;
import java.util.regex.Pattern;

public final class Verify {
  /** A verdict: one of the format's error codes and why. */
  static final class Rejected extends Exception {
    final String code;
    Rejected(String code, String message) { super(code + ": " + message); this.code = code; }
  }

  static final Pattern COMPACT_JWS = Pattern.compile("[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+");
  static final String BEGIN = "-----BEGIN LICENSE-----", END = "-----END LICENSE-----";
  /** SubjectPublicKeyInfo of an Ed25519 key (RFC 8410) without its 32 key bytes. */
  static final byte[] SPKI = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};
  static final Base64.Decoder B64 = Base64.getUrlDecoder();
  static final Base64.Encoder B64_OUT = Base64.getUrlEncoder().withoutPadding();

  /** kid (the RFC 7638 thumbprint) → key, for every Ed25519 key of a JWK Set. */
  static Map<String, PublicKey> trustedKeys(String jwks) throws Exception {
    Map<String, PublicKey> keys = new HashMap<>();
    for (Object value : (List<?>) ((Map<?, ?>) Json.parse(jwks)).get("keys")) {
      Map<?, ?> jwk = (Map<?, ?>) value;
      if (!"OKP".equals(jwk.get("kty")) || !"Ed25519".equals(jwk.get("crv"))) continue;
      String x = (String) jwk.get("x"), members = "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"" + x + "\"}";
      String kid = B64_OUT.encodeToString(MessageDigest.getInstance("SHA-256").digest(members.getBytes(StandardCharsets.UTF_8)));
      if (jwk.containsKey("kid") && !kid.equals(jwk.get("kid"))) throw new IllegalArgumentException("the JWK " + jwk.get("kid") + " is not named by its thumbprint");
      byte[] spki = Arrays.copyOf(SPKI, 44);
      System.arraycopy(B64.decode(x), 0, spki, 12, 32);
      keys.put(kid, KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki)));
    }
    return keys;
  }

  /** The JSON text inside a base64url segment, or null when it is not base64url UTF-8. */
  static String segmentText(String segment) {
    try {
      return StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(B64.decode(segment))).toString();
    } catch (IllegalArgumentException | CharacterCodingException e) { return null; }
  }

  static Object segmentJson(String text) {
    try { return text == null ? null : Json.parse(text); } catch (RuntimeException e) { return null; }
  }

  /** Steps 1-3: header, key, signature; failing with codes[0], [1] or [2]. Returns the claims' JSON text. */
  static String signedClaims(String jws, String typ, Map<String, PublicKey> keys, String... codes) throws Exception {
    String[] parts = jws.split("\\.");
    Map<?, ?> header = segmentJson(segmentText(parts[0])) instanceof Map<?, ?> map ? map : Map.of();
    Object kid = header.get("kid");
    if (!"EdDSA".equals(header.get("alg")) || !typ.equals(header.get("typ")) || !(kid instanceof String)
        || ((String) kid).isEmpty() || header.containsKey("crit")) {
      throw new Rejected(codes[0], "the header must be {alg: EdDSA, typ: " + typ + ", kid}, no crit");
    }
    PublicKey key = keys.get(kid);
    if (key == null) throw new Rejected(codes[1], "signed by an unknown key (" + kid + ")");
    // Only the canonical spelling of a 64-byte signature: 86 characters that re-encode alike.
    byte[] signature = parts[2].length() == 86 ? B64.decode(parts[2]) : new byte[0];
    Signature ed25519 = Signature.getInstance("Ed25519");
    ed25519.initVerify(key);
    ed25519.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
    if (!B64_OUT.encodeToString(signature).equals(parts[2]) || !ed25519.verify(signature)) {
      throw new Rejected(codes[2], "the signature does not verify: altered");
    }
    return segmentText(parts[1]);
  }

  /** A JSON integer (1 or 1.0) within [low, 2^53 - 1], as JavaScript reads it; else null. */
  static Long integer(Object value, double low) {
    if (!(value instanceof Double d) || d != Math.floor(d) || d < low || d > 9007199254740991.0) return null;
    return d.longValue();
  }

  static boolean isVersion1(Map<?, ?> claims) { return Long.valueOf(1).equals(integer(claims.get("v"), 1)); }

  /** The ids a verified revocation list names, or BAD_REVOCATION_LIST / STALE_REVOCATION_LIST. */
  static Set<String> revokedSubs(String text, Map<String, PublicKey> keys, long now, long skew, Long maxAge) throws Exception {
    String bad = "BAD_REVOCATION_LIST", jws = text.replaceAll("^[\\t\\n\\u000b\\f\\r ]+|[\\t\\n\\u000b\\f\\r ]+$", "");
    if (text.length() > 1_048_576 || !COMPACT_JWS.matcher(jws).matches()) throw new Rejected(bad, "not a compact JWS of at most 1 MiB");
    Map<?, ?> claims = segmentJson(signedClaims(jws, "license-revocations+jwt", keys, bad, bad, bad)) instanceof Map<?, ?> map ? map : Map.of();
    Long iat = integer(claims.get("iat"), 0);
    if (!isVersion1(claims) || !(claims.get("iss") instanceof String) || iat == null || !(claims.get("revoked") instanceof List<?> entries)) {
      throw new Rejected(bad, "the list claims are not {v: 1, iss, iat, revoked}");
    }
    Set<String> subs = new HashSet<>();
    for (Object value : entries) {
      if (!(value instanceof Map<?, ?> entry) || !(entry.get("sub") instanceof String sub) || integer(entry.get("rat"), 0) == null || !subs.add(sub)) {
        throw new Rejected(bad, "an entry is not {sub, rat}, or names a license twice");
      }
    }
    if (iat > now + skew) throw new Rejected(bad, "the revocation list is issued in the future");
    if (maxAge != null && now > iat + maxAge + skew) throw new Rejected("STALE_REVOCATION_LIST", "the list is older than " + maxAge + " s");
    return subs;
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
  static String verify(String text, Map<String, PublicKey> keys, String product, String featureCode, long now, Long lastSeen, long skew, Set<String> revoked) throws Exception {
    int begin = text.indexOf(BEGIN), end = begin < 0 ? -1 : text.indexOf(END, begin + BEGIN.length());
    String jws = end < 0 ? "" : text.substring(begin + BEGIN.length(), end).replaceAll("[\\t\\n\\u000b\\f\\r ]", "");
    if (jws.length() > 16_384 || !COMPACT_JWS.matcher(jws).matches()) throw new Rejected("BAD_ARMOR", "no armored compact JWS in the text");
    String json = signedClaims(jws, "license+jwt", keys, "BAD_ARMOR", "UNKNOWN_KEY", "BAD_SIGNATURE");
    if (!(segmentJson(json) instanceof Map<?, ?> claims)) throw new Rejected("BAD_ARMOR", "the claims are not a JSON object");
    if (!isVersion1(claims)) throw new Rejected("UNSUPPORTED_VERSION", "format version " + claims.get("v") + " is not 1");
    double min = -9007199254740991.0;
    Long iat = integer(claims.get("iat"), min), nbf = integer(claims.get("nbf"), min), exp = integer(claims.get("exp"), min);
    boolean valid = iat != null && nbf != null && exp != null && integer(claims.get("qty"), 1) != null && claims.get("cust") instanceof Map;
    for (String name : List.of("iss", "sub", "aud", "fc", "app")) valid &= claims.get(name) instanceof String;
    for (String name : List.of("name", "company", "email")) valid &= valid && ((Map<?, ?>) claims.get("cust")).get(name) instanceof String;
    if (!valid) throw new Rejected("BAD_ARMOR", "the claims do not match format v1");
    String sub = (String) claims.get("sub"), aud = (String) claims.get("aud"), fc = (String) claims.get("fc");
    if (revoked != null && revoked.contains(sub)) throw new Rejected("REVOKED", "the license " + sub + " is revoked");
    if (!aud.equals(product)) throw new Rejected("WRONG_PRODUCT", "the license is for product " + aud);
    if (!normalise(fc).equals(normalise(featureCode))) throw new Rejected("WRONG_FEATURE_CODE", "the license is for another machine (" + fc + ")");
    if (now < Math.max(iat, lastSeen == null ? iat : lastSeen) - skew) throw new Rejected("CLOCK_ROLLBACK", "the clock reads before the issue or last-seen time");
    if (now < nbf - skew) throw new Rejected("NOT_YET_VALID", "the license is valid from " + nbf);
    if (now >= exp + skew) throw new Rejected("EXPIRED", "the license expired at " + exp);
    return json;
  }

  public static void main(String[] args) {
    try {
      run(args);
    } catch (Rejected rejected) {
      System.err.println(rejected.getMessage());
      System.exit(1);
    } catch (Exception error) { // usage, files, the key set: not a verdict on the license
      System.err.println("error: " + error);
      System.exit(2);
    }
  }

  static void run(String[] args) throws Exception {
    Map<String, String> options = new HashMap<>();
    for (int at = 0; at + 1 < args.length && args[at].startsWith("--"); at += 2) options.put(args[at], args[at + 1]);
    String file = args.length % 2 == 1 ? args[args.length - 1] : null;
    String product = options.get("--product"), featureCode = options.get("--feature-code");
    long skew = Long.parseLong(options.getOrDefault("--clock-skew", "300"));
    if (file == null || file.startsWith("--") || options.get("--jwks") == null || product == null || product.isEmpty()
        || featureCode == null || normalise(featureCode).isEmpty() || options.get("--now") == null || skew < 0) {
      System.err.println("usage: verify --jwks <file> --product <id> --feature-code <code> --now <s> [options] <license file>");
      System.exit(2);
    }
    long now = Long.parseLong(options.get("--now"));
    Map<String, PublicKey> keys = trustedKeys(Files.readString(Path.of(options.get("--jwks"))));
    Set<String> revoked = null;
    if (options.containsKey("--revocations")) {
      String maxAge = options.get("--revocations-max-age");
      revoked = revokedSubs(Files.readString(Path.of(options.get("--revocations"))), keys, now, skew, maxAge == null ? null : Long.valueOf(maxAge));
    }
    String lastSeen = options.get("--last-seen");
    String license = new String(Files.readAllBytes(Path.of(file)), StandardCharsets.UTF_8);
    var stdout = new java.io.PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);
    stdout.println(verify(license, keys, product, featureCode, now, lastSeen == null ? null : Long.valueOf(lastSeen), skew, revoked));
  }

  /** Just enough JSON (RFC 8259): objects, arrays, strings, numbers (as Double), true, false, null. */
  static final class Json {
    private final String text;
    private int at;

    private Json(String text) { this.text = text; }

    static Object parse(String text) {
      Json json = new Json(text);
      Object value = json.value();
      if (json.skip() != text.length()) throw new IllegalArgumentException("text after the JSON value");
      return value;
    }

    private int skip() {
      while (at < text.length() && " \t\n\r".indexOf(text.charAt(at)) >= 0) at++;
      return at;
    }

    private boolean eat(char c) {
      if (skip() < text.length() && text.charAt(at) == c) { at++; return true; }
      return false;
    }

    private Object value() {
      if (eat('{')) {
        Map<String, Object> object = new LinkedHashMap<>();
        if (eat('}')) return object;
        do { skip(); String name = string(); if (!eat(':')) throw new IllegalArgumentException("no ':'"); object.put(name, value()); } while (eat(','));
        if (!eat('}')) throw new IllegalArgumentException("no '}'");
        return object;
      }
      if (eat('[')) {
        List<Object> array = new ArrayList<>();
        if (eat(']')) return array;
        do array.add(value()); while (eat(','));
        if (!eat(']')) throw new IllegalArgumentException("no ']'");
        return array;
      }
      skip();
      for (String word : new String[] {"true", "false", "null"}) {
        if (text.startsWith(word, at)) { at += word.length(); return word.equals("null") ? null : Boolean.valueOf(word); }
      }
      if (at < text.length() && text.charAt(at) == '"') return string();
      var number = Pattern.compile("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?").matcher(text).region(at, text.length());
      if (!number.lookingAt()) throw new IllegalArgumentException("not JSON at " + at);
      at = number.end();
      return Double.valueOf(number.group());
    }

    private String string() {
      if (at >= text.length() || text.charAt(at++) != '"') throw new IllegalArgumentException("no string");
      StringBuilder out = new StringBuilder();
      for (char c; (c = text.charAt(at++)) != '"'; ) {
        if (c < 0x20) throw new IllegalArgumentException("a control character in a string");
        if (c != '\\') { out.append(c); continue; }
        char e = text.charAt(at++);
        int i = "\"\\/bfnrt".indexOf(e);
        if (e == 'u') { out.append((char) Integer.parseInt(text.substring(at, at + 4), 16)); at += 4; }
        else if (i >= 0) out.append("\"\\/\b\f\n\r\t".charAt(i));
        else throw new IllegalArgumentException("a bad escape");
      }
      return out.toString();
    }
  }
}
