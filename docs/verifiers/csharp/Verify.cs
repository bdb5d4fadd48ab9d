// Verifies a licensedesk license offline (docs/license-format.md, "Verifying"), in its order of
// checks. Mono or .NET Framework: Ed25519 from libsodium (crypto_sign_verify_detached), JSON from
// System.Runtime.Serialization's JSON reader (JSON as XML). CLI contract: ../README.md.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Runtime.Serialization.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml;

public sealed class Rejected : Exception {
  public readonly string Code;
  public Rejected(string code, string message) : base(code + ": " + message) { Code = code; }
}

public static class Verify {
  [DllImport("libsodium.so.23")] static extern int sodium_init();
  [DllImport("libsodium.so.23")]
  static extern int crypto_sign_verify_detached(byte[] sig, byte[] message, ulong n, byte[] key);

  static readonly Regex CompactJws = new Regex(@"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$");
  static readonly UTF8Encoding Utf8 = new UTF8Encoding(false, true); // throws on invalid UTF-8
  const string Begin = "-----BEGIN LICENSE-----", End = "-----END LICENSE-----";
  const string Whitespace = "\t\n\v\f\r ";
  const double MaxSafe = 9007199254740991.0; // 2^53 - 1, JavaScript's largest safe integer

  static void Require(bool ok, string code, string message) {
    if (!ok) throw new Rejected(code, message);
  }

  static byte[] FromB64(string s) =>
    Convert.FromBase64String(
      s.Replace('-', '+').Replace('_', '/') + new string('=', (4 - s.Length % 4) % 4));

  static string ToB64(byte[] data) =>
    Convert.ToBase64String(data).TrimEnd('=').Replace('+', '-').Replace('/', '_');

  // JSON read as XML: each element carries type="object|array|string|number|boolean|null".
  static XmlElement ParseJson(byte[] utf8) {
    Utf8.GetString(utf8);
    var document = new XmlDocument();
    document.Load(JsonReaderWriterFactory.CreateJsonReader(utf8, XmlDictionaryReaderQuotas.Max));
    return document.DocumentElement;
  }

  static XmlElement SegmentJson(string segment) {
    try { return ParseJson(FromB64(segment)); } catch (Exception) { return null; }
  }

  static string Type(XmlElement e) =>
    e == null ? null : e.GetAttribute("type") == "" ? "string" : e.GetAttribute("type");

  // A member of an object; names that are not XML names become <item item="name">.
  static XmlElement Member(XmlElement o, string name) => Type(o) != "object" ? null :
    o.ChildNodes.OfType<XmlElement>()
      .FirstOrDefault(e => e.LocalName == name || e.GetAttribute("item") == name);

  static string Text(XmlElement o, string name) {
    var e = Member(o, name);
    return Type(e) == "string" ? e.InnerText : null;
  }

  // A JSON integer (1 or 1.0) within [low, 2^53 - 1], as JavaScript reads it; else null.
  static long? Integer(XmlElement e, double low) {
    double d;
    bool number = Type(e) == "number" && double.TryParse(e.InnerText, NumberStyles.Float,
      CultureInfo.InvariantCulture, out d) && d == Math.Floor(d) && d >= low && d <= MaxSafe;
    return number ? (long?) double.Parse(e.InnerText, CultureInfo.InvariantCulture) : null;
  }

  static bool IsVersion1(XmlElement claims) => Integer(Member(claims, "v"), 1) == 1;

  // kid (the RFC 7638 thumbprint) → 32-byte key, for every Ed25519 key of a JWK Set.
  static Dictionary<string, byte[]> TrustedKeys(byte[] jwks) {
    var keys = new Dictionary<string, byte[]>();
    foreach (var jwk in Member(ParseJson(jwks), "keys").ChildNodes.OfType<XmlElement>()) {
      if (Text(jwk, "kty") != "OKP" || Text(jwk, "crv") != "Ed25519") continue;
      string x = Text(jwk, "x");
      string members = "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"" + x + "\"}";
      string kid = ToB64(SHA256.Create().ComputeHash(Encoding.UTF8.GetBytes(members)));
      if (Member(jwk, "kid") != null && Text(jwk, "kid") != kid || FromB64(x).Length != 32) {
        throw new ArgumentException("the JWK " + Text(jwk, "kid") + " is not its thumbprint");
      }
      keys[kid] = FromB64(x);
    }
    return keys;
  }

  // Steps 1-3 (header, key, signature), failing with codes[0], [1] or [2]; the claims' segment.
  static string SignedClaims(string jws, string typ, Dictionary<string, byte[]> keys,
      params string[] codes) {
    string[] parts = jws.Split('.');
    var header = SegmentJson(parts[0]);
    string kid = Text(header, "kid");
    bool headerOk = Text(header, "alg") == "EdDSA" && Text(header, "typ") == typ
      && !string.IsNullOrEmpty(kid) && Member(header, "crit") == null;
    Require(headerOk, codes[0], "the header must be {alg: EdDSA, typ: " + typ + ", kid}, no crit");
    byte[] key;
    Require(keys.TryGetValue(kid, out key), codes[1], "signed by an unknown key (" + kid + ")");
    // Only the canonical spelling of a 64-byte signature: 86 characters that re-encode alike.
    byte[] signature = parts[2].Length == 86 ? FromB64(parts[2]) : new byte[0];
    byte[] input = Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]);
    bool holds = signature.Length == 64 && ToB64(signature) == parts[2]
      && crypto_sign_verify_detached(signature, input, (ulong) input.Length, key) == 0;
    Require(holds, codes[2], "the signature does not verify: altered");
    return parts[1];
  }

  // The ids a verified revocation list names, or BAD_REVOCATION_LIST / STALE_REVOCATION_LIST.
  static HashSet<string> RevokedSubs(string text, Dictionary<string, byte[]> keys, long now,
      long skew, long? maxAge) {
    const string bad = "BAD_REVOCATION_LIST";
    string jws = text.Trim(Whitespace.ToCharArray());
    Require(text.Length <= 1048576 && CompactJws.IsMatch(jws), bad, "not a compact JWS ≤ 1 MiB");
    var claims = SegmentJson(SignedClaims(jws, "license-revocations+jwt", keys, bad, bad, bad));
    long? iat = Integer(Member(claims, "iat"), 0);
    var entries = Member(claims, "revoked");
    bool shape = IsVersion1(claims) && Text(claims, "iss") != null && iat != null;
    Require(shape && Type(entries) == "array", bad, "the claims are not {v: 1, iss, iat, revoked}");
    var subs = new HashSet<string>();
    foreach (var entry in entries.ChildNodes.OfType<XmlElement>()) {
      string sub = Text(entry, "sub");
      bool ok = sub != null && Integer(Member(entry, "rat"), 0) != null && subs.Add(sub);
      Require(ok, bad, "an entry is not {sub, rat}, or names a license twice");
    }
    Require(iat <= now + skew, bad, "the revocation list is issued in the future");
    bool fresh = maxAge == null || now <= iat + maxAge + skew;
    Require(fresh, "STALE_REVOCATION_LIST", "the list is older than " + maxAge + " s");
    return subs;
  }

  // ASCII whitespace and '-' dropped, a-z upper-cased; nothing else (no Unicode rules).
  static string Normalise(string code) =>
    new string(code.Where(c => (Whitespace + "-").IndexOf(c) < 0)
      .Select(c => c >= 'a' && c <= 'z' ? (char) (c - 32) : c).ToArray());

  // Verifies a license: the claims' JSON text as signed, or a Rejected with the format's code.
  public static string Check(string text, Dictionary<string, byte[]> keys, string product,
      string featureCode, long now, long? lastSeen, long skew, HashSet<string> revoked) {
    int start = text.IndexOf(Begin, StringComparison.Ordinal) + Begin.Length;
    int end = start < Begin.Length ? -1 : text.IndexOf(End, start, StringComparison.Ordinal);
    string inner = end < 0 ? "" : text.Substring(start, end - start);
    string jws = new string(inner.Where(c => Whitespace.IndexOf(c) < 0).ToArray());
    Require(jws.Length <= 16384 && CompactJws.IsMatch(jws), "BAD_ARMOR", "no armored compact JWS");
    string[] codes = { "BAD_ARMOR", "UNKNOWN_KEY", "BAD_SIGNATURE" };
    string segment = SignedClaims(jws, "license+jwt", keys, codes);
    var claims = SegmentJson(segment);
    Require(Type(claims) == "object", "BAD_ARMOR", "the claims are not a JSON object");
    Require(IsVersion1(claims), "UNSUPPORTED_VERSION", "the format version is not 1");
    long? iat = Integer(Member(claims, "iat"), -MaxSafe);
    long? nbf = Integer(Member(claims, "nbf"), -MaxSafe);
    long? exp = Integer(Member(claims, "exp"), -MaxSafe);
    var cust = Member(claims, "cust");
    bool valid = iat != null && nbf != null && exp != null
      && Integer(Member(claims, "qty"), 1) != null
      && new[] { "iss", "sub", "aud", "fc", "app" }.All(name => Text(claims, name) != null)
      && new[] { "name", "company", "email" }.All(name => Text(cust, name) != null);
    Require(valid, "BAD_ARMOR", "the claims do not match format v1");
    string sub = Text(claims, "sub"), aud = Text(claims, "aud"), fc = Text(claims, "fc");
    Require(revoked == null || !revoked.Contains(sub), "REVOKED", sub + " is revoked");
    Require(aud == product, "WRONG_PRODUCT", "the license is for product " + aud);
    bool sameMachine = Normalise(fc) == Normalise(featureCode);
    Require(sameMachine, "WRONG_FEATURE_CODE", "the license is for another machine (" + fc + ")");
    long floor = Math.Max(iat.Value, lastSeen ?? iat.Value);
    Require(now >= floor - skew, "CLOCK_ROLLBACK", "the clock reads before " + floor);
    Require(now >= nbf - skew, "NOT_YET_VALID", "the license is valid from " + nbf);
    Require(now < exp + skew, "EXPIRED", "the license expired at " + exp);
    return Utf8.GetString(FromB64(segment));
  }

  public static int Main(string[] args) {
    try {
      var options = new Dictionary<string, string>();
      for (int at = 0; at + 1 < args.Length && args[at].StartsWith("--"); at += 2) {
        options[args[at]] = args[at + 1];
      }
      Func<string, string> option = name => options.ContainsKey(name) ? options[name] : null;
      Func<string, long?> seconds = name =>
        option(name) == null ? (long?) null : long.Parse(option(name));
      string file = args.Length % 2 == 1 ? args[args.Length - 1] : "--";
      string product = option("--product") ?? "", featureCode = option("--feature-code") ?? "";
      long skew = seconds("--clock-skew") ?? 300;
      if (file.StartsWith("--") || option("--jwks") == null || product == ""
          || Normalise(featureCode) == "" || seconds("--now") == null || skew < 0
          || sodium_init() < 0) {
        Console.Error.WriteLine("usage: verify --jwks <file> --product <id> --feature-code <code>"
          + " --now <s> [options] <license file>");
        return 2;
      }
      long now = seconds("--now").Value;
      var keys = TrustedKeys(File.ReadAllBytes(option("--jwks")));
      HashSet<string> revoked = null;
      if (option("--revocations") != null) {
        string list = File.ReadAllText(option("--revocations"));
        revoked = RevokedSubs(list, keys, now, skew, seconds("--revocations-max-age"));
      }
      string license = File.ReadAllText(file, Encoding.UTF8);
      long? lastSeen = seconds("--last-seen");
      string claims = Check(license, keys, product, featureCode, now, lastSeen, skew, revoked);
      // UTF-8 whatever the locale, so the customer's Chinese name survives.
      var stdout = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false));
      stdout.WriteLine(claims);
      stdout.Flush();
      return 0;
    } catch (Rejected rejected) {
      Console.Error.WriteLine(rejected.Message);
      return 1;
    } catch (Exception error) { // usage, files, the key set: not a verdict on the license
      Console.Error.WriteLine("error: " + error.Message);
      return 2;
    }
  }
}
