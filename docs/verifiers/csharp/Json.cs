// JSON for Verify.cs and Jws.cs from System.Runtime.Serialization's reader, which reads JSON as
// XML: each element carries type="object|array|string|number|boolean|null" (string by default).
using System;
using System.Globalization;
using System.Linq;
using System.Runtime.Serialization.Json;
using System.Text;
using System.Xml;

static class Json {
  static readonly UTF8Encoding Utf8 = new UTF8Encoding(false, true); // throws on invalid UTF-8
  public const double MaxSafe = 9007199254740991.0; // 2^53 - 1, JavaScript's largest safe integer

  public static XmlElement Parse(byte[] utf8) {
    Utf8.GetString(utf8);
    var document = new XmlDocument();
    document.Load(JsonReaderWriterFactory.CreateJsonReader(utf8, XmlDictionaryReaderQuotas.Max));
    return document.DocumentElement;
  }

  // The JSON in a base64url segment, or null when it is not base64url UTF-8 JSON.
  public static XmlElement Segment(string segment) {
    try {
      return Parse(Jws.FromB64(segment));
    } catch (Exception) { // not base64url, not UTF-8, not JSON
      return null;
    }
  }

  public static string Type(XmlElement e) =>
    e == null ? null : e.GetAttribute("type") == "" ? "string" : e.GetAttribute("type");

  // A member of an object; names that are not XML names become <item item="name">.
  public static XmlElement Member(XmlElement o, string name) => Type(o) != "object" ? null :
    o.ChildNodes.OfType<XmlElement>()
      .FirstOrDefault(e => e.LocalName == name || e.GetAttribute("item") == name);

  public static string Text(XmlElement o, string name) {
    var e = Member(o, name);
    return Type(e) == "string" ? e.InnerText : null;
  }

  // A JSON integer (1 or 1.0) within [low, 2^53 - 1], as JavaScript reads it; else null.
  public static long? Integer(XmlElement e, double low) {
    double d = 0;
    bool number = Type(e) == "number" && double.TryParse(e.InnerText, NumberStyles.Float,
      CultureInfo.InvariantCulture, out d) && d == Math.Floor(d) && d >= low && d <= MaxSafe;
    return number ? (long?) d : null;
  }

  public static bool IsVersion1(XmlElement claims) => Integer(Member(claims, "v"), 1) == 1;
}
