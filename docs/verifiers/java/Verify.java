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

    Rejected(String code, String message) {
      super(code + ": " + message);
      this.code = code;
    }
  }

  static final Pattern COMPACT_JWS =
      Pattern.compile("[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+");
  static final String WHITESPACE = "[\\t\\n\\u000b\\f\\r ]";
  static final String BEGIN = "-----BEGIN LICENSE-----", END = "-----END LICENSE-----";
  /** SubjectPublicKeyInfo of an Ed25519 key (RFC 8410) before its 32 key bytes. */
  static final byte[] SPKI = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0};
  static final Base64.Decoder B64 = Base64.getUrlDecoder();
  static final Base64.Encoder B64_OUT = Base64.getUrlEncoder().withoutPadding();
  static final double MAX_SAFE = 9007199254740991.0; // 2^53 - 1, JavaScript's largest safe integer

  static void require(boolean ok, String code, String message) throws Rejected {
    if (!ok) throw new Rejected(code, message);
  }

  /** kid (the RFC 7638 thumbprint) → key, for every Ed25519 key of a JWK Set. */
  static Map<String, PublicKey> trustedKeys(String jwks) throws Exception {
    Map<String, PublicKey> keys = new HashMap<>();
    for (Object value : (List<?>) ((Map<?, ?>) Json.parse(jwks)).get("keys")) {
      Map<?, ?> jwk = (Map<?, ?>) value;
      if (!"OKP".equals(jwk.get("kty")) || !"Ed25519".equals(jwk.get("crv"))) continue;
      String x = (String) jwk.get("x");
      String members = "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"" + x + "\"}";
      MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
      String kid = B64_OUT.encodeToString(sha256.digest(members.getBytes(StandardCharsets.UTF_8)));
      if (jwk.containsKey("kid") && !kid.equals(jwk.get("kid"))) {
        throw new IllegalArgumentException("the JWK " + jwk.get("kid") + " is not its thumbprint");
      }
      byte[] spki = Arrays.copyOf(SPKI, 44);
      System.arraycopy(B64.decode(x), 0, spki, 12, 32);
      keys.put(kid, KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki)));
    }
    return keys;
  }

  /** The text inside a base64url segment, or null when it is not base64url UTF-8. */
  static String segmentText(String segment) {
    try {
      var bytes = java.nio.ByteBuffer.wrap(B64.decode(segment));
      return StandardCharsets.UTF_8.newDecoder().decode(bytes).toString();
    } catch (IllegalArgumentException | CharacterCodingException e) {
      return null;
    }
  }

  static Object json(String text) {
    try {
      return text == null ? null : Json.parse(text);
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** Steps 1-3 (header, key, signature), failing with codes[0], [1] or [2]; the claims' text. */
  static String signedClaims(String jws, String typ, Map<String, PublicKey> keys, String... codes)
      throws Exception {
    String[] parts = jws.split("\\.");
    Map<?, ?> header = json(segmentText(parts[0])) instanceof Map<?, ?> map ? map : Map.of();
    boolean headerOk = "EdDSA".equals(header.get("alg")) && typ.equals(header.get("typ"))
        && header.get("kid") instanceof String kid && !kid.isEmpty() && !header.containsKey("crit");
    require(headerOk, codes[0], "the header must be {alg: EdDSA, typ: " + typ + ", kid}, no crit");
    PublicKey key = keys.get(header.get("kid"));
    require(key != null, codes[1], "signed by an unknown key (" + header.get("kid") + ")");
    // Only the canonical spelling of a 64-byte signature: 86 characters that re-encode alike.
    byte[] signature = parts[2].length() == 86 ? B64.decode(parts[2]) : new byte[0];
    Signature ed25519 = Signature.getInstance("Ed25519");
    ed25519.initVerify(key);
    ed25519.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
    boolean holds = B64_OUT.encodeToString(signature).equals(parts[2]) && ed25519.verify(signature);
    require(holds, codes[2], "the signature does not verify: altered");
    return segmentText(parts[1]);
  }

  /** A JSON integer (1 or 1.0) within [low, 2^53 - 1], as JavaScript reads it; else null. */
  static Long integer(Object value, double low) {
    if (!(value instanceof Double d) || d != Math.floor(d) || d < low || d > MAX_SAFE) return null;
    return d.longValue();
  }

  static boolean isVersion1(Map<?, ?> claims) {
    return Long.valueOf(1).equals(integer(claims.get("v"), 1));
  }

  /** The ids a verified revocation list names, or BAD_REVOCATION_LIST / STALE_REVOCATION_LIST. */
  static Set<String> revokedSubs(String text, Map<String, PublicKey> keys, long now, long skew,
      Long maxAge) throws Exception {
    String bad = "BAD_REVOCATION_LIST";
    String jws = text.replaceAll("^" + WHITESPACE + "+|" + WHITESPACE + "+$", "");
    boolean isJws = text.length() <= 1_048_576 && COMPACT_JWS.matcher(jws).matches();
    require(isJws, bad, "not a compact JWS of at most 1 MiB");
    Object payload = json(signedClaims(jws, "license-revocations+jwt", keys, bad, bad, bad));
    Map<?, ?> claims = payload instanceof Map<?, ?> map ? map : Map.of();
    Long iat = integer(claims.get("iat"), 0);
    boolean shape = isVersion1(claims) && claims.get("iss") instanceof String && iat != null;
    require(shape && claims.get("revoked") instanceof List, bad, "the claims are not v1's");
    Set<String> subs = new HashSet<>();
    for (Object value : (List<?>) claims.get("revoked")) {
      boolean ok = value instanceof Map<?, ?> entry && entry.get("sub") instanceof String sub
          && integer(entry.get("rat"), 0) != null && subs.add(sub);
      require(ok, bad, "an entry is not {sub, rat}, or names a license twice");
    }
    require(iat <= now + skew, bad, "the revocation list is issued in the future");
    boolean fresh = maxAge == null || now <= iat + maxAge + skew;
    require(fresh, "STALE_REVOCATION_LIST", "the list is older than " + maxAge + " s");
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
  static String verify(String text, Map<String, PublicKey> keys, String product, String featureCode,
      long now, Long lastSeen, long skew, Set<String> revoked) throws Exception {
    int start = text.indexOf(BEGIN) + BEGIN.length(), end = text.indexOf(END, start);
    String inner = start < BEGIN.length() || end < 0 ? "" : text.substring(start, end);
    String jws = inner.replaceAll(WHITESPACE, "");
    boolean isJws = jws.length() <= 16_384 && COMPACT_JWS.matcher(jws).matches();
    require(isJws, "BAD_ARMOR", "no armored compact JWS in the text");
    String[] codes = {"BAD_ARMOR", "UNKNOWN_KEY", "BAD_SIGNATURE"};
    String signed = signedClaims(jws, "license+jwt", keys, codes);
    if (!(json(signed) instanceof Map<?, ?> claims)) {
      throw new Rejected("BAD_ARMOR", "the claims are not a JSON object");
    }
    require(isVersion1(claims), "UNSUPPORTED_VERSION", "format version " + claims.get("v"));
    Long iat = integer(claims.get("iat"), -MAX_SAFE), nbf = integer(claims.get("nbf"), -MAX_SAFE);
    Long exp = integer(claims.get("exp"), -MAX_SAFE);
    boolean valid = iat != null && nbf != null && exp != null;
    valid &= integer(claims.get("qty"), 1) != null;
    for (String name : List.of("iss", "sub", "aud", "fc", "app")) {
      valid &= claims.get(name) instanceof String;
    }
    for (String name : List.of("name", "company", "email")) {
      valid &= claims.get("cust") instanceof Map<?, ?> cust && cust.get(name) instanceof String;
    }
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
    for (int at = 0; at + 1 < args.length && args[at].startsWith("--"); at += 2) {
      options.put(args[at], args[at + 1]);
    }
    String file = args.length % 2 == 1 ? args[args.length - 1] : "--";
    String product = options.getOrDefault("--product", "");
    String featureCode = options.getOrDefault("--feature-code", "");
    long skew = Long.parseLong(options.getOrDefault("--clock-skew", "300"));
    if (file.startsWith("--") || !options.containsKey("--jwks") || product.isEmpty()
        || normalise(featureCode).isEmpty() || !options.containsKey("--now") || skew < 0) {
      System.err.println("usage: verify --jwks <file> --product <id> --feature-code <code>"
          + " --now <s> [options] <license file>");
      System.exit(2);
    }
    long now = Long.parseLong(options.get("--now"));
    Map<String, PublicKey> keys = trustedKeys(Files.readString(Path.of(options.get("--jwks"))));
    Set<String> revoked = null;
    if (options.containsKey("--revocations")) {
      String list = Files.readString(Path.of(options.get("--revocations")));
      revoked = revokedSubs(list, keys, now, skew, seconds(options.get("--revocations-max-age")));
    }
    String license = new String(Files.readAllBytes(Path.of(file)), StandardCharsets.UTF_8);
    Long lastSeen = seconds(options.get("--last-seen"));
    String claims = verify(license, keys, product, featureCode, now, lastSeen, skew, revoked);
    // UTF-8 whatever the locale: System.out would print the customer's Chinese name as "??".
    new java.io.PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true,
        StandardCharsets.UTF_8).println(claims);
  }

  static Long seconds(String option) {
    return option == null ? null : Long.valueOf(option);
  }

  /** Just enough JSON (RFC 8259): objects, arrays, strings, numbers (as Double), literals. */
  static final class Json {
    static final Pattern NUMBER =
        Pattern.compile("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?");
    private final String text;
    private int at;

    private Json(String text) {
      this.text = text;
    }

    static Object parse(String text) {
      Json json = new Json(text);
      Object value = json.value();
      if (json.skip() != text.length()) throw new IllegalArgumentException("text after the value");
      return value;
    }

    private int skip() {
      while (at < text.length() && " \t\n\r".indexOf(text.charAt(at)) >= 0) at++;
      return at;
    }

    private boolean eat(char c) {
      boolean next = skip() < text.length() && text.charAt(at) == c;
      if (next) at++;
      return next;
    }

    private void expect(char c) {
      if (!eat(c)) throw new IllegalArgumentException("no '" + c + "' at " + at);
    }

    private Object value() {
      if (eat('{')) {
        Map<String, Object> object = new LinkedHashMap<>();
        if (eat('}')) return object;
        do {
          skip();
          String name = string();
          expect(':');
          object.put(name, value());
        } while (eat(','));
        expect('}');
        return object;
      }
      if (eat('[')) {
        List<Object> array = new ArrayList<>();
        if (eat(']')) return array;
        do array.add(value()); while (eat(','));
        expect(']');
        return array;
      }
      if (skip() < text.length() && text.charAt(at) == '"') return string();
      for (Object literal : new Object[] {true, false, null}) {
        if (text.startsWith(String.valueOf(literal), at)) {
          at += String.valueOf(literal).length();
          return literal;
        }
      }
      var number = NUMBER.matcher(text).region(at, text.length());
      if (!number.lookingAt()) throw new IllegalArgumentException("not JSON at " + at);
      at = number.end();
      return Double.valueOf(number.group());
    }

    private String string() {
      expect('"');
      StringBuilder out = new StringBuilder();
      for (char c; (c = text.charAt(at++)) != '"'; ) {
        if (c < 0x20) throw new IllegalArgumentException("a control character in a string");
        if (c != '\\') {
          out.append(c);
        } else if (text.charAt(at) == 'u') {
          out.append((char) Integer.parseInt(text.substring(at + 1, at + 5), 16));
          at += 5;
        } else {
          int escape = "\"\\/bfnrt".indexOf(text.charAt(at++));
          if (escape < 0) throw new IllegalArgumentException("a bad escape");
          out.append("\"\\/\b\f\n\r\t".charAt(escape));
        }
      }
      return out.toString();
    }
  }
}
