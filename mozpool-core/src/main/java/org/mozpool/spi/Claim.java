package org.mozpool.spi;

import java.time.Instant;
import org.mozpool.ImagingResult;

/**
 * The link between a request and the device it holds: at most one per device and one per
 * request, enforced by the store. It is the only lock between the pool and Lifeguard.
 *
 * @param device the claimed device
 * @param requestId the claiming request
 * @param claimedAt when
 * @param imagingResult the last imaging result Lifeguard reported, or {@code null}
 */
public record Claim(String device, String requestId, Instant claimedAt, ImagingResult imagingResult) {}
