// Just enough JSON (RFC 8259) for license claims, revocation lists and a JWK Set, as the JDK has
// none: objects (Map), arrays (List), strings, numbers (Double), true, false and null.
import java.util.*;
import java.util.regex.Pattern;

final class Json {
  private static final Pattern SCALAR =
      Pattern.compile("true|false|null|-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?");
  private final String text;
  private int at;

  private Json(String text) {
    this.text = text;
  }

  /** The value of a JSON text; null when the text is null or not JSON. */
  static Object parse(String text) {
    try {
      Json json = new Json(text);
      Object value = json.value();
      return json.skip() == text.length() ? value : null;
    } catch (RuntimeException notJson) { // a missing token, the end of the text, a bad escape
      return null;
    }
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
    var scalar = SCALAR.matcher(text).region(at, text.length());
    if (!scalar.lookingAt()) throw new IllegalArgumentException("not JSON at " + at);
    at = scalar.end();
    String token = scalar.group();
    if (token.equals("null")) return null;
    if (token.equals("true") || token.equals("false")) return Boolean.valueOf(token);
    return Double.valueOf(token);
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
        out.append("\"\\/\b\f\n\r\t".charAt("\"\\/bfnrt".indexOf(text.charAt(at++))));
      }
    }
    return out.toString();
  }
}
