// The test harness around Verify.cs: the CLI contract of ../README.md.
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

public static class Cli {
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
          || Verify.Normalise(featureCode) == "" || seconds("--now") == null || skew < 0) {
        Console.Error.WriteLine("usage: verify --jwks <file> --product <id> --feature-code <code>"
          + " --now <s> [options] <license file>");
        return 2;
      }
      long now = seconds("--now").Value;
      var keys = Jws.TrustedKeys(File.ReadAllBytes(option("--jwks")));
      HashSet<string> revoked = null;
      if (option("--revocations") != null) {
        string list = File.ReadAllText(option("--revocations"));
        long? maxAge = seconds("--revocations-max-age");
        revoked = Revocations.RevokedSubs(list, keys, now, skew, maxAge);
      }
      string license = File.ReadAllText(file, Encoding.UTF8);
      long? lastSeen = seconds("--last-seen");
      string claims =
        Verify.Check(license, keys, product, featureCode, now, lastSeen, skew, revoked);
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
