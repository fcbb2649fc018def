package org.mozpool.server.ops;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * A strict parser of the Prometheus text exposition format 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/), written for tests because no
 * parser library is at hand: it rejects anything the format does not allow instead of guessing.
 *
 * <p>Checked: {@code # HELP} and {@code # TYPE} lines (at most one each per family, TYPE before
 * the family's first sample, a known type), metric and label name syntax, quoted label values
 * with only the {@code \\}, {@code \"} and {@code \n} escapes, no label named twice, values
 * (floats, {@code NaN}, {@code +Inf}, {@code -Inf}), optional integer timestamps, no sample
 * repeated, each family's samples contiguous, and for histograms: only {@code _bucket}, {@code
 * _sum} and {@code _count} samples, an {@code le} label on every bucket, cumulative bucket values
 * and a {@code +Inf} bucket equal to {@code _count}.
 */
final class PrometheusText {
  private static final Pattern METRIC_NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
  private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");
  private static final Set<String> TYPES = Set.of("counter", "gauge", "histogram", "summary",
      "untyped");

  /** One sample: its name, labels (sorted) and value. */
  record Sample(String name, Map<String, String> labels, double value) {}

  /** A family: its name, type, help and samples in order. */
  record Family(String name, String type, String help, List<Sample> samples) {}

  private final Map<String, Family> families = new LinkedHashMap<>();

  private PrometheusText() {}

  /** Parses {@code text}; throws {@link IllegalArgumentException} naming the line at fault. */
  static PrometheusText parse(String text) {
    PrometheusText p = new PrometheusText();
    p.read(text);
    return p;
  }

  Map<String, Family> families() {
    return Collections.unmodifiableMap(families);
  }

  /** The value of the sample {@code name} with exactly {@code labels} (name, value pairs). */
  double value(String name, String... labels) {
    Map<String, String> want = new TreeMap<>();
    for (int i = 0; i < labels.length; i += 2) {
      want.put(labels[i], labels[i + 1]);
    }
    for (Family f : families.values()) {
      for (Sample s : f.samples()) {
        if (s.name().equals(name) && s.labels().equals(want)) {
          return s.value();
        }
      }
    }
    throw new AssertionError("no sample " + name + want);
  }

  /** Every sample named {@code name} whose labels include {@code labels} (name, value pairs). */
  List<Sample> samples(String name, String... labels) {
    List<Sample> found = new ArrayList<>();
    for (Family f : families.values()) {
      for (Sample s : f.samples()) {
        boolean match = s.name().equals(name);
        for (int i = 0; match && i < labels.length; i += 2) {
          match = labels[i + 1].equals(s.labels().get(labels[i]));
        }
        if (match) {
          found.add(s);
        }
      }
    }
    return found;
  }

  private final Map<String, String> types = new LinkedHashMap<>();
  private final Map<String, String> helps = new LinkedHashMap<>();
  private final Set<String> finished = new HashSet<>();
  private final Set<String> seen = new HashSet<>();
  private String current;

  private void read(String text) {
    if (!text.isEmpty() && !text.endsWith("\n")) {
      throw new IllegalArgumentException("the exposition must end with a line feed");
    }
    String[] lines = text.split("\n", -1);
    for (int n = 0; n < lines.length - 1; n++) {
      String line = lines[n];
      try {
        readLine(line);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("line " + (n + 1) + " '" + line + "': "
            + e.getMessage(), e);
      }
    }
    for (Family f : families.values()) {
      if ("histogram".equals(f.type())) {
        checkHistogram(f);
      }
    }
  }

  private void readLine(String line) {
    if (line.isBlank()) {
      return;
    }
    if (line.startsWith("#")) {
      String[] parts = line.split(" ", 4);
      if (parts.length >= 3 && parts[0].equals("#")
          && (parts[1].equals("HELP") || parts[1].equals("TYPE"))) {
        String name = parts[2];
        require(METRIC_NAME.matcher(name).matches(), "bad metric name " + name);
        String rest = parts.length == 4 ? parts[3] : "";
        if (parts[1].equals("TYPE")) {
          require(TYPES.contains(rest), "unknown type '" + rest + "'");
          require(!types.containsKey(name), "second TYPE for " + name);
          require(!families.containsKey(name), "TYPE after samples of " + name);
          types.put(name, rest);
        } else {
          require(!helps.containsKey(name), "second HELP for " + name);
          checkHelpEscapes(rest);
          helps.put(name, rest);
        }
      }
      return; // other comments are allowed
    }
    sample(line);
  }

  private void sample(String line) {
    int i = 0;
    while (i < line.length() && line.charAt(i) != '{' && line.charAt(i) != ' ') {
      i++;
    }
    String name = line.substring(0, i);
    require(METRIC_NAME.matcher(name).matches(), "bad metric name '" + name + "'");
    Map<String, String> labels = new TreeMap<>();
    if (i < line.length() && line.charAt(i) == '{') {
      i++;
      while (true) {
        require(i < line.length(), "unterminated label set");
        if (line.charAt(i) == '}') {
          i++;
          break;
        }
        int start = i;
        while (i < line.length() && line.charAt(i) != '=') {
          i++;
        }
        String label = line.substring(start, i);
        require(LABEL_NAME.matcher(label).matches(), "bad label name '" + label + "'");
        require(i + 1 < line.length() && line.charAt(i + 1) == '"',
            "label value of " + label + " not quoted");
        i += 2;
        StringBuilder value = new StringBuilder();
        while (true) {
          require(i < line.length(), "unterminated label value");
          char c = line.charAt(i++);
          if (c == '"') {
            break;
          }
          if (c == '\\') {
            require(i < line.length(), "dangling escape");
            char e = line.charAt(i++);
            switch (e) {
              case '\\' -> value.append('\\');
              case '"' -> value.append('"');
              case 'n' -> value.append('\n');
              default -> throw new IllegalArgumentException("bad escape \\" + e);
            }
          } else {
            value.append(c);
          }
        }
        require(labels.put(label, value.toString()) == null, "label " + label + " twice");
        require(i < line.length(), "unterminated label set");
        if (line.charAt(i) == ',') {
          i++;
        } else {
          require(line.charAt(i) == '}', "expected ',' or '}' after a label");
        }
      }
    }
    require(i < line.length() && line.charAt(i) == ' ', "expected a space before the value");
    String[] rest = line.substring(i + 1).split(" ", -1);
    require(rest.length == 1 || rest.length == 2, "expected a value and an optional timestamp");
    double value = parseValue(rest[0]);
    if (rest.length == 2) {
      require(rest[1].matches("-?[0-9]+"), "bad timestamp " + rest[1]);
    }
    String family = familyOf(name);
    if (!family.equals(current)) {
      require(!finished.contains(family), "samples of " + family + " are not contiguous");
      if (current != null) {
        finished.add(current);
      }
      current = family;
    }
    require(seen.add(name + labels), "sample " + name + labels + " repeated");
    Family f = families.computeIfAbsent(family, k -> new Family(k,
        types.getOrDefault(k, "untyped"), helps.getOrDefault(k, ""), new ArrayList<>()));
    if ("histogram".equals(f.type())) {
      require(name.equals(family + "_bucket") || name.equals(family + "_sum")
          || name.equals(family + "_count"), "histogram sample " + name);
      require(!name.endsWith("_bucket") || labels.containsKey("le"), "bucket without le");
    } else if (!"summary".equals(f.type())) {
      require(name.equals(family), "sample " + name + " in family " + family);
    }
    f.samples().add(new Sample(name, Collections.unmodifiableMap(labels), value));
  }

  /** The family a sample belongs to: a declared family it is a name of, or its own name. */
  private String familyOf(String name) {
    if (types.containsKey(name)) {
      return name;
    }
    for (String suffix : new String[] {"_bucket", "_sum", "_count"}) {
      if (name.endsWith(suffix)) {
        String base = name.substring(0, name.length() - suffix.length());
        String type = types.get(base);
        if ("histogram".equals(type) || "summary".equals(type)) {
          return base;
        }
      }
    }
    return name;
  }

  private static void checkHistogram(Family f) {
    Map<Map<String, String>, List<double[]>> buckets = new LinkedHashMap<>();
    Map<Map<String, String>, Double> counts = new LinkedHashMap<>();
    for (Sample s : f.samples()) {
      Map<String, String> series = new TreeMap<>(s.labels());
      String le = series.remove("le");
      if (s.name().endsWith("_bucket")) {
        buckets.computeIfAbsent(series, k -> new ArrayList<>())
            .add(new double[] {parseValue(le), s.value()});
      } else if (s.name().endsWith("_count")) {
        counts.put(series, s.value());
      }
    }
    for (Map.Entry<Map<String, String>, List<double[]>> e : buckets.entrySet()) {
      List<double[]> b = e.getValue();
      for (int i = 1; i < b.size(); i++) {
        require(b.get(i)[0] > b.get(i - 1)[0], f.name() + ": buckets not in increasing le");
        require(b.get(i)[1] >= b.get(i - 1)[1], f.name() + ": bucket counts not cumulative");
      }
      double[] last = b.get(b.size() - 1);
      require(last[0] == Double.POSITIVE_INFINITY, f.name() + ": no +Inf bucket");
      require(counts.containsKey(e.getKey()) && counts.get(e.getKey()) == last[1],
          f.name() + e.getKey() + ": +Inf bucket differs from _count");
    }
  }

  private static void checkHelpEscapes(String help) {
    for (int i = 0; i < help.length(); i++) {
      if (help.charAt(i) == '\\') {
        require(i + 1 < help.length() && (help.charAt(i + 1) == '\\'
            || help.charAt(i + 1) == 'n'), "bad escape in HELP");
        i++;
      }
    }
  }

  private static double parseValue(String v) {
    switch (v) {
      case "NaN":
        return Double.NaN;
      case "+Inf":
        return Double.POSITIVE_INFINITY;
      case "-Inf":
        return Double.NEGATIVE_INFINITY;
      default:
        require(v.matches("[-+]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][-+]?[0-9]+)?"),
            "bad value '" + v + "'");
        return Double.parseDouble(v);
    }
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }
}
