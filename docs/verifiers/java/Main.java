// The test harness around Verify.java: the CLI contract of ../README.md.
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.*;

public final class Main {
  public static void main(String[] args) {
    try {
      run(args);
    } catch (Verify.Rejected rejected) {
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
        || Verify.normalise(featureCode).isEmpty() || !options.containsKey("--now") || skew < 0) {
      System.err.println("usage: verify --jwks <file> --product <id> --feature-code <code>"
          + " --now <s> [options] <license file>");
      System.exit(2);
    }
    long now = Long.parseLong(options.get("--now"));
    String jwks = Files.readString(Path.of(options.get("--jwks")));
    Map<String, PublicKey> keys = Jws.trustedKeys(jwks);
    Set<String> revoked = null;
    if (options.containsKey("--revocations")) {
      String list = Files.readString(Path.of(options.get("--revocations")));
      Long maxAge = seconds(options.get("--revocations-max-age"));
      revoked = Revocations.revokedSubs(list, keys, now, skew, maxAge);
    }
    String license = new String(Files.readAllBytes(Path.of(file)), StandardCharsets.UTF_8);
    Long lastSeen = seconds(options.get("--last-seen"));
    String claims =
        Verify.verify(license, keys, product, featureCode, now, lastSeen, skew, revoked);
    // UTF-8 whatever the locale: System.out would print the customer's Chinese name as "??".
    new java.io.PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true,
        StandardCharsets.UTF_8).println(claims);
  }

  static Long seconds(String option) {
    return option == null ? null : Long.valueOf(option);
  }
}
