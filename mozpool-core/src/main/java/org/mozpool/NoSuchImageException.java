package org.mozpool;

/** Thrown when an image name is not in the inventory. */
public class NoSuchImageException extends MozpoolException {
  private static final long serialVersionUID = 1L;
  private final String image;

  public NoSuchImageException(String image) {
    super("no image named '" + image + "' in the inventory");
    this.image = image;
  }

  /** The name that was looked up. */
  public String image() {
    return image;
  }
}
