package org.mozpool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ImageTest {

  private static Image b2g() {
    return Image.builder("b2g").requiredBootConfigKeys("b2gbase", "extra").reusable(true)
        .hasAgent(true).build();
  }

  @Test
  void aBuilderRefusesABadNameAtOnce() {
    assertThatThrownBy(() -> Image.builder("b2g nightly"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("image name must be 1-128 letters")
        .hasMessageEndingWith("got 'b2g nightly'");
  }

  @Test
  void aRequiredKeyGivenTwiceIsRequiredOnce() {
    Image image = Image.builder("b2g").requiredBootConfigKeys("b2gbase", "b2gbase")
        .requiredBootConfigKeys("b2gbase").build();
    assertThat(image.requiredBootConfigKeys()).containsExactly("b2gbase");
  }

  @Test
  void aNullRequiredKeyIsRefusedAtOnceNamingTheImageAndAddsNoKeyOfThatCall() {
    Image.Builder b = Image.builder("b2g").requiredBootConfigKeys("b2gbase");
    assertThatThrownBy(() -> b.requiredBootConfigKeys("extra", null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("required boot config key of image b2g must not be null, got [extra, null]");
    assertThatThrownBy(() -> b.requiredBootConfigKeys((String[]) null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("required boot config keys of image b2g must not be null");
    assertThat(b.build().requiredBootConfigKeys()).containsExactly("b2gbase");
  }

  @Test
  void everyFlagDefaultsToFalse() {
    Image image = Image.builder("android").build();
    assertThat(image.reusable()).isFalse();
    assertThat(image.hidden()).isFalse();
    assertThat(image.hasAgent()).isFalse();
    assertThat(image.requiredBootConfigKeys()).isEmpty();
  }

  @Test
  void anImageRebuiltFromItsBuilderEqualsIt() {
    assertThat(b2g().toBuilder().build()).isEqualTo(b2g());
    Image plain = Image.builder("android").build();
    assertThat(plain.toBuilder().build()).isEqualTo(plain);
  }

  @Test
  void changingOneFieldThroughToBuilderKeepsTheOthers() {
    Image hidden = b2g().toBuilder().hidden(true).build();
    assertThat(hidden).isEqualTo(new Image("b2g", b2g().requiredBootConfigKeys(), true, true,
        true));
    assertThat(b2g().hidden()).isFalse();
  }
}
