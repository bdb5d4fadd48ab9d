// Verifies a licensedesk license offline (docs/license-format.md, "Verifying"), in its order of
// checks. Mono or .NET Framework: Ed25519 from libsodium (crypto_sign_verify_detached), JSON from
// System.Runtime.Serialization's JSON reader (JSON as XML). CLI contract: ../README.md.
using System;
using System.Collections.Generic;
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
  static extern int crypto_sign_verify_detached(byte[] signature, byte[] message, ulong length, byte[] key);

  static readonly Regex CompactJws = new Regex(@"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$");
  static readonly UTF8Encoding Utf8 = new UTF8Encoding(false, true); // throws on invalid UTF-8
  const string Begin = "-----BEGIN LICENSE-----", End = "-----END LICENSE-----";

  static byte[] FromB64(string s) {
    string padded = s.Replace('-', '+').Replace('_', '/') + new string('=', (4 - s.Length % 4) % 4);
    return Convert.FromBase64String(padded);
  }

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

  static string Type(XmlElement e) => e == null ? null : e.GetAttribute("type") == "" ? "string" : e.GetAttribute("type");

  static XmlElement Member(XmlElement o, string name) => Type(o) != "object" ? null :
    o.ChildNodes.OfType<XmlElement>().FirstOrDefault(e => e.LocalName == name || e.GetAttribute("item") == name);

  static string Text(XmlElement o, string name) {
    var e = Member(o, name);
    return Type(e) == "string" ? e.InnerText : null;
  }

  // A JSON integer (1 or 1.0) within [low, 2^53 - 1], as JavaScript reads it; else null.
  static long? Integer(XmlElement e, double low) {
    double d;
    if (Type(e) != "number" || !double.TryParse(e.InnerText, System.Globalization.NumberStyles.Float,
        System.Globalization.CultureInfo.InvariantCulture, out d)) return null;
    return d == Math.Floor(d) && d >= low && d <= 9007199254740991.0 ? (long?) d : null;
  }

  static bool IsVersion1(XmlElement claims) => Integer(Member(claims, "v"), 1) == 1;

  // kid (the RFC 7638 thumbprint) → 32-byte key, for every Ed25519 key of a JWK Set.
  static Dictionary<string, byte[]> TrustedKeys(byte[] jwks) {
    var keys = new Dictionary<string, byte[]>();
    foreach (var jwk in Member(ParseJson(jwks), "keys").ChildNodes.OfType<XmlElement>()) {
      if (Text(jwk, "kty") != "OKP" || Text(jwk, "crv") != "Ed25519") continue;
      string x = Text(jwk, "x"), members = "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"" + x + "\"}";
      string kid = ToB64(SHA256.Create().ComputeHash(Encoding.UTF8.GetBytes(members)));
      if (Member(jwk, "kid") != null && Text(jwk, "kid") != kid || FromB64(x).Length != 32) {
        throw new ArgumentException("the JWK " + Text(jwk, "kid") + " is not an Ed25519 key named by its thumbprint");
      }
      keys[kid] = FromB64(x);
    }
    return keys;
  }

  // Steps 1-3: header, key, signature, failing with codes[0], [1] or [2]; the claims' segment.
  static string SignedClaims(string jws, string typ, Dictionary<string, byte[]> keys, params string[] codes) {
    string[] parts = jws.Split('.');
    var header = SegmentJson(parts[0]);
    string kid = Text(header, "kid");
    if (Text(header, "alg") != "EdDSA" || Text(header, "typ") != typ || string.IsNullOrEmpty(kid) || Member(header, "crit") != null) {
      throw new Rejected(codes[0], "the header must be {alg: EdDSA, typ: " + typ + ", kid}, no crit");
    }
    byte[] key;
    if (!keys.TryGetValue(kid, out key)) throw new Rejected(codes[1], "signed by an unknown key (" + kid + ")");
    // Only the canonical spelling of a 64-byte signature: 86 characters that re-encode alike.
    byte[] signature = parts[2].Length == 86 ? FromB64(parts[2]) : new byte[0];
    byte[] input = Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]);
    if (signature.Length != 64 || ToB64(signature) != parts[2] ||
        crypto_sign_verify_detached(signature, input, (ulong) input.Length, key) != 0) {
      throw new Rejected(codes[2], "the signature does not verify: altered");
    }
    return parts[1];
  }

  // The ids a verified revocation list names, or BAD_REVOCATION_LIST / STALE_REVOCATION_LIST.
  static HashSet<string> RevokedSubs(string text, Dictionary<string, byte[]> keys, long now, long skew, long? maxAge) {
    const string bad = "BAD_REVOCATION_LIST";
    string jws = text.Trim('\t', '\n', '\v', '\f', '\r', ' ');
    if (text.Length > 1048576 || !CompactJws.IsMatch(jws)) throw new Rejected(bad, "not a compact JWS of at most 1 MiB");
    var claims = SegmentJson(SignedClaims(jws, "license-revocations+jwt", keys, bad, bad, bad));
    long? iat = Integer(Member(claims, "iat"), 0);
    var entries = Member(claims, "revoked");
    if (!IsVersion1(claims) || Text(claims, "iss") == null || iat == null || Type(entries) != "array") {
      throw new Rejected(bad, "the list claims are not {v: 1, iss, iat, revoked}");
    }
    var subs = new HashSet<string>();
    foreach (var entry in entries.ChildNodes.OfType<XmlElement>()) {
      string sub = Text(entry, "sub");
      if (sub == null || Integer(Member(entry, "rat"), 0) == null || !subs.Add(sub)) {
        throw new Rejected(bad, "an entry is not {sub, rat}, or names a license twice");
      }
    }
    if (iat > now + skew) throw new Rejected(bad, "the revocation list is issued in the future");
    if (maxAge != null && now > iat + maxAge + skew) throw new Rejected("STALE_REVOCATION_LIST", "the list is older than " + maxAge + " s");
    return subs;
  }

  // ASCII whitespace and '-' dropped, a-z upper-cased; nothing else (no Unicode rules).
  static string Normalise(string code) =>
    new string(code.Where(c => "\t\n\v\f\r -".IndexOf(c) < 0).Select(c => c >= 'a' && c <= 'z' ? (char) (c - 32) : c).ToArray());

  // Verifies a license: the claims' JSON text as signed, or a Rejected with the format's code.
  public static string Check(string text, Dictionary<string, byte[]> keys, string product, string featureCode, long now, long? lastSeen, long skew, HashSet<string> revoked) {
    int begin = text.IndexOf(Begin, StringComparison.Ordinal);
    int end = begin < 0 ? -1 : text.IndexOf(End, begin + Begin.Length, StringComparison.Ordinal);
    string jws = end < 0 ? "" : Regex.Replace(text.Substring(begin + Begin.Length, end - begin - Begin.Length), "[\t\n\v\f\r ]", "");
    if (jws.Length > 16384 || !CompactJws.IsMatch(jws)) throw new Rejected("BAD_ARMOR", "no armored compact JWS in the text");
    string segment = SignedClaims(jws, "license+jwt", keys, "BAD_ARMOR", "UNKNOWN_KEY", "BAD_SIGNATURE");
    var claims = SegmentJson(segment);
    if (Type(claims) != "object") throw new Rejected("BAD_ARMOR", "the claims are not a JSON object");
    if (!IsVersion1(claims)) throw new Rejected("UNSUPPORTED_VERSION", "the format version is not 1");
    const double min = -9007199254740991.0;
    long? iat = Integer(Member(claims, "iat"), min), nbf = Integer(Member(claims, "nbf"), min), exp = Integer(Member(claims, "exp"), min);
    var cust = Member(claims, "cust");
    bool valid = iat != null && nbf != null && exp != null && Integer(Member(claims, "qty"), 1) != null && Type(cust) == "object"
      && new[] { "iss", "sub", "aud", "fc", "app" }.All(name => Text(claims, name) != null)
      && new[] { "name", "company", "email" }.All(name => Text(cust, name) != null);
    if (!valid) throw new Rejected("BAD_ARMOR", "the claims do not match format v1");
    string sub = Text(claims, "sub"), aud = Text(claims, "aud"), fc = Text(claims, "fc");
    if (revoked != null && revoked.Contains(sub)) throw new Rejected("REVOKED", "the license " + sub + " is revoked");
    if (aud != product) throw new Rejected("WRONG_PRODUCT", "the license is for product " + aud);
    if (Normalise(fc) != Normalise(featureCode)) throw new Rejected("WRONG_FEATURE_CODE", "the license is for another machine (" + fc + ")");
    if (now < Math.Max(iat.Value, lastSeen ?? iat.Value) - skew) throw new Rejected("CLOCK_ROLLBACK", "the clock reads before the issue or last-seen time");
    if (now < nbf - skew) throw new Rejected("NOT_YET_VALID", "the license is valid from " + nbf);
    if (now >= exp + skew) throw new Rejected("EXPIRED", "the license expired at " + exp);
    return Utf8.GetString(FromB64(segment));
  }

  public static int Main(string[] args) {
    var stdout = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false));
    try {
      var options = new Dictionary<string, string>();
      for (int at = 0; at + 1 < args.Length && args[at].StartsWith("--"); at += 2) options[args[at]] = args[at + 1];
      string file = args.Length % 2 == 1 ? args[args.Length - 1] : null, value;
      Func<string, long?> seconds = name => options.TryGetValue(name, out value) ? long.Parse(value) : (long?) null;
      long skew = seconds("--clock-skew") ?? 300;
      if (file == null || file.StartsWith("--") || !options.ContainsKey("--jwks") || string.IsNullOrEmpty(options.GetValueOrDefault("--product"))
          || Normalise(options.GetValueOrDefault("--feature-code") ?? "") == "" || seconds("--now") == null || skew < 0 || sodium_init() < 0) {
        Console.Error.WriteLine("usage: verify --jwks <file> --product <id> --feature-code <code> --now <s> [options] <license file>");
        return 2;
      }
      long now = seconds("--now").Value;
      var keys = TrustedKeys(File.ReadAllBytes(options["--jwks"]));
      HashSet<string> revoked = null;
      if (options.ContainsKey("--revocations")) {
        revoked = RevokedSubs(File.ReadAllText(options["--revocations"]), keys, now, skew, seconds("--revocations-max-age"));
      }
      string license = File.ReadAllText(file, Encoding.UTF8);
      stdout.WriteLine(Check(license, keys, options["--product"], options["--feature-code"], now, seconds("--last-seen"), skew, revoked));
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
