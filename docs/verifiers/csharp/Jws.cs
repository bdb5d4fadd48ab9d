// The signed-JSON plumbing of Verify.cs and Revocations.cs: the trusted keys, the JWS header and
// the Ed25519 signature (steps 1-3 of docs/license-format.md, "Verifying"), from libsodium.
using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml;

static class Jws {
  [DllImport("libsodium.so.23")] static extern int sodium_init();
  [DllImport("libsodium.so.23")]
  static extern int crypto_sign_verify_detached(byte[] sig, byte[] message, ulong n, byte[] key);

  public static readonly Regex Compact =
    new Regex(@"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$");

  static Jws() {
    if (sodium_init() < 0) throw new InvalidOperationException("libsodium does not start");
  }

  public static byte[] FromB64(string s) =>
    Convert.FromBase64String(
      s.Replace('-', '+').Replace('_', '/') + new string('=', (4 - s.Length % 4) % 4));

  static string ToB64(byte[] data) =>
    Convert.ToBase64String(data).TrimEnd('=').Replace('+', '-').Replace('/', '_');

  // kid (the RFC 7638 thumbprint) → 32-byte key, for every Ed25519 key of a JWK Set.
  public static Dictionary<string, byte[]> TrustedKeys(byte[] jwks) {
    var keys = new Dictionary<string, byte[]>();
    foreach (var jwk in Json.Member(Json.Parse(jwks), "keys").ChildNodes.OfType<XmlElement>()) {
      if (Json.Text(jwk, "kty") != "OKP" || Json.Text(jwk, "crv") != "Ed25519") continue;
      string x = Json.Text(jwk, "x"), named = Json.Text(jwk, "kid");
      string members = "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"" + x + "\"}";
      string kid = ToB64(SHA256.Create().ComputeHash(Encoding.UTF8.GetBytes(members)));
      if (Json.Member(jwk, "kid") != null && named != kid || FromB64(x).Length != 32) {
        throw new ArgumentException("the JWK " + named + " is not its thumbprint");
      }
      keys[kid] = FromB64(x);
    }
    return keys;
  }

  // Steps 1-3 (header, key, signature), failing with codes[0], [1] or [2]; the claims' segment.
  public static string SignedClaims(string jws, string typ, Dictionary<string, byte[]> keys,
      params string[] codes) {
    string[] parts = jws.Split('.');
    var header = Json.Segment(parts[0]);
    string kid = Json.Text(header, "kid");
    bool headerOk = Json.Text(header, "alg") == "EdDSA" && Json.Text(header, "typ") == typ
      && !string.IsNullOrEmpty(kid) && Json.Member(header, "crit") == null;
    string shape = "{alg: EdDSA, typ: " + typ + ", kid}, no crit";
    Verify.Require(headerOk, codes[0], "the header must be " + shape);
    byte[] key;
    bool known = keys.TryGetValue(kid, out key);
    Verify.Require(known, codes[1], "signed by an unknown key (" + kid + ")");
    // Only the canonical spelling of a 64-byte signature: 86 characters that re-encode alike.
    byte[] signature = parts[2].Length == 86 ? FromB64(parts[2]) : new byte[0];
    byte[] input = Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]);
    bool holds = signature.Length == 64 && ToB64(signature) == parts[2]
      && crypto_sign_verify_detached(signature, input, (ulong) input.Length, key) == 0;
    Verify.Require(holds, codes[2], "the signature does not verify: altered");
    return parts[1];
  }
}
