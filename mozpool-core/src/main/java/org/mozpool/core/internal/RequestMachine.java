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
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.mozpool.ConflictException;
import org.mozpool.DeviceStates;
import org.mozpool.Image;
import org.mozpool.ImagingResult;
import org.mozpool.LogEntry;
import org.mozpool.NoSuchDeviceException;
import org.mozpool.PleaseSender;
import org.mozpool.RefusedException;
import org.mozpool.RequestSpec;
import org.mozpool.PoolPolicy;
import org.mozpool.spi.Claim;
import org.mozpool.spi.DeviceQuery;
import org.mozpool.spi.DeviceRecord;
import org.mozpool.spi.DeviceTarget;
import org.mozpool.spi.MachineKind;
import org.mozpool.spi.RequestRecord;
import org.mozpool.spi.StoreTransaction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The request ("Mozpool layer") state machine of DESIGN §6.
 *
 * <p>Setbacks, and what each costs the request:
 * <ul>
 *   <li>Lifeguard <em>refuses</em> the please-event (the device left {@code ready} for someone
 *       else's work, e.g. an operator's self-test): the claim is released and the request looks
 *       for a device again at once; a refusal of a device still {@code ready} means it can never
 *       serve this request ({@code any}: another device; named: {@code failed_bad_device}).
 *   <li>Lifeguard's answer is <em>unknown</em> (no answer within the contact timeout, or it could not
 *       be reached): asked again, up to {@link PoolPolicy#contactTries()} times; a device found
 *       busy meanwhile is only waited for if it is doing this request's work (installing its image
 *       or power-cycling), since then an earlier attempt was accepted and its answer lost.
 *   <li>In {@code pending}, a named request waits until Lifeguard reports or its lease expires; an
 *       {@code any} request gives the device up after {@link PoolPolicy#pendingPolls()} polls or
 *       Lifeguard's own {@linkplain org.mozpool.spi.Lifeguard#workflowBudget budget} for the
 *       workflow, whichever is longer. Either gives up at once when a poll finds the device idle or
 *       parked with no result: Lifeguard is no longer working on it for this request.
 *   <li>Every search for a substitute (or, for a named request, for its device again) gets a wait
 *       budget of its own, counted from when it began, and a failure says what sent it searching.
 * </ul>
 */
final class RequestMachine {
  private static final Logger LOG = LoggerFactory.getLogger(RequestMachine.class);
  static final String IMAGING_RESULT = "imaging_result";
  /** Argument of {@link #IMAGING_RESULT}: why, when Lifeguard says (e.g. who ended the lease). */
  static final String REASON = "reason";
  static final String RETRY = "retry";
  static final String ACCEPTED = "lifeguard_accepted";
  static final String REFUSED = "lifeguard_refused";
  /** Lifeguard could not be asked, or failed otherwise: whether it took the event is unknown. */
  static final String UNREACHABLE = "lifeguard_unreachable";
  /** Counter set by a bad-device return: the closed request keeps its claim for Lifeguard. */
  static final String HANDING_OVER = "handing_over";

  private static final String ATTEMPT = "attempt";
  private static final String REFUSED_IN = "refused_in";
  private static final String CONTACT_TRIES = "contact_tries";
  private static final String POLLS = "polls";
  private static final String BAD_IMAGES = "bad_images";
  /** Counter: which please-event was last sent ({@link #IMAGE} or {@link #POWER_CYCLE}). */
  private static final String ASKED = "asked";
  private static final int IMAGE = 1;
  private static final int POWER_CYCLE = 2;
  /** Counter: substitute searches so far. */
  private static final String SEARCHES = "searches";
  /** Counter: when the current search began, in whole seconds (rounded up) after creation. */
  private static final String SEARCH_FROM = "search_from_s";
  /** Prefix of the log line that records why a search began; read back for the failure reason. */
  private static final String SEARCH_LOG = "searching again: ";
  private static final int MAX_CLAIM_RACES = 5;
  /** Counter: a mark of the last reason logged for declining free candidates (0: none). */
  private static final String DECLINED = "declined";
  /** Prefix of the log line that says why free candidates were not taken. */
  private static final String DECLINED_LOG = "free candidates not taken: ";
  /** Device states in which Lifeguard runs no workflow: a pending request's work is not going on. */
  private static final Set<String> IDLE = Set.of(DeviceStates.READY, DeviceStates.MAINTENANCE_MODE,
      DeviceStates.TROUBLESHOOTING, DeviceStates.LOCKED_OUT, DeviceStates.UNKNOWN,
      DeviceStates.RETIRED);
  private static final Set<String> POWER_CYCLE_STATES = Set.of(DeviceStates.PC_POWER_CYCLING,
      DeviceStates.PC_REBOOTING, DeviceStates.PC_PINGING, DeviceStates.OPERATION_COMPLETE);

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

  /**
   * Releases the claim and searches again, with a wait budget of its own from now; {@code why}
   * (what went wrong with the device) is logged and becomes part of the failure reason if the
   * search finds nothing.
   */
  private void searchAgain(Step step, RequestRecord r, String why) {
    release(step, why);
    Duration since = Duration.between(r.createdAt(), step.now());
    long seconds = since.getSeconds() + (since.getNano() > 0 ? 1 : 0);
    step.setCounter(SEARCH_FROM, (int) Math.min(Integer.MAX_VALUE, Math.max(0, seconds)));
    step.increment(SEARCHES);
    step.setCounter(DECLINED, 0);
    step.log(SEARCH_LOG + why);
    step.goTo(FINDING_DEVICE);
  }

  /** When the current search gives up: its start plus the requester's wait budget. */
  private static Instant searchGivesUpAt(Step step, RequestRecord r) {
    return r.createdAt().plusSeconds(step.counter(SEARCH_FROM)).plus(r.spec().waitBudget());
  }

  /** Why the current search began, from the log; empty for the first search. */
  private static String searchReason(Step step) {
    if (step.counter(SEARCHES) == 0) {
      return "";
    }
    List<LogEntry> recent = step.tx().log(MachineKind.REQUEST, step.id(), 200);
    for (int i = recent.size() - 1; i >= 0; i--) {
      String m = recent.get(i).message();
      if (m.startsWith(SEARCH_LOG)) {
        return m.substring(SEARCH_LOG.length());
      }
    }
    return "";
  }

  /**
   * Logs (once per distinct reason) why free candidates were not taken: the queue policy or the
   * device chooser declined, or failed. Nothing when simply no device was free.
   */
  private static void declined(Step step, String reason) {
    if (reason.isEmpty()) {
      return;
    }
    int mark = reason.hashCode() == 0 ? 1 : reason.hashCode();
    if (step.counter(DECLINED) != mark) {
      step.setCounter(DECLINED, mark);
      step.log(DECLINED_LOG + reason);
    }
  }

  /** The last reason free candidates were declined in this search, as a suffix; or empty. */
  private static String lastDeclined(Step step) {
    if (step.counter(DECLINED) == 0) {
      return "";
    }
    List<LogEntry> recent = step.tx().log(MachineKind.REQUEST, step.id(), 200);
    for (int i = recent.size() - 1; i >= 0; i--) {
      String m = recent.get(i).message();
      if (m.startsWith(DECLINED_LOG)) {
        return " (" + m + ")";
      }
    }
    return "";
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
      Instant giveUp = searchGivesUpAt(step, r);
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
        if (DeviceStates.RETIRED.equals(d.machine().state())) {
          fail(step, FAILED_BAD_DEVICE, "device " + d.name() + " is retired");
          return;
        }
        candidates = DeviceStates.READY.equals(d.machine().state()) && installable(tx, d, spec)
            ? List.of(d) : List.of();
      }
      for (int race = 0; race < MAX_CLAIM_RACES && !candidates.isEmpty(); race++) {
        Scheduling.Pick pick = pool.scheduling().pick(tx, r, candidates, step.now());
        if (pick.device() == null) {
          declined(step, pick.declined());
          break;
        }
        DeviceRecord chosen = pick.device();
        if (tx.claim(chosen.name(), r.id(), step.now())) {
          List<String> tried = new ArrayList<>(r.devicesTried());
          tried.add(chosen.name());
          tx.updateRequest(r.id(), r.expiresAt(), tried, r.failureReason());
          step.log("claimed device " + chosen.name());
          step.setCounter(CONTACT_TRIES, 0);
          step.setCounter(ASKED, 0);
          step.setCounter(DECLINED, 0);
          Instant at = step.now();
          step.afterCommit(() -> {
            pool.queue().remove(r.id());
            pool.scheduling().claimed(chosen.name(), spec, at);
          });
          step.goTo(CONTACTING_LIFEGUARD);
          return;
        }
        List<DeviceRecord> rest = new ArrayList<>(candidates);
        rest.remove(chosen);
        candidates = rest;
      }
      if (!step.now().isBefore(giveUp)) {
        String why = searchReason(step);
        String declined = lastDeclined(step);
        if (why.isEmpty()) {
          fail(step, FAILED_DEVICE_NOT_FOUND, "no matching device became free within "
              + spec.waitBudget() + declined);
        } else if (spec.isAny()) {
          fail(step, FAILED_DEVICE_NOT_FOUND, why + "; no substitute became free within "
              + spec.waitBudget() + declined);
        } else {
          fail(step, FAILED_DEVICE_NOT_FOUND, why + "; device " + spec.device()
              + " did not become free again within " + spec.waitBudget() + declined);
        }
        return;
      }
      if (!FINDING_DEVICE.equals(step.state()) || step.deadline() == null
          || !step.deadline().isAfter(step.now())) {
        // A look at the queue that does no harm early: a step that only re-arms it writes
        // nothing (a restart looks at once).
        Instant next = step.now().plus(policy.queueRecheck());
        step.recheckAt(next.isBefore(giveUp) ? next : giveUp);
        capAtExpiry(step);
      }
      // Look again as soon as the queue policy's answers change by time alone.
      pool.scheduling().nextChange(step.now())
          .filter(t -> step.deadline() == null || t.isBefore(step.deadline()))
          .ifPresent(step::recheckAt);
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
  }

  static boolean carriesReusable(StoreTransaction tx, DeviceRecord d, RequestSpec spec) {
    return carries(d, spec) && tx.image(spec.image()).map(Image::reusable).orElse(false);
  }

  /** Whether the device carries the requested image with the requested boot config. */
  static boolean carries(DeviceRecord d, RequestSpec spec) {
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
        searchAgain(step, r, "lost the claim on its device");
        return;
      }
      if (claim.get().imagingResult() != null) {
        step.log("Lifeguard already reported " + claim.get().imagingResult().wireName() + " for "
            + claim.get().device());
        step.goTo(PENDING);
        return;
      }
      DeviceRecord d = step.tx().device(claim.get().device()).orElseThrow();
      String state = d.machine().state();
      if (DeviceStates.isFailed(state)) {
        giveUpDevice(step, r, "device " + d.name() + " is in " + state);
        return;
      }
      if (!DeviceStates.READY.equals(state)) {
        if (step.counter(CONTACT_TRIES) > 0 && workingFor(step, d, r.spec())) {
          // An earlier attempt whose answer was lost was accepted: Lifeguard works for us.
          step.log("device " + d.name() + " is in " + state + " " + workDescription(step, r.spec())
              + " for this request: an earlier " + asked(step) + " was accepted although its"
              + " answer was lost; waiting for its result");
          step.goTo(PENDING);
        } else {
          searchAgain(step, r, "device " + d.name() + " left ready for other work (" + state
              + ") before Lifeguard accepted " + (step.counter(ASKED) == 0 ? "this request"
              : asked(step)));
        }
        return;
      }
      RequestSpec spec = r.spec();
      String device = d.name();
      PleaseSender me = PleaseSender.claimHolder(r.id());
      if (carriesReusable(step.tx(), d, spec)) {
        step.log("device " + device + " already carries " + spec.image() + "; asking for a power cycle");
        step.setCounter(ASKED, POWER_CYCLE);
        ask(step, () -> pool.lifeguard().pleasePowerCycle(device, me));
      } else {
        step.log("asking Lifeguard to image " + device + " with " + spec.image());
        step.setCounter(ASKED, IMAGE);
        ask(step, () -> pool.lifeguard().pleaseImage(device, spec.image(), spec.bootConfig(), me));
      }
    }

    /**
     * Sends a please-event after commit, off the step's thread; its answer comes back as
     * {@link #ACCEPTED}, {@link #REFUSED} or {@link #UNREACHABLE}, tagged with this attempt so a
     * late answer to an earlier attempt is recognised. No answer at all: the state's timeout.
     */
    private void ask(Step step, Supplier<CompletionStage<Void>> please) {
      String id = step.id();
      long attempt = step.attempt();
      step.afterCommit(() -> pool.timekeeper().io().execute(() -> {
        CompletionStage<Void> answer;
        try {
          answer = please.get();
        } catch (RuntimeException e) {
          answer = CompletableFuture.failedFuture(e);
        }
        answer.whenComplete((v, e) -> {
          Map<String, Object> args = new HashMap<>();
          args.put(ATTEMPT, attempt);
          String event = ACCEPTED;
          if (e != null) {
            Throwable cause = Stages.unwrap(e);
            args.put(MachineEngine.ERROR, cause.getMessage() == null
                ? cause.getClass().getSimpleName() : cause.getMessage());
            if (cause instanceof RefusedException refused) {
              event = REFUSED;
              args.put(REFUSED_IN, refused.state());
            } else if (cause instanceof ConflictException || cause instanceof NoSuchDeviceException) {
              event = REFUSED;
            } else {
              event = UNREACHABLE;
            }
          }
          String answered = event;
          pool.requestEngine().send(id, event, args).exceptionally(x -> {
            LOG.warn("answer {} of Lifeguard for request {} not delivered", answered, id, x);
            return null;
          });
        });
      }));
    }

    @Override
    public void onEvent(Step step, String event, Map<String, Object> args) {
      if (IMAGING_RESULT.equals(event)) {
        Optional<Claim> claim = step.tx().claimOfRequest(step.id());
        if (claim.isPresent() && claim.get().imagingResult() != null) {
          step.goTo(PENDING); // e.g. the lease was ended by an operator meanwhile
        }
        return;
      }
      if (!ACCEPTED.equals(event) && !REFUSED.equals(event) && !UNREACHABLE.equals(event)) {
        super.onEvent(step, event, args);
        return;
      }
      if (!Long.valueOf(step.attempt()).equals(args.get(ATTEMPT))) {
        step.log("ignored a late answer (" + event + ") to an earlier " + asked(step));
        return;
      }
      switch (event) {
        case ACCEPTED -> step.goTo(PENDING);
        case REFUSED -> refused(step, args);
        default -> {
          step.log("could not reach Lifeguard with " + asked(step) + ": "
              + args.get(MachineEngine.ERROR));
          retryOrGiveUp(step);
        }
      }
    }

    /** A definite no: nothing changed in Lifeguard, so nothing is pending for us. */
    private void refused(Step step, Map<String, Object> args) {
      RequestRecord r = request(step);
      step.log("Lifeguard refused " + asked(step) + ": " + args.get(MachineEngine.ERROR));
      Optional<Claim> claim = step.tx().claimOfRequest(r.id());
      if (claim.isEmpty()) {
        searchAgain(step, r, "lost the claim on its device");
        return;
      }
      if (claim.get().imagingResult() != null) {
        step.goTo(PENDING);
        return;
      }
      DeviceRecord d = step.tx().device(claim.get().device()).orElseThrow();
      String state = d.machine().state();
      if (step.counter(CONTACT_TRIES) > 0 && workingFor(step, d, r.spec())) {
        // This refusal answers a repeat: the attempt before it was accepted after all.
        step.log("device " + d.name() + " is in " + state + " " + workDescription(step, r.spec())
            + " for this request after an earlier " + asked(step) + "; waiting for its result");
        step.goTo(PENDING);
      } else if (DeviceStates.READY.equals(state)) {
        giveUpDevice(step, r, "Lifeguard refused " + asked(step) + " for device " + d.name()
            + " although it is ready: " + args.get(MachineEngine.ERROR));
      } else if (DeviceStates.isFailed(state)) {
        giveUpDevice(step, r, "device " + d.name() + " is in " + state);
      } else {
        Object in = args.getOrDefault(REFUSED_IN, state);
        searchAgain(step, r, "device " + d.name() + " was taken for other work (" + in
            + ") before Lifeguard accepted " + asked(step));
      }
    }

    @Override
    void timedOut(Step step) {
      step.log("no answer from Lifeguard to " + asked(step) + " within " + policy.contactTimeout());
      retryOrGiveUp(step);
    }

    private void retryOrGiveUp(Step step) {
      int tries = step.increment(CONTACT_TRIES);
      if (tries >= policy.contactTries()) {
        RequestRecord r = request(step);
        String device = step.tx().claimOfRequest(r.id()).map(Claim::device).orElse("its device");
        giveUpDevice(step, r, "Lifeguard did not answer " + asked(step) + " for device " + device
            + " after " + tries + " tries");
      } else {
        step.goTo(CONTACTING_LIFEGUARD);
      }
    }
  }


  /** The please-event last sent, by name. */
  private static String asked(Step step) {
    return step.counter(ASKED) == POWER_CYCLE ? "please_power_cycle" : "please_image";
  }

  private static String workDescription(Step step, RequestSpec spec) {
    return step.counter(ASKED) == POWER_CYCLE ? "power-cycling" : "installing " + spec.image();
  }

  /**
   * Whether the device is doing the work this request asked for: installing its image with its
   * boot config, or (for a power cycle) power-cycling with no image to install. Lifeguard keeps
   * the next image until the workflow completes, and a completed one has already reported.
   */
  private static boolean workingFor(Step step, DeviceRecord d, RequestSpec spec) {
    if (step.counter(ASKED) == POWER_CYCLE) {
      return POWER_CYCLE_STATES.contains(d.machine().state()) && d.nextImage().isEmpty();
    }
    return step.counter(ASKED) == IMAGE && d.nextImage().equals(spec.image())
        && d.nextBootConfig().equals(spec.bootConfig());
  }

  /** The claimed device cannot serve: another one for {@code any}, failure for a named device. */
  private void giveUpDevice(Step step, RequestRecord r, String why) {
    if (r.spec().isAny()) {
      searchAgain(step, r, why);
    } else {
      release(step, why);
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
      checkResult(step, false, "");
    }

    @Override
    public void onEvent(Step step, String event, Map<String, Object> args) {
      if (IMAGING_RESULT.equals(event)) {
        checkResult(step, false, String.valueOf(args.getOrDefault(REASON, "")));
      } else {
        super.onEvent(step, event, args);
      }
    }

    @Override
    void timedOut(Step step) {
      checkResult(step, true, "");
    }

    private void checkResult(Step step, boolean poll, String reason) {
      RequestRecord r = request(step);
      Optional<Claim> claim = step.tx().claimOfRequest(r.id());
      if (claim.isEmpty()) {
        searchAgain(step, r, "lost the claim on its device");
        return;
      }
      ImagingResult result = claim.get().imagingResult();
      String device = claim.get().device();
      if (result == null) {
        if (poll) {
          String state = step.tx().device(device).map(d -> d.machine().state()).orElse("(gone)");
          if (IDLE.contains(state) || DeviceStates.isFailed(state)) {
            giveUpDevice(step, r, "device " + device + " is in " + state + " with no result for"
                + " this request: Lifeguard is no longer working on it for this request");
            return;
          }
          int polls = step.increment(POLLS);
          int limit = pollLimit(step, r, device);
          if (polls >= limit) {
            giveUpDevice(step, r, "no imaging result from " + device + " after " + polls
                + " polls (" + policy.pendingPoll().multipliedBy(polls) + ")");
          } else {
            step.setDeadline(step.now().plus(policy.pendingPoll()));
          }
        }
        return;
      }
      String because = reason.isEmpty() ? "" : ": " + reason;
      switch (result) {
        case COMPLETE -> {
          step.log("device " + device + " is ready");
          step.goTo(READY);
        }
        case FAILED_BAD_DEVICE -> giveUpDevice(step, r, "device " + device + " failed ("
            + result.wireName() + ")" + because);
        case FAILED_BAD_IMAGE -> {
          int bad = step.increment(BAD_IMAGES);
          if (bad >= policy.badImageDevices()) {
            release(step, "bad image");
            fail(step, FAILED_BAD_IMAGE, "image " + r.spec().image() + " failed on " + bad
                + " devices");
          } else {
            searchAgain(step, r, "image " + r.spec().image() + " failed on device " + device
                + because + "; trying another device");
          }
        }
        default -> throw new IllegalStateException("unexpected result " + result);
      }
    }
  }

  /**
   * Polls without a result before the device is given up: none for a named request (it waits for
   * Lifeguard's result or its lease's end); for {@code any}, the policy's limit or Lifeguard's
   * budget for the workflow asked for on that device, whichever is longer.
   */
  private int pollLimit(Step step, RequestRecord r, String device) {
    if (!r.spec().isAny()) {
      return Integer.MAX_VALUE;
    }
    Optional<Duration> budget = Optional.empty();
    try {
      Optional<DeviceTarget> target = step.tx().device(device).map(d -> DeviceTarget.of(d.spec()));
      budget = target.isPresent()
          ? pool.lifeguard().workflowBudget(asked(step), target.get())
          : pool.lifeguard().workflowBudget(asked(step));
    } catch (RuntimeException e) {
      LOG.warn("Lifeguard could not say its budget for {}", asked(step), e);
    }
    long byBudget = budget.map(b -> {
      long poll = policy.pendingPoll().toMillis();
      return (b.toMillis() + poll - 1) / poll;
    }).orElse(0L);
    return (int) Math.min(Integer.MAX_VALUE, Math.max(policy.pendingPolls(), byBudget));
  }

  // ---- ready and the end ----

  /** The lease is live; only a failed-bad-device report (an operator took the device) ends it early. */
  private final class Ready extends Live {
    Ready() {
      super(READY, null);
    }

    @Override
    public void onEvent(Step step, String event, Map<String, Object> args) {
      if (!IMAGING_RESULT.equals(event)) {
        super.onEvent(step, event, args);
        return;
      }
      Optional<Claim> claim = step.tx().claimOfRequest(step.id());
      if (claim.isPresent() && claim.get().imagingResult() == ImagingResult.FAILED_BAD_DEVICE) {
        Object reason = args.getOrDefault(REASON, "");
        String why = "device " + claim.get().device() + " failed (failed-bad-device) during the"
            + " lease" + ("".equals(reason) ? "" : ": " + reason);
        release(step, why);
        fail(step, FAILED_BAD_DEVICE, why);
      }
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
      if (step.counter(HANDING_OVER) != 0) {
        step.tx().claimOfRequest(step.id()).ifPresent(c -> step.log("device " + c.device()
            + " stays claimed until Lifeguard has taken it for a self-test"));
        return;
      }
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
