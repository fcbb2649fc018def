package org.mozpool.server.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The test parser is strict: what the exposition format forbids is rejected. */
class PrometheusTextTest {

  private static final String HISTOGRAM = """
      # HELP t_seconds a timer
      # TYPE t_seconds histogram
      t_seconds_bucket{le="0.1",outcome="ok"} 1
      t_seconds_bucket{le="+Inf",outcome="ok"} 3
      t_seconds_count{outcome="ok"} 3
      t_seconds_sum{outcome="ok"} 0.5
      """;

  @Test
  void aWellFormedExpositionIsReadWithItsTypesLabelsAndValues() {
    PrometheusText p = PrometheusText.parse("""
        # HELP c_total a "counter" with \\\\ and \\n
        # TYPE c_total counter
        c_total{a="x\\"y",b="z"} 2.0
        c_total{a="w"} 1e3
        # a plain comment
        g NaN
        """ + HISTOGRAM);

    assertThat(p.value("c_total", "a", "x\"y", "b", "z")).isEqualTo(2.0);
    assertThat(p.value("c_total", "a", "w")).isEqualTo(1000.0);
    assertThat(p.families().get("c_total").type()).isEqualTo("counter");
    assertThat(p.families().get("g").type()).isEqualTo("untyped");
    assertThat(p.value("t_seconds_count", "outcome", "ok")).isEqualTo(3.0);
  }

  @Test
  void whatTheFormatForbidsIsRejected() {
    String[] bad = {
        "9bad 1\n",                                        // metric name
        "m{9a=\"x\"} 1\n",                                 // label name
        "m{a=x} 1\n",                                      // unquoted value
        "m{a=\"x\\t\"} 1\n",                               // escape
        "m{a=\"x\",a=\"y\"} 1\n",                           // label twice
        "m 1\nm 2\n",                                      // repeated sample
        "m 1\nn 1\nm{a=\"b\"} 1\n",                         // not contiguous
        "m one\n",                                         // value
        "m 1",                                             // no final line feed
        "# TYPE m counter\n# TYPE m counter\nm 1\n",       // TYPE twice
        "m 1\n# TYPE m counter\n",                         // TYPE after samples
        "# TYPE m countr\nm 1\n",                          // unknown type
        HISTOGRAM.replace("le=\"+Inf\"", "le=\"1\""),      // no +Inf bucket
        HISTOGRAM.replace("} 3\nt_seconds_count{outcome=\"ok\"} 3", "} 3\nt_seconds_count{outcome=\"ok\"} 4"),
        HISTOGRAM.replace("} 1\n", "} 5\n"),               // not cumulative
    };
    for (String text : bad) {
      assertThatThrownBy(() -> PrometheusText.parse(text)).as(text)
          .isInstanceOf(IllegalArgumentException.class);
    }
  }
}
