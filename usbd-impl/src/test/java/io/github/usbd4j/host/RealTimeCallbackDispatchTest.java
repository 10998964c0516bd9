package io.github.usbd4j.host;

import static io.github.usbd4j.ce.UsbTypes.USB_IN_TRANSFER;
import static io.github.usbd4j.ce.UsbTypes.USB_NO_ERROR;
import static io.github.usbd4j.ce.UsbTypes.USB_SHORT_TRANSFER_OK;
import static io.github.usbd4j.ce.UsbTypes.USB_START_ISOCH_ASAP;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.ce.TransferNotifyRoutine;
import io.github.usbd4j.ce.UsbPipe;
import io.github.usbd4j.ce.UsbTransfer;
import io.github.usbd4j.sim.LoopbackDevice;
import io.github.usbd4j.usb.UsbdIsoPacketDescriptor;
import io.github.usbd4j.win32.Win32;
import io.github.usbd4j.winusb.Overlapped;
import io.github.usbd4j.winusb.WinUsb;
import io.github.usbd4j.winusb.WinUsbInterfaceHandle;
import io.github.usbd4j.winusb.WinUsbIsochBufferHandle;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * The real-time simulator's default callback dispatch: the clock thread runs the callbacks of the transfers
 * it completes itself, and a callback that blocks moves the clock to another thread instead of stopping the
 * bus. The rules, checked without timing (waits are bounded, nothing is asserted about how long anything
 * took; the latencies are in the JMH benchmarks): one pipe's callbacks run in completion order, each once;
 * a synchronous call from a callback on the clock thread is answered; a blocked callback does not stop the
 * bus or another pipe's callbacks; no callback comes after {@code USB_CLOSE_DEVICE}; closing leaves none of
 * the controller's threads behind.
 */
class RealTimeCallbackDispatchTest {
    private static final Duration DEADLOCK = Duration.ofSeconds(30);
    private static final Duration WAIT = Duration.ofSeconds(10);

    private static CeRig rig() {
        return CeRig.realTime(LoopbackDevice.fullSpeed(), UnaryOperator.identity());
    }

    /**
     * A rig whose callbacks keep the clock thread for as long as the test may run: for a test that asserts what a
     * callback does as the clock thread, which a loaded machine's preemption of over 1 ms would otherwise move away,
     * or that holds the bus still in a callback on purpose.
     */
    private static CeRig clockHoldingRig() {
        return CeRig.realTime(LoopbackDevice.fullSpeed(), DEADLOCK);
    }

    private static UsbTransfer isoIn(CeRig h, UsbPipe in, TransferNotifyRoutine cb, Object param, int frames) {
        int[] lengths = new int[frames];
        Arrays.fill(lengths, 512);
        return h.f.issueIsochTransfer(
                in,
                cb,
                param,
                USB_IN_TRANSFER | USB_START_ISOCH_ASAP | USB_SHORT_TRANSFER_OK,
                0,
                frames,
                lengths,
                ByteBuffer.allocate(frames * 512),
                0);
    }

    @Test
    void onePipesCallbacks_runOnTheClockThread_inCompletionOrder_eachOnce() throws Exception {
        CeRig.bounded(DEADLOCK, () -> {
            try (CeRig h = rig()) {
                UsbPipe in = h.open(0, 1, 0x81);
                int total = 40;
                List<Integer> order = Collections.synchronizedList(new ArrayList<>());
                Set<String> threads = ConcurrentHashMap.newKeySet();
                // a transfer's number is its place in the pipe's queue: taken and issued under one lock, as the
                // test thread's first four and the callbacks' issues race (numbered apart, a callback's issue
                // could overtake a number the test thread had taken but not yet issued)
                Object issueLock = new Object();
                int[] issued = {0};
                TransferNotifyRoutine[] cb = new TransferNotifyRoutine[1];
                Runnable issueNext = () -> {
                    synchronized (issueLock) {
                        if (issued[0] < total) {
                            assertThat(isoIn(h, in, cb[0], issued[0]++, 2)).isNotNull();
                        }
                    }
                };
                cb[0] = p -> {
                    order.add((Integer) p);
                    threads.add(Thread.currentThread().getName());
                    issueNext.run();
                    return 0;
                };
                for (int i = 0; i < 4; i++) {
                    issueNext.run();
                }
                Awaitility.await().atMost(WAIT).until(() -> order.size() >= total);
                List<Integer> expected = new ArrayList<>();
                for (int i = 0; i < total; i++) {
                    expected.add(i);
                }
                assertThat(order)
                        .as("callbacks in issue (= completion) order, each once")
                        .isEqualTo(expected);
                assertThat(threads).containsExactly("usbd-sim-clock");
            }
        });
    }

    @Test
    void aCallbackOnTheClockThread_seesTheBusFrame_soAStreamOfBackToBackTransfersHasNoGap() throws Exception {
        CeRig.bounded(DEADLOCK, () -> {
            try (CeRig h = clockHoldingRig()) {
                UsbPipe in = h.open(0, 1, 0x81);
                int total = 60;
                // per callback, in order: the frame it saw, whether it saw it as the clock thread, and whether
                // its own transfer was issued on the clock thread (from a callback, in bus time)
                List<long[]> seen = Collections.synchronizedList(new ArrayList<>());
                AtomicInteger issued = new AtomicInteger();
                // no callback issues before the test thread has issued its four: a transfer a callback issued
                // behind an empty pipe (the test thread having lost its core after its first) would rightly start
                // a lead later; the bus waits here, with the clock (the rig's limit)
                CountDownLatch primed = new CountDownLatch(4);
                TransferNotifyRoutine[] cb = new TransferNotifyRoutine[1];
                cb[0] = p -> {
                    try {
                        primed.await(DEADLOCK.toMillis(), TimeUnit.MILLISECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    long frame = h.sim.currentFrame();
                    boolean onClock = h.sim.isCompletionThread(); // still the clock: it was when it read the frame
                    seen.add(new long[] {frame, onClock ? 1 : 0, ((AtomicBoolean) p).get() ? 1 : 0});
                    if (issued.getAndIncrement() < total) {
                        AtomicBoolean issuedOnClock = new AtomicBoolean();
                        assertThat(isoIn(h, in, cb[0], issuedOnClock, 2)).isNotNull();
                        issuedOnClock.set(onClock && h.sim.isCompletionThread());
                    }
                    return 0;
                };
                try {
                    for (int i = 0; i < 4; i++) { // 4 x 2 frames in flight: 8 frames, 2 more than the 6-frame lead
                        isoIn(h, in, cb[0], new AtomicBoolean(), 2); // the test thread's: wall time, may leave gaps
                        issued.incrementAndGet();
                        primed.countDown();
                    }
                } finally {
                    for (int i = 0; i < 4; i++) {
                        primed.countDown();
                    }
                }
                Awaitility.await().atMost(WAIT).until(() -> seen.size() >= total);
                List<long[]> s;
                synchronized (seen) {
                    s = new ArrayList<>(seen);
                }
                int pairs = 0;
                for (int i = 1; i < s.size(); i++) {
                    if (s.get(i - 1)[1] == 1 && s.get(i)[1] == 1 && s.get(i)[2] == 1) {
                        pairs++;
                        // a transfer issued in bus time follows the one before it with no gap, and each ends 2
                        // frames after the other whenever its callback ran: the bus frame, not the wall clock
                        // (which runs ahead of a clock thread that woke late)
                        assertThat(s.get(i)[0] - s.get(i - 1)[0])
                                .as("frames between callbacks %d and %d", i - 1, i)
                                .isEqualTo(2);
                    }
                }
                assertThat(pairs).as("callbacks that ran on the clock thread").isGreaterThanOrEqualTo(10);
            }
        });
    }

    @Test
    void synchronousCallFromACallbackOnTheClockThread_isAnswered() throws Exception {
        CeRig.bounded(DEADLOCK, () -> {
            try (CeRig h = rig()) {
                UsbPipe in = h.open(0, 1, 0x81);
                AtomicReference<String> thread = new AtomicReference<>();
                AtomicReference<int[]> syncErrors = new AtomicReference<>();
                isoIn(
                        h,
                        in,
                        p -> {
                            thread.set(Thread.currentThread().getName());
                            UsbTransfer sync = isoIn(h, in, null, null, 3); // no callback: waits for completion
                            int[] actual = new int[3];
                            int[] errors = new int[3];
                            if (sync != null && h.f.getIsochResults(sync, 3, actual, errors)) {
                                syncErrors.set(errors);
                                h.f.closeTransfer(sync);
                            } else {
                                syncErrors.set(new int[] {-1});
                            }
                            return 0;
                        },
                        null,
                        2);
                Awaitility.await().atMost(WAIT).until(() -> syncErrors.get() != null);
                assertThat(thread.get()).isEqualTo("usbd-sim-clock");
                assertThat(syncErrors.get()).containsOnly(USB_NO_ERROR);
            }
        });
    }

    /**
     * {@code WinUsb_GetOverlappedResult(…, TRUE)} in an OVERLAPPED callback on the clock thread, for a sibling I/O still
     * pending, waits as a synchronous CE call does there: by running the bus itself, so the sibling is signalled on
     * that very thread ([§2.3](reference/winusb.html#s2-3)). Blocking would stall the thread that delivers the
     * sibling's completion: here the watchdog would take the clock over; the usb4java backend's event thread has none,
     * and hung for good. The callback holds the bus still until the sibling has been issued (the clock stays with it
     * however long that takes), so the sibling is pending when the wait begins on any machine.
     */
    @Test
    void getOverlappedResultWithWait_inACallbackOnTheClockThread_signalsTheSiblingThere_2_3() throws Exception {
        CeRig.bounded(DEADLOCK, () -> {
            try (CeRig h = clockHoldingRig()) {
                WinUsb w = h.usbd.winUsb();
                WinUsbInterfaceHandle[] ih = new WinUsbInterfaceHandle[1];
                assertThat(w.initialize(h.device, ih)).isTrue();
                assertThat(w.setCurrentAlternateSetting(ih[0], 1)).isTrue();
                int frames = 200;
                ByteBuffer buf = ByteBuffer.allocate((1 + frames) * 512);
                WinUsbIsochBufferHandle[] bh = new WinUsbIsochBufferHandle[1];
                assertThat(w.registerIsochBuffer(ih[0], 0x01, buf, buf.capacity(), bh))
                        .isTrue();
                Overlapped sibling = new Overlapped();
                AtomicReference<Thread> signalledOn = new AtomicReference<>();
                var unused = sibling.completion().thenRun(() -> signalledOn.set(Thread.currentThread()));
                AtomicReference<Thread> waitedOn = new AtomicReference<>();
                AtomicBoolean pendingBefore = new AtomicBoolean();
                AtomicReference<String> answer = new AtomicReference<>();
                CountDownLatch siblingIssued = new CountDownLatch(1);
                Overlapped first = new Overlapped(o -> {
                    waitedOn.set(Thread.currentThread());
                    try {
                        // the test thread may lose its core between the two writes; the bus waits for it here
                        siblingIssued.await(DEADLOCK.toMillis(), TimeUnit.MILLISECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    pendingBefore.set(!sibling.hasOverlappedIoCompleted());
                    boolean ok = w.getOverlappedResult(ih[0], sibling, null, true);
                    answer.set(ok ? "TRUE" : "FALSE " + Win32.getLastError());
                });
                try {
                    assertThat(w.writeIsochPipeAsap(bh[0], 0, 512, false, first))
                            .isFalse();
                    assertThat(w.writeIsochPipeAsap(bh[0], 512, frames * 512, false, sibling))
                            .isFalse();
                    assertThat(Win32.getLastError()).isEqualTo(Win32.ERROR_IO_PENDING);
                } finally {
                    siblingIssued.countDown();
                }
                Awaitility.await().atMost(WAIT).until(() -> answer.get() != null);
                assertThat(waitedOn.get().getName()).isEqualTo("usbd-sim-clock");
                assertThat(pendingBefore)
                        .as("the sibling was pending when the wait began")
                        .isTrue();
                assertThat(answer.get()).isEqualTo("TRUE");
                assertThat(signalledOn.get())
                        .as("the thread the sibling was signalled on")
                        .isSameAs(waitedOn.get());
            }
        });
    }

    /**
     * A synchronous {@code WinUsb_WriteIsochPipeAsap} returns only once the thread that completed it is done with it
     * ([§2.3](reference/winusb.html#s2-3)): the write's batch then serves the next I/O on the buffer. Here an abort
     * completes the write while the test holds the buffer handle's monitor, under which the completing thread settles
     * the I/O: the write must not return before the test lets go. Before, it returned as soon as the transfer was
     * complete, its batch went back to the pool, and the completing thread, resuming, finished the next I/O's request
     * with the old results (a read's descriptors written twice, an I/O signalled while in flight). A read's callback
     * holds the bus still meanwhile, so that the write cannot complete on its own before the abort, however the
     * machine's load delays the test.
     */
    @Test
    void aSynchronousWinUsbWrite_returnsOnlyOnceItsCompletingThreadIsDoneWithIt_2_3() throws Exception {
        CeRig.bounded(DEADLOCK, () -> {
            try (CeRig h = clockHoldingRig()) {
                WinUsb w = h.usbd.winUsb();
                WinUsbInterfaceHandle[] ih = new WinUsbInterfaceHandle[1];
                assertThat(w.initialize(h.device, ih)).isTrue();
                assertThat(w.setCurrentAlternateSetting(ih[0], 1)).isTrue();
                int frames = 200;
                ByteBuffer buf = ByteBuffer.allocate(frames * 512);
                WinUsbIsochBufferHandle[] bh = new WinUsbIsochBufferHandle[1];
                assertThat(w.registerIsochBuffer(ih[0], 0x01, buf, buf.capacity(), bh))
                        .isTrue();
                WinUsbIsochBufferHandle out = bh[0];
                ByteBuffer inBuf = ByteBuffer.allocate(512);
                WinUsbIsochBufferHandle[] ibh = new WinUsbIsochBufferHandle[1];
                assertThat(w.registerIsochBuffer(ih[0], 0x81, inBuf, inBuf.capacity(), ibh))
                        .isTrue();
                CountDownLatch busHeld = new CountDownLatch(1);
                CountDownLatch releaseBus = new CountDownLatch(1);
                try {
                    Overlapped holdsTheBus = new Overlapped(o -> {
                        busHeld.countDown();
                        try {
                            releaseBus.await(DEADLOCK.toMillis(), TimeUnit.MILLISECONDS);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    });
                    UsbdIsoPacketDescriptor[] descriptors = {new UsbdIsoPacketDescriptor()};
                    assertThat(w.readIsochPipeAsap(ibh[0], 0, 512, false, 1, descriptors, holdsTheBus))
                            .isFalse();
                    assertThat(busHeld.await(WAIT.toMillis(), TimeUnit.MILLISECONDS))
                            .as("the read's callback holds the clock thread")
                            .isTrue();
                    AtomicBoolean letGo = new AtomicBoolean();
                    AtomicReference<String> returned = new AtomicReference<>();
                    Thread writer = new Thread(() -> {
                        boolean ok = w.writeIsochPipeAsap(out, 0, frames * 512, false, null);
                        returned.set((ok ? "TRUE" : "FALSE " + Win32.getLastError()) + (letGo.get() ? "" : " early"));
                    });
                    writer.setDaemon(true);
                    writer.start();
                    Awaitility.await().atMost(WAIT).until(() -> writer.getState() == Thread.State.TIMED_WAITING);
                    synchronized (out) {
                        Thread aborter = new Thread(() -> w.abortPipe(ih[0], 0x01));
                        aborter.setDaemon(true);
                        aborter.start();
                        Awaitility.await().atMost(WAIT).until(() -> blockedOn(out));
                        writer.join(
                                1000); // before, it returned here; now it cannot until the completing thread is done
                        letGo.set(true);
                    }
                    writer.join(WAIT.toMillis());
                    assertThat(returned.get()).isEqualTo("FALSE " + Win32.ERROR_OPERATION_ABORTED);
                } finally {
                    releaseBus.countDown();
                }
            }
        });
    }

    /** Whether a thread is blocked entering {@code monitor}. */
    private static boolean blockedOn(Object monitor) {
        for (var t : java.lang.management.ManagementFactory.getThreadMXBean().dumpAllThreads(true, false)) {
            if (t.getThreadState() == Thread.State.BLOCKED
                    && t.getLockInfo() != null
                    && t.getLockInfo().getIdentityHashCode() == System.identityHashCode(monitor)) {
                return true;
            }
        }
        return false;
    }

    @Test
    void blockedCallback_doesNotStopTheBus_norAnotherPipesCallbacks_andItsPipeStaysInOrder() throws Exception {
        CeRig.bounded(DEADLOCK, () -> {
            try (CeRig h = rig()) {
                UsbPipe iso = h.open(0, 1, 0x81);
                UsbPipe out = h.f.openPipe(
                        h.device,
                        h.f.findInterface(h.f.getDeviceInfo(h.device), 0, 1)
                                .findEndpoint(0x01)
                                .descriptor());
                assertThat(out).isNotNull();
                CountDownLatch release = new CountDownLatch(1);
                try {
                    List<String> isoOrder = Collections.synchronizedList(new ArrayList<>());
                    UsbTransfer a = isoIn(
                            h,
                            iso,
                            p -> {
                                isoOrder.add("a");
                                try {
                                    release.await(DEADLOCK.toMillis(), TimeUnit.MILLISECONDS);
                                } catch (InterruptedException e) {
                                    Thread.currentThread().interrupt();
                                }
                                return 0;
                            },
                            null,
                            2);
                    UsbTransfer b = isoIn(
                            h,
                            iso,
                            p -> {
                                isoOrder.add("b");
                                return 0;
                            },
                            null,
                            2);
                    Awaitility.await().atMost(WAIT).until(() -> isoOrder.contains("a"));
                    // A's callback blocks: the bus still runs B and another pipe's transfers, whose callbacks run
                    AtomicInteger outCallbacks = new AtomicInteger();
                    UsbTransfer c = h.f.issueIsochTransfer(
                            out,
                            p -> {
                                outCallbacks.incrementAndGet();
                                return 0;
                            },
                            null,
                            USB_START_ISOCH_ASAP,
                            0,
                            2,
                            new int[] {512, 512},
                            ByteBuffer.allocate(1024),
                            0);
                    assertThat(c).isNotNull();
                    Awaitility.await().atMost(WAIT).until(() -> h.f.isTransferComplete(b));
                    Awaitility.await().atMost(WAIT).until(() -> outCallbacks.get() == 1);
                    assertThat(isoOrder)
                            .as("B's callback waits behind A's, on the same pipe")
                            .containsExactly("a");
                    release.countDown();
                    Awaitility.await().atMost(WAIT).until(() -> isoOrder.size() == 2);
                    assertThat(isoOrder).containsExactly("a", "b");
                    assertThat(h.f.closeTransfer(a)).isTrue();
                    assertThat(h.f.closeTransfer(b)).isTrue();
                    assertThat(h.f.closeTransfer(c)).isTrue();
                    assertThat(outCallbacks).hasValue(1);
                } finally {
                    release.countDown(); // never leave the clock's old thread blocked
                }
            }
        });
    }

    @Test
    void anIdleSimulator_parksItsWatchdog_andACallbackThatThenBlocksStillMovesTheClock() throws Exception {
        CeRig.bounded(DEADLOCK, () -> {
            try (CeRig h = rig()) {
                UsbPipe iso = h.open(0, 1, 0x81);
                // no callback for a while: the watchdog parks without a timeout instead of looking every ms
                Awaitility.await().atMost(WAIT).until(() -> watchdogState() == Thread.State.WAITING);
                CountDownLatch release = new CountDownLatch(1);
                AtomicInteger entered = new AtomicInteger();
                try {
                    UsbTransfer a = isoIn(
                            h,
                            iso,
                            p -> {
                                entered.incrementAndGet();
                                try {
                                    release.await(DEADLOCK.toMillis(), TimeUnit.MILLISECONDS);
                                } catch (InterruptedException e) {
                                    Thread.currentThread().interrupt();
                                }
                                return 0;
                            },
                            null,
                            2);
                    Awaitility.await().atMost(WAIT).until(() -> entered.get() == 1);
                    // the first callback woke the watchdog, which moves the clock off the blocked thread
                    long frame = h.sim.currentFrame();
                    UsbTransfer b = isoIn(h, iso, p -> 0, null, 2);
                    Awaitility.await().atMost(WAIT).until(() -> h.f.isTransferComplete(b));
                    assertThat(h.sim.currentFrame()).isGreaterThan(frame);
                    release.countDown();
                    assertThat(h.f.closeTransfer(a)).isTrue();
                    assertThat(h.f.closeTransfer(b)).isTrue();
                } finally {
                    release.countDown();
                }
            }
        });
    }

    /**
     * A callback holds the clock thread for at most the controller's callback clock limit: by default, one that holds
     * on sees the clock move to another thread; with a limit longer than it holds, the same callback stays the clock
     * thread throughout, however long the machine's load makes it.
     */
    @Test
    void aCallbackKeepsTheClockThreadUpToTheCallbackClockLimit_1msByDefault() throws Exception {
        CeRig.bounded(DEADLOCK, () -> {
            try (CeRig h = rig()) {
                assertThat(clockThreadDuringAHeldCallback(h, () -> !h.sim.isCompletionThread()))
                        .as("the clock thread when the callback began, and once it had held on")
                        .isEqualTo("true false");
            }
            try (CeRig h = clockHoldingRig()) {
                long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50);
                assertThat(clockThreadDuringAHeldCallback(h, () -> System.nanoTime() - until >= 0))
                        .as("the clock thread when the callback began, and after 50 ms in it")
                        .isEqualTo("true true");
            }
        });
    }

    /** Whether an isochronous callback was the clock thread when it began, and once {@code held} (or WAIT) passed. */
    private static String clockThreadDuringAHeldCallback(CeRig h, java.util.function.BooleanSupplier held) {
        UsbPipe in = h.open(0, 1, 0x81);
        AtomicReference<String> seen = new AtomicReference<>();
        UsbTransfer t = isoIn(
                h,
                in,
                p -> {
                    boolean began = h.sim.isCompletionThread();
                    long deadline = System.nanoTime() + WAIT.toNanos();
                    while (!held.getAsBoolean() && System.nanoTime() - deadline < 0) {
                        java.util.concurrent.locks.LockSupport.parkNanos(100_000);
                    }
                    seen.set(began + " " + h.sim.isCompletionThread());
                    return 0;
                },
                null,
                2);
        assertThat(t).isNotNull();
        Awaitility.await().atMost(DEADLOCK).until(() -> seen.get() != null);
        assertThat(h.f.closeTransfer(t)).isTrue();
        return seen.get();
    }

    /** The state of the process-wide simulator watchdog thread; {@code null} when none runs. */
    private static Thread.State watchdogState() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("usbd-sim-watchdog"))
                .map(Thread::getState)
                .findFirst()
                .orElse(null);
    }

    @Test
    void noCallbackAfterCloseDevice_andClosingLeavesNoThreadOfTheControllerBehind() throws Exception {
        CeRig.bounded(DEADLOCK, () -> {
            Set<Thread> seen = ConcurrentHashMap.newKeySet();
            AtomicInteger afterCloseDevice = new AtomicInteger();
            AtomicInteger callbacks = new AtomicInteger();
            CountDownLatch release = new CountDownLatch(1);
            try (CeRig h = rig()) {
                try {
                    streamStallAndUnplug(h, seen, afterCloseDevice, callbacks, release);
                } finally {
                    release.countDown();
                }
            }
            assertThat(afterCloseDevice).hasValue(0);
            assertThat(seen)
                    .as("the callbacks ran on more than one clock thread")
                    .hasSizeGreaterThan(1);
            for (Thread t : seen) {
                t.join(WAIT.toMillis());
                assertThat(t.isAlive()).as("%s after close", t.getName()).isFalse();
            }
        });
    }

    @Test
    void aClockThreadFreedFromASlowCallback_takesTheClockOverAtTheNextStall() throws Exception {
        CeRig.bounded(DEADLOCK, () -> {
            Set<Thread> seen = ConcurrentHashMap.newKeySet();
            AtomicInteger callbacks = new AtomicInteger();
            CountDownLatch release1 = new CountDownLatch(1);
            CountDownLatch release2 = new CountDownLatch(1);
            CountDownLatch moved1 = new CountDownLatch(1);
            CountDownLatch moved2 = new CountDownLatch(1);
            try (CeRig h = rig()) {
                try {
                    UsbPipe in = h.open(0, 1, 0x81);
                    TransferNotifyRoutine[] cb = new TransferNotifyRoutine[1];
                    cb[0] = p -> {
                        seen.add(Thread.currentThread());
                        int n = callbacks.incrementAndGet();
                        CountDownLatch stall = n == 5 ? release1 : n == 25 ? release2 : null;
                        if (stall != null) {
                            holdUntilTheClockMoves(h, n == 5 ? moved1 : moved2);
                            try {
                                stall.await(DEADLOCK.toMillis(), TimeUnit.MILLISECONDS);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        }
                        isoIn(h, in, cb[0], null, 2);
                        return 0;
                    };
                    for (int i = 0; i < 4; i++) {
                        isoIn(h, in, cb[0], null, 2);
                    }
                    assertThat(moved1.await(WAIT.toMillis(), TimeUnit.MILLISECONDS))
                            .as("the clock moved off the first stall")
                            .isTrue();
                    release1.countDown();
                    assertThat(moved2.await(WAIT.toMillis(), TimeUnit.MILLISECONDS))
                            .as("the clock moved off the second stall")
                            .isTrue();
                    release2.countDown();
                    Awaitility.await().atMost(WAIT).until(() -> callbacks.get() >= 40);
                    // the first clock thread, once its callback returned, stood by and took the clock back at the
                    // second stall (a third thread would mean a new one per stall)
                    assertThat(seen).as("two stalls, two clock threads").hasSize(2);
                } finally {
                    release1.countDown();
                    release2.countDown();
                }
            }
            for (Thread t : seen) {
                t.join(WAIT.toMillis());
                assertThat(t.isAlive()).as("%s after close", t.getName()).isFalse();
            }
        });
    }

    /**
     * A stalling callback holds on until the clock has moved off its thread (the watchdog saw the stall), then
     * says so: the test releases it only then, not after a wall-clock time the watchdog may not have run in.
     */
    private static void holdUntilTheClockMoves(CeRig h, CountDownLatch moved) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (h.sim.isCompletionThread() && System.nanoTime() - deadline < 0) {
            java.util.concurrent.locks.LockSupport.parkNanos(100_000);
        }
        if (!h.sim.isCompletionThread()) {
            moved.countDown();
        }
    }

    private static void streamStallAndUnplug(
            CeRig h, Set<Thread> seen, AtomicInteger afterCloseDevice, AtomicInteger callbacks, CountDownLatch release)
            throws InterruptedException {
        UsbPipe in = h.open(0, 1, 0x81);
        CountDownLatch moved = new CountDownLatch(1);
        TransferNotifyRoutine[] cb = new TransferNotifyRoutine[1];
        cb[0] = p -> {
            seen.add(Thread.currentThread());
            if (h.closeDeviceCount() > 0) {
                afterCloseDevice.incrementAndGet();
            }
            if (callbacks.incrementAndGet() == 10) { // one stall: the clock moves to a new thread
                holdUntilTheClockMoves(h, moved);
                try {
                    release.await(DEADLOCK.toMillis(), TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            isoIn(h, in, cb[0], null, 2); // a naive driver: resubmits whatever happened
            return 0;
        };
        for (int i = 0; i < 4; i++) {
            isoIn(h, in, cb[0], null, 2);
        }
        assertThat(moved.await(WAIT.toMillis(), TimeUnit.MILLISECONDS))
                .as("the clock moved off the stall")
                .isTrue();
        release.countDown();
        Awaitility.await().atMost(WAIT).until(() -> callbacks.get() >= 30);
        h.sim.detach(h.plugged);
        Awaitility.await().atMost(WAIT).until(() -> h.closeDeviceCount() == 1);
    }
}
