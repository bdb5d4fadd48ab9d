// The signed-JSON plumbing of Verify.java and Revocations.java: the trusted keys, the JWS header
// and the Ed25519 signature (steps 1-3 of docs/license-format.md, "Verifying"). Java 15+.
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.*;
import java.util.regex.Pattern;

final class Jws {
  static final Pattern COMPACT_JWS =
      Pattern.compile("[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+");
  /** SubjectPublicKeyInfo of an Ed25519 key (RFC 8410) before its 32 key bytes. */
  static final byte[] SPKI = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0};
  static final Base64.Decoder B64 = Base64.getUrlDecoder();
  static final Base64.Encoder B64_OUT = Base64.getUrlEncoder().withoutPadding();

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

  /** Steps 1-3 (header, key, signature), failing with codes[0], [1] or [2]; the claims' text. */
  static String signedClaims(String jws, String typ, Map<String, PublicKey> keys, String... codes)
      throws Exception {
    String[] parts = jws.split("\\.");
    Map<?, ?> header = Json.parse(segmentText(parts[0])) instanceof Map<?, ?> map ? map : Map.of();
    boolean headerOk = "EdDSA".equals(header.get("alg")) && typ.equals(header.get("typ"))
        && header.get("kid") instanceof String kid && !kid.isEmpty() && !header.containsKey("crit");
    String shape = "{alg: EdDSA, typ: " + typ + ", kid}, no crit";
    Verify.require(headerOk, codes[0], "the header must be " + shape);
    PublicKey key = keys.get(header.get("kid"));
    Verify.require(key != null, codes[1], "signed by an unknown key (" + header.get("kid") + ")");
    // Only the canonical spelling of a 64-byte signature: 86 characters that re-encode alike.
    byte[] signature = parts[2].length() == 86 ? B64.decode(parts[2]) : new byte[0];
    Signature ed25519 = Signature.getInstance("Ed25519");
    ed25519.initVerify(key);
    ed25519.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
    boolean holds = B64_OUT.encodeToString(signature).equals(parts[2]) && ed25519.verify(signature);
    Verify.require(holds, codes[2], "the signature does not verify: altered");
    return segmentText(parts[1]);
  }
}
