package org.mozpool.core.internal;

import static org.mozpool.RequestStates.CLOSED;
import static org.mozpool.RequestStates.CONTACTING_LIFEGUARD;
import static org.mozpool.RequestStates.FAILED_BAD_DEVICE;
import static org.mozpool.RequestStates.FAILED_BAD_IMAGE;
import static org.mozpool.RequestStates.FAILED_DEVICE_BUSY;
import static org.mozpool.RequestStates.FAILED_DEVICE_NOT_FOUND;
import static org.mozpool.RequestStates.FINDING_DEVICE;
import static org.mozpool.RequestStates.NEW;
import static org.mozpool.RequestStates.PENDING;
import static org.mozpool.RequestStates.READY;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.mozpool.DeviceStates;
import org.mozpool.DeviceView;
import org.mozpool.Image;
import org.mozpool.ImagingResult;
import org.mozpool.RequestSpec;
import org.mozpool.PoolPolicy;
import org.mozpool.spi.Claim;
import org.mozpool.spi.DeviceQuery;
import org.mozpool.spi.DeviceRecord;
import org.mozpool.spi.RequestRecord;
import org.mozpool.spi.StoreTransaction;

/** The request ("Mozpool layer") state machine of DESIGN §6. */
final class RequestMachine {
  static final String IMAGING_RESULT = "imaging_result";
  static final String RETRY = "retry";
  static final String ACCEPTED = "lifeguard_accepted";
  static final String REFUSED = "lifeguard_refused";

  private static final String CONTACT_TRIES = "contact_tries";
  private static final String POLLS = "polls";
  private static final String BAD_IMAGES = "bad_images";
  private static final int MAX_CLAIM_RACES = 5;

  private final StandardPool pool;
  private final PoolPolicy policy;

  RequestMachine(StandardPool pool, PoolPolicy policy) {
    this.pool = pool;
    this.policy = policy;
  }

  Map<String, MachineState> states() {
    Map<String, MachineState> m = new HashMap<>();
    for (MachineState s : List.of(new New(), new Finding(), new Contacting(), new Pending(),
        new Ready(), new Closed(), new Failed(FAILED_DEVICE_NOT_FOUND),
        new Failed(FAILED_DEVICE_BUSY), new Failed(FAILED_BAD_DEVICE),
        new Failed(FAILED_BAD_IMAGE))) {
      m.put(s.name(), s);
    }
    return m;
  }

  /** Stands in for a stored state name this version does not know: waits, expires. */
  MachineState unknown() {
    return new Live("unknown", null);
  }

  // ---- shared behaviour ----

  private static RequestRecord request(Step step) {
    return step.tx().request(step.id()).orElseThrow();
  }

  /** Caps the deadline at the lease expiry, so expiry closes a request in any live state. */
  private static void capAtExpiry(Step step) {
    Instant expires = request(step).expiresAt();
    if (step.deadline() == null || step.deadline().isAfter(expires)) {
      step.setDeadline(expires);
    }
  }

  private void fail(Step step, String state, String reason) {
    RequestRecord r = request(step);
    step.tx().updateRequest(r.id(), r.expiresAt(), r.devicesTried(), reason);
    step.log(reason);
    step.goTo(state);
  }

  /** Releases the request's claim (if any) and wakes the queue for the freed device. */
  private void release(Step step, String why) {
    step.tx().releaseClaim(step.id()).ifPresent(c -> {
      step.log("released device " + c.device() + ": " + why);
      step.afterCommit(() -> pool.queue().deviceMayBeFree(c.device()));
    });
  }

  /** A live (non-terminal) state: expiry closes it. */
  private class Live implements MachineState {
    private final String name;
    private final Duration timeout;

    Live(String name, Duration timeout) {
      this.name = name;
      this.timeout = timeout;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public Duration timeout() {
      return timeout;
    }

    @Override
    public void onEntry(Step step) {
      capAtExpiry(step);
      entered(step);
    }

    void entered(Step step) {}

    @Override
    public final void onTimeout(Step step) {
      if (!step.now().isBefore(request(step).expiresAt())) {
        step.log("lease expired in state " + name);
        step.goTo(CLOSED);
        return;
      }
      timedOut(step);
      if (!step.hasPending()) {
        capAtExpiry(step);
      }
    }

    void timedOut(Step step) {}
  }

  private final class New extends Live {
    New() {
      super(NEW, Duration.ZERO);
    }

    @Override
    void timedOut(Step step) {
      step.goTo(FINDING_DEVICE);
    }
  }

  // ---- finding_device ----

  private final class Finding extends Live {
    Finding() {
      super(FINDING_DEVICE, null);
    }

    @Override
    public void onEntry(Step step) {
      tryToClaim(step);
    }

    @Override
    void timedOut(Step step) {
      tryToClaim(step);
    }

    @Override
    public void onEvent(Step step, String event, Map<String, Object> args) {
      if (RETRY.equals(event)) {
        tryToClaim(step);
      } else {
        super.onEvent(step, event, args);
      }
    }

    private void tryToClaim(Step step) {
      RequestRecord r = request(step);
      RequestSpec spec = r.spec();
      Instant giveUp = r.createdAt().plus(spec.waitBudget());
      StoreTransaction tx = step.tx();
      List<DeviceRecord> candidates;
      if (spec.isAny()) {
        candidates = anyCandidates(tx, r);
      } else {
        Optional<DeviceRecord> named = tx.device(spec.device());
        if (named.isEmpty()) {
          fail(step, FAILED_BAD_DEVICE, "device " + spec.device() + " is no longer in the inventory");
          return;
        }
        DeviceRecord d = named.get();
        Optional<Claim> claim = tx.claimOfDevice(d.name());
        if (claim.isPresent() && !claim.get().requestId().equals(r.id())) {
          fail(step, FAILED_DEVICE_BUSY, "device " + d.name() + " is held by request "
              + claim.get().requestId());
          return;
        }
        if (DeviceStates.isFailed(d.machine().state())) {
          fail(step, FAILED_BAD_DEVICE, "device " + d.name() + " is in "
              + d.machine().state());
          return;
        }
        candidates = DeviceStates.READY.equals(d.machine().state()) && installable(tx, d, spec)
            ? List.of(d) : List.of();
      }
      for (int race = 0; race < MAX_CLAIM_RACES && !candidates.isEmpty(); race++) {
        DeviceRecord chosen = choose(tx, candidates, spec);
        if (tx.claim(chosen.name(), r.id(), step.now())) {
          List<String> tried = new ArrayList<>(r.devicesTried());
          tried.add(chosen.name());
          tx.updateRequest(r.id(), r.expiresAt(), tried, r.failureReason());
          step.log("claimed device " + chosen.name());
          step.setCounter(CONTACT_TRIES, 0);
          step.afterCommit(() -> pool.queue().remove(r.id()));
          step.goTo(CONTACTING_LIFEGUARD);
          return;
        }
        List<DeviceRecord> rest = new ArrayList<>(candidates);
        rest.remove(chosen);
        candidates = rest;
      }
      if (!step.now().isBefore(giveUp)) {
        fail(step, FAILED_DEVICE_NOT_FOUND, "no matching device became free within "
            + spec.waitBudget());
        return;
      }
      if (!FINDING_DEVICE.equals(step.state()) || step.deadline() == null
          || !step.deadline().isAfter(step.now())) {
        Instant next = step.now().plus(policy.queueRecheck());
        step.setDeadline(next.isBefore(giveUp) ? next : giveUp);
        capAtExpiry(step);
      }
      step.afterCommit(() -> pool.queue().add(r));
    }

    private List<DeviceRecord> anyCandidates(StoreTransaction tx, RequestRecord r) {
      RequestSpec spec = r.spec();
      // One image lookup and one PXE lookup per hardware type for the whole scan, not two store
      // reads per device: on a SQL store those were round trips, hundreds per claim in a big lab.
      boolean reusable = tx.image(spec.image()).map(Image::reusable).orElse(false);
      Map<String, Boolean> pxeFor = new HashMap<>();
      List<DeviceRecord> out = new ArrayList<>();
      for (DeviceRecord d : tx.findDevices(new DeviceQuery(DeviceStates.READY, true,
          spec.environment(), spec.hardwareType(), spec.hardwareModel()))) {
        if (d.spec().tags().entrySet().containsAll(spec.tags().entrySet())
            && !r.devicesTried().contains(d.name())
            && (reusable && carries(d, spec) || pxeFor.computeIfAbsent(d.spec().hardwareType(),
                hw -> tx.pxeConfigFor(spec.image(), hw).isPresent()))) {
          out.add(d);
        }
      }
      return out;
    }

    private DeviceRecord choose(StoreTransaction tx, List<DeviceRecord> candidates, RequestSpec spec) {
      boolean reusable = tx.image(spec.image()).map(Image::reusable).orElse(false);
      List<DeviceRecord> carrying = reusable
          ? candidates.stream().filter(d -> carries(d, spec)).toList() : List.of();
      List<DeviceRecord> pick = carrying.isEmpty() ? candidates : carrying;
      if (pick.size() == 1) {
        return pick.get(0);
      }
      List<DeviceView> views = new ArrayList<>(pick.size());
      for (DeviceRecord d : pick) {
        views.add(StandardPool.view(d, Optional.empty()));
      }
      DeviceView chosen = pool.selector().select(views, spec);
      return pick.stream().filter(d -> d.name().equals(chosen.name())).findFirst()
          .orElseThrow(() -> new IllegalStateException("device selector returned "
              + chosen.name() + ", which is not a candidate"));
    }
  }

  static boolean carriesReusable(StoreTransaction tx, DeviceRecord d, RequestSpec spec) {
    return carries(d, spec) && tx.image(spec.image()).map(Image::reusable).orElse(false);
  }

  /** Whether the device carries the requested image with the requested boot config. */
  private static boolean carries(DeviceRecord d, RequestSpec spec) {
    return d.image().equals(spec.image()) && d.bootConfig().equals(spec.bootConfig());
  }

  static boolean installable(StoreTransaction tx, DeviceRecord d, RequestSpec spec) {
    return carriesReusable(tx, d, spec)
        || tx.pxeConfigFor(spec.image(), d.spec().hardwareType()).isPresent();
  }

  // ---- contacting_lifeguard ----

  private final class Contacting extends Live {
    Contacting() {
      super(CONTACTING_LIFEGUARD, policy.contactTimeout());
    }

    @Override
    void entered(Step step) {
      RequestRecord r = request(step);
      Optional<Claim> claim = step.tx().claimOfRequest(r.id());
      if (claim.isEmpty()) {
        step.log("lost the claim; looking again");
        step.goTo(FINDING_DEVICE);
        return;
      }
      DeviceRecord d = step.tx().device(claim.get().device()).orElseThrow();
      String state = d.machine().state();
      if (DeviceStates.isFailed(state)) {
        giveUpDevice(step, r, "device " + d.name() + " is in " + state);
        return;
      }
      if (!DeviceStates.READY.equals(state)) {
        if (step.counter(CONTACT_TRIES) > 0) {
          // Lifeguard accepted an earlier attempt whose answer was lost: it is working for us.
          step.log("device " + d.name() + " already in " + state + "; waiting for its result");
          step.goTo(PENDING);
        } else {
          giveUpDevice(step, r, "device " + d.name() + " left ready (" + state + ")");
        }
        return;
      }
      RequestSpec spec = r.spec();
      String device = d.name();
      if (carriesReusable(step.tx(), d, spec)) {
        step.log("device " + device + " already carries " + spec.image() + "; asking for a power cycle");
        step.startOperation("please_power_cycle", () -> pool.lifeguard().pleasePowerCycle(device),
            policy.contactTimeout(), ACCEPTED, REFUSED);
      } else {
        step.log("asking Lifeguard to image " + device + " with " + spec.image());
        step.startOperation("please_image",
            () -> pool.lifeguard().pleaseImage(device, spec.image(), spec.bootConfig()),
            policy.contactTimeout(), ACCEPTED, REFUSED);
      }
    }

    @Override
    public void onEvent(Step step, String event, Map<String, Object> args) {
      if (ACCEPTED.equals(event)) {
        step.goTo(PENDING);
      } else if (REFUSED.equals(event)) {
        step.log("Lifeguard refused: " + args.get(MachineEngine.ERROR));
        retryOrGiveUp(step);
      } else {
        super.onEvent(step, event, args);
      }
    }

    @Override
    void timedOut(Step step) {
      retryOrGiveUp(step);
    }

    private void retryOrGiveUp(Step step) {
      int tries = step.increment(CONTACT_TRIES);
      if (tries >= policy.contactTries()) {
        giveUpDevice(step, request(step), "Lifeguard did not accept after " + tries + " tries");
      } else {
        step.goTo(CONTACTING_LIFEGUARD);
      }
    }
  }

  /** The claimed device cannot serve: another one for {@code any}, failure for a named device. */
  private void giveUpDevice(Step step, RequestRecord r, String why) {
    release(step, why);
    if (r.spec().isAny()) {
      step.goTo(FINDING_DEVICE);
    } else {
      fail(step, FAILED_BAD_DEVICE, why);
    }
  }

  // ---- pending ----

  private final class Pending extends Live {
    Pending() {
      super(PENDING, policy.pendingPoll());
    }

    @Override
    void entered(Step step) {
      step.setCounter(POLLS, 0);
      checkResult(step, false);
    }

    @Override
    public void onEvent(Step step, String event, Map<String, Object> args) {
      if (IMAGING_RESULT.equals(event)) {
        checkResult(step, false);
      } else {
        super.onEvent(step, event, args);
      }
    }

    @Override
    void timedOut(Step step) {
      checkResult(step, true);
    }

    private void checkResult(Step step, boolean poll) {
      RequestRecord r = request(step);
      Optional<Claim> claim = step.tx().claimOfRequest(r.id());
      if (claim.isEmpty()) {
        step.log("lost the claim; looking again");
        step.goTo(FINDING_DEVICE);
        return;
      }
      ImagingResult result = claim.get().imagingResult();
      String device = claim.get().device();
      if (result == null) {
        if (poll) {
          int polls = step.increment(POLLS);
          if (polls >= policy.pendingPolls()) {
            giveUpDevice(step, r, "no imaging result from " + device + " after " + polls + " polls");
          } else {
            step.setDeadline(step.now().plus(policy.pendingPoll()));
          }
        }
        return;
      }
      switch (result) {
        case COMPLETE -> {
          step.log("device " + device + " is ready");
          step.goTo(READY);
        }
        case FAILED_BAD_DEVICE -> giveUpDevice(step, r, "device " + device + " failed");
        case FAILED_BAD_IMAGE -> {
          int bad = step.increment(BAD_IMAGES);
          if (bad >= policy.badImageDevices()) {
            release(step, "bad image");
            fail(step, FAILED_BAD_IMAGE, "image " + r.spec().image() + " failed on " + bad
                + " devices");
          } else {
            release(step, "image " + r.spec().image() + " failed on it; trying another device");
            step.goTo(FINDING_DEVICE);
          }
        }
        default -> throw new IllegalStateException("unexpected result " + result);
      }
    }
  }

  // ---- ready and the end ----

  private final class Ready extends Live {
    Ready() {
      super(READY, null);
    }
  }

  /** A terminal state: no timeout; entering it leaves the queue and gives the device back. */
  private abstract class Terminal implements MachineState {
    private final String name;

    Terminal(String name) {
      this.name = name;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public Duration timeout() {
      return null;
    }

    @Override
    public void onEntry(Step step) {
      pool.queue().removeLater(step);
      giveBack(step);
    }

    abstract void giveBack(Step step);
  }

  private final class Closed extends Terminal {
    Closed() {
      super(CLOSED);
    }

    @Override
    void giveBack(Step step) {
      step.tx().releaseClaim(step.id()).ifPresent(c -> {
        step.log("returned device " + c.device());
        step.afterCommit(() -> pool.deviceReturned(c.device()));
      });
    }
  }

  private final class Failed extends Terminal {
    Failed(String name) {
      super(name);
    }

    @Override
    void giveBack(Step step) {
      release(step, "request failed (" + name() + ")");
    }
  }
}
