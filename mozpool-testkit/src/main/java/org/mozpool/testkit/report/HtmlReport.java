package org.mozpool.testkit.report;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * Renders lab reports as one self-contained HTML page: the text report, and inline SVG charts of
 * outcomes, time to ready and device-state occupancy over time for every run side by side. No
 * scripts, no external resources.
 */
public final class HtmlReport {
  private static final String[] COLOURS = {
      "#4e79a7", "#a0cbe8", "#f28e2b", "#edc948", "#76b7b2", "#e15759", "#b07aa1", "#bab0ac"};

  private HtmlReport() {}

  /** The page for {@code reports} (one column each), titled {@code title}. */
  public static String render(String title, List<LabReport> reports) {
    if (reports.isEmpty()) {
      throw new IllegalArgumentException("at least one report is required");
    }
    StringBuilder h = new StringBuilder();
    h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>")
        .append(esc(title)).append("</title>\n<style>\n")
        .append("body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1200px}\n")
        .append("pre{background:#f6f6f6;padding:1em;overflow-x:auto;font-size:13px}\n")
        .append(".runs{display:flex;gap:2em;flex-wrap:wrap}.run{flex:1;min-width:480px}\n")
        .append("table{border-collapse:collapse}td,th{padding:2px 10px;text-align:right}\n")
        .append("th:first-child,td:first-child{text-align:left}\n")
        .append(".legend span{display:inline-block;margin-right:12px;font-size:12px}\n")
        .append(".legend i{display:inline-block;width:10px;height:10px;margin-right:4px}\n")
        .append("</style></head><body>\n<h1>").append(esc(title)).append("</h1>\n");
    h.append("<h2>Outcomes</h2>\n").append(outcomes(reports));
    h.append("<h2>Time to ready</h2>\n").append(timeToReady(reports));
    h.append("<h2>Device states over time</h2>\n<div class=\"legend\">");
    for (int i = 0; i < LabRecorder.CATEGORIES.size(); i++) {
      h.append("<span><i style=\"background:").append(COLOURS[i]).append("\"></i>")
          .append(esc(LabRecorder.CATEGORIES.get(i))).append("</span>");
    }
    h.append("</div>\n<div class=\"runs\">\n");
    for (LabReport r : reports) {
      h.append("<div class=\"run\"><h3>").append(esc(r.label())).append("</h3>\n")
          .append(occupancy(r)).append("</div>\n");
    }
    h.append("</div>\n<h2>Report</h2>\n<pre>").append(esc(LabReport.sideBySide(reports)))
        .append("</pre>\n</body></html>\n");
    return h.toString();
  }

  private static String outcomes(List<LabReport> reports) {
    TreeSet<String> reasons = new TreeSet<>();
    reports.forEach(r -> reasons.addAll(r.failures().keySet()));
    int width = 640;
    int rowH = 28;
    int height = reports.size() * rowH + 20;
    StringBuilder s = svg(width, height);
    for (int i = 0; i < reports.size(); i++) {
      LabReport r = reports.get(i);
      double total = Math.max(1, r.served() + r.failed() + r.unfinished());
      double x = 120;
      double span = width - 130;
      int y = 10 + i * rowH;
      s.append(text(4, y + 16, r.label(), "start"));
      x = bar(s, x, y, r.served() / total * span, COLOURS[0], "served " + r.served());
      int k = 0;
      for (String reason : reasons) {
        int n = r.failures().getOrDefault(reason, 0);
        x = bar(s, x, y, n / total * span, COLOURS[5 + (k++ % 3)], reason + " " + n);
      }
      bar(s, x, y, r.unfinished() / total * span, COLOURS[7], "waiting " + r.unfinished());
      s.append(text(width - 4, y + 16, String.format(Locale.ROOT, "%.1f%% served",
          r.servedPercent()), "end"));
    }
    return s.append("</svg>\n").toString();
  }

  private static double bar(StringBuilder s, double x, double y, double w, String colour,
      String tip) {
    if (w <= 0) {
      return x;
    }
    s.append(String.format(Locale.ROOT,
        "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"20\" fill=\"%s\"><title>%s</title>"
            + "</rect>\n", x, y, w, colour, esc(tip)));
    return x + w;
  }

  private static String timeToReady(List<LabReport> reports) {
    double max = 1;
    for (LabReport r : reports) {
      if (r.ttrP99() != null) {
        max = Math.max(max, r.ttrP99().toSeconds());
      }
    }
    int width = 640;
    int groupH = 80;
    StringBuilder s = svg(width, reports.size() * groupH + 10);
    String[] names = {"p50", "p95", "p99"};
    for (int i = 0; i < reports.size(); i++) {
      LabReport r = reports.get(i);
      java.time.Duration[] values = {r.ttrP50(), r.ttrP95(), r.ttrP99()};
      int y0 = 5 + i * groupH;
      s.append(text(4, y0 + 14, r.label(), "start"));
      for (int k = 0; k < 3; k++) {
        double secs = values[k] == null ? 0 : values[k].toSeconds();
        double w = secs / max * (width - 220);
        int y = y0 + 20 + k * 18;
        s.append(text(150, y + 12, names[k], "end"));
        s.append(String.format(Locale.ROOT,
            "<rect x=\"160\" y=\"%d\" width=\"%.1f\" height=\"14\" fill=\"%s\"/>\n", y, w,
            COLOURS[k == 0 ? 0 : k == 1 ? 2 : 5]));
        s.append(text(166 + w, y + 12, LabReport.human(values[k]), "start"));
      }
    }
    return s.append("</svg>\n").toString();
  }

  private static String occupancy(LabReport r) {
    int width = 560;
    int height = 240;
    int left = 40;
    int bottom = 20;
    StringBuilder s = svg(width, height);
    List<LabReport.Sample> samples = r.occupancy();
    if (samples.size() < 2) {
      return s.append(text(10, 20, "no samples", "start")).append("</svg>\n").toString();
    }
    double total = Math.max(1, r.devices());
    double plotW = width - left - 10;
    double plotH = height - bottom - 10;
    double tMax = Math.max(1, samples.get(samples.size() - 1).at().toSeconds());
    double[] base = new double[samples.size()];
    List<String> cats = LabRecorder.CATEGORIES;
    for (int c = 0; c < cats.size(); c++) {
      StringBuilder upper = new StringBuilder();
      StringBuilder lower = new StringBuilder();
      double[] top = new double[samples.size()];
      for (int i = 0; i < samples.size(); i++) {
        LabReport.Sample smp = samples.get(i);
        top[i] = base[i] + smp.counts().getOrDefault(cats.get(c), 0);
        double x = left + smp.at().toSeconds() / tMax * plotW;
        upper.append(String.format(Locale.ROOT, "%.1f,%.1f ", x,
            10 + plotH - top[i] / total * plotH));
      }
      for (int i = samples.size() - 1; i >= 0; i--) {
        double x = left + samples.get(i).at().toSeconds() / tMax * plotW;
        lower.append(String.format(Locale.ROOT, "%.1f,%.1f ", x,
            10 + plotH - base[i] / total * plotH));
      }
      s.append("<polygon fill=\"").append(COLOURS[c]).append("\" points=\"").append(upper)
          .append(lower).append("\"><title>").append(esc(cats.get(c))).append("</title></polygon>\n");
      base = top;
    }
    s.append(String.format(Locale.ROOT,
        "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n", left,
        10 + plotH, left + plotW, 10 + plotH));
    s.append(text(left - 4, 16, Integer.toString(r.devices()), "end"));
    s.append(text(left - 4, 10 + plotH, "0", "end"));
    s.append(text(left, height - 4, "0", "middle"));
    s.append(text(left + plotW, height - 4, LabReport.human(r.simulated()), "end"));
    return s.append("</svg>\n").toString();
  }

  private static StringBuilder svg(int width, int height) {
    return new StringBuilder(String.format(Locale.ROOT,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
            + "viewBox=\"0 0 %d %d\" font-size=\"12\">\n", width, height, width, height));
  }

  private static String text(double x, double y, String t, String anchor) {
    return String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">%s</text>\n",
        x, y, anchor, esc(t));
  }

  static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        .replace("\"", "&quot;");
  }
}
