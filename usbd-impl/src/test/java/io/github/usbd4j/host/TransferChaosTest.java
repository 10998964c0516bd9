package io.github.usbd4j.host;

import static io.github.usbd4j.ce.UsbTypes.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.ce.UsbClientDriver;
import io.github.usbd4j.ce.UsbDriverSettings;
import io.github.usbd4j.ce.UsbFuncs;
import io.github.usbd4j.ce.UsbHandle;
import io.github.usbd4j.ce.UsbPipe;
import io.github.usbd4j.ce.UsbTransfer;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.sim.LoopbackDevice;
import io.github.usbd4j.sim.SimulatedDevice;
import io.github.usbd4j.sim.SimulatedHostController;
import io.github.usbd4j.usb.UsbEndpoint;
import io.github.usbd4j.usb.UsbInterface;
import io.github.usbd4j.win32.Win32;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Queue;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Seeded chaos on the virtual clock ([§1.5](reference/ce-usbd.html#s1-5), [§1.7](reference/ce-usbd.html#s1-7),
 * [§1.10](reference/ce-usbd.html#s1-10)): worker threads stream isochronous and bulk transfers to full- and high-speed
 * loopback devices on one high-speed bus and, at random, abort, close, abort pipes, close and reopen pipes, issue
 * synchronously, let bus time pass, and unplug and replug devices; callbacks resubmit, close themselves and close
 * siblings. It checks that every issued transfer's callback runs exactly once, none after its device's {@code
 * USB_CLOSE_DEVICE}, that no call throws, that every handle closes exactly once, and that after {@code Usbd.close()} no
 * transfer is out of its pool and no thread is left.
 *
 * <p>Bounded to a few seconds; {@code -Dusbd4j.chaos.seconds=N} runs longer, {@code -Dusbd4j.chaos.seed=S}
 * replays one seed. It prints the cases it tried, and the seed of a failure.
 */
class TransferChaosTest {
    private static final int THREADS = 4;
    private static final int OPS_PER_THREAD = 400;

    /** One issued transfer: its handle, callback count, and the device plug it belongs to. */
    private static final class Ticket {
        final Plug plug;
        final UsbPipe pipe;
        final AtomicInteger callbacks = new AtomicInteger();
        final AtomicBoolean closed = new AtomicBoolean();
        volatile UsbTransfer handle;
        /** Isochronous frames, else 0. */
        int frames;

        Ticket(Plug plug, UsbPipe pipe) {
            this.plug = plug;
            this.pipe = pipe;
        }
    }

    /** One attached device as the driver sees it. */
    private static final class Plug {
        final UsbHandle device;
        final List<UsbPipe> pipes = new CopyOnWriteArrayList<>();
        final AtomicBoolean closeDevice = new AtomicBoolean();
        volatile SimulatedDevice simDevice;
        volatile boolean highSpeed;

        Plug(UsbHandle device) {
            this.device = device;
        }
    }

    /** One seed's run. */
    private static final class Round implements UsbClientDriver {
        final SimulatedHostController sim;
        final Usbd usbd;
        final List<Plug> live = new CopyOnWriteArrayList<>();
        final Queue<Ticket> tickets = new ConcurrentLinkedQueue<>();
        final List<String> violations = new CopyOnWriteArrayList<>();
        final AtomicLong issued = new AtomicLong();
        final AtomicLong ops = new AtomicLong();
        final AtomicInteger unplugs = new AtomicInteger();
        /** Set when the round winds down: callbacks stop issuing. */
        volatile boolean stopping;

        volatile UsbFuncs f;
        /** The plug usbDeviceAttach made, on the thread whose sim.attach() reported it (virtual: inline). */
        @SuppressWarnings("ThreadLocalUsage") // one per round on purpose: a round's attach must not see another's
        private final ThreadLocal<Plug> justAttached = new ThreadLocal<>();

        Round(long seed) {
            sim = SimulatedHostController.builder()
                    .speed(UsbSpeed.HIGH)
                    .seed(seed)
                    .build();
            usbd = Usbd.builder().backend(sim).build();
            usbd.registerDriver(
                    "Chaos", UsbDriverSettings.forVendor(LoopbackDevice.VENDOR_ID, LoopbackDevice.PRODUCT_ID), this);
        }

        void violation(String what) {
            if (violations.size() < 20) {
                violations.add(what);
            }
        }

        // ---- the driver -------------------------------------------------------------------------

        /** Plugs a loopback device; once its driver has it, the workers may use and unplug it. */
        void plug(boolean highSpeed) {
            justAttached.remove();
            SimulatedDevice d = sim.attach(highSpeed ? LoopbackDevice.highSpeed() : LoopbackDevice.fullSpeed());
            Plug p = justAttached.get();
            justAttached.remove();
            if (p != null) {
                p.simDevice = d;
                p.highSpeed = highSpeed;
                live.add(p);
            }
        }

        @Override
        public boolean usbDeviceAttach(
                UsbHandle hDevice,
                UsbFuncs funcs,
                UsbInterface usbInterface,
                String uniqueDriverId,
                boolean[] acceptControl,
                UsbDriverSettings driverSettings,
                int unused) {
            f = funcs;
            Plug p = new Plug(hDevice);
            funcs.registerNotificationRoutine(
                    hDevice,
                    (param, code, i1, i2, i3, i4) -> {
                        if (code == USB_CLOSE_DEVICE && !p.closeDevice.compareAndSet(false, true)) {
                            violation("USB_CLOSE_DEVICE twice");
                        }
                        return true;
                    },
                    null);
            UsbTransfer t = funcs.setInterface(hDevice, null, null, 0, 0, 1);
            if (t != null) {
                funcs.closeTransfer(t);
                open(funcs, hDevice, p, 0, 1, 0x81);
                open(funcs, hDevice, p, 0, 1, 0x01);
            }
            open(funcs, hDevice, p, 1, 0, 0x82);
            justAttached.set(p);
            acceptControl[0] = true;
            return true;
        }

        private static void open(UsbFuncs f, UsbHandle d, Plug p, int iface, int alt, int address) {
            UsbInterface i = f.findInterface(f.getDeviceInfo(d), iface, alt);
            UsbEndpoint e = i == null ? null : i.findEndpoint(address);
            UsbPipe pipe = e == null ? null : f.openPipe(d, e.descriptor());
            if (pipe != null) {
                p.pipes.add(pipe);
            }
        }

        // ---- transfers ------------------------------------------------------------------------------

        /** Issues an async transfer on a pipe; the callback does random things with the given seed. */
        Ticket issue(Plug p, UsbPipe pipe, long callbackSeed) {
            Ticket k = new Ticket(p, pipe);
            int address = pipe.endpoint().bEndpointAddress();
            boolean in = (address & 0x80) != 0;
            UsbTransfer t;
            if (pipe.endpoint().isIsochronous()) {
                int frames = 1 + (int) (callbackSeed & 7) * (p.highSpeed ? 8 : 1);
                k.frames = frames;
                int len = Math.min(64, pipe.endpoint().maxPacketPayload());
                int[] lengths = new int[frames];
                Arrays.fill(lengths, len);
                t = f.issueIsochTransfer(
                        pipe,
                        param -> callback(k, callbackSeed),
                        null,
                        (in ? USB_IN_TRANSFER | USB_SHORT_TRANSFER_OK : 0) | USB_START_ISOCH_ASAP,
                        0,
                        frames,
                        lengths,
                        ByteBuffer.allocate(frames * len),
                        0);
            } else {
                t = f.issueBulkTransfer(
                        pipe,
                        param -> callback(k, callbackSeed),
                        null,
                        USB_IN_TRANSFER,
                        64,
                        ByteBuffer.allocate(64),
                        0);
            }
            if (t == null) {
                return null;
            }
            issued.incrementAndGet();
            k.handle = t;
            tickets.add(k);
            return k;
        }

        /**
         * GetIsochResults, asked for one entry more than the transfer has, agrees frame by frame with the
         * handle's own per-frame answers and zeroes the extra entry, and GetTransferStatus's bytes are the sum of
         * the frames'; unless a sibling's callback closed the transfer meanwhile, which only an invalid handle
         * may show.
         */
        private void checkIsochResults(Ticket k) {
            UsbTransfer t = k.handle;
            if (k.frames == 0 || t == null) {
                return;
            }
            int[] lens = new int[k.frames + 1];
            int[] errs = new int[k.frames + 1];
            Arrays.fill(lens, -1);
            Arrays.fill(errs, -1);
            if (!f.getIsochResults(t, k.frames + 1, lens, errs)) {
                int e = Win32.getLastError();
                if (e != Win32.ERROR_INVALID_HANDLE) {
                    violation("GetIsochResults in the callback failed: " + e + " for " + t + ", ticket callbacks "
                            + k.callbacks.get() + ", closed by the test " + k.closed.get());
                }
                return;
            }
            if (lens[k.frames] != 0 || errs[k.frames] != 0) {
                violation("GetIsochResults left the entry past the transfer's frames unzeroed");
            }
            try {
                for (int i = 0; i < k.frames; i++) {
                    if (lens[i] != t.frameLength(i) || errs[i] != t.frameError(i)) {
                        violation("GetIsochResults frame " + i + ": " + lens[i] + " bytes, error " + errs[i]
                                + "; the handle says " + t.frameLength(i) + ", " + t.frameError(i));
                    }
                }
            } catch (IllegalStateException closedMeanwhile) {
                // a sibling's callback closed it between the two answers
            }
            int[] bytes = {-1};
            int[] error = {-1};
            if (f.getTransferStatus(t, bytes, error)) {
                // both answered, so both of this use: a closed handle stays invalid for the rest of the round
                int sum = 0;
                for (int i = 0; i < k.frames; i++) {
                    sum += lens[i];
                }
                if (bytes[0] != sum) {
                    violation("GetTransferStatus " + bytes[0] + " bytes, GetIsochResults' frames " + sum);
                }
            } else if (Win32.getLastError() != Win32.ERROR_INVALID_HANDLE) {
                violation("GetTransferStatus in the callback failed: " + Win32.getLastError());
            }
        }

        private int callback(Ticket k, long s) {
            int n = k.callbacks.incrementAndGet();
            if (n != 1) {
                violation("callback ran " + n + " times");
            }
            if (k.plug.closeDevice.get()) {
                violation("callback after USB_CLOSE_DEVICE");
            }
            SplittableRandom r = new SplittableRandom(s);
            try {
                checkIsochResults(k);
                int what = r.nextInt(10);
                if (what < 4 && !k.plug.closeDevice.get() && !stopping) {
                    issue(k.plug, k.pipe, r.nextLong()); // issue from the callback
                }
                if (what >= 3 && what < 6) {
                    close(k); // close itself
                } else if (what >= 6 && what < 8) {
                    Ticket sibling = pickLive(k.plug, r);
                    if (sibling != null) {
                        close(sibling); // close a sibling from the callback
                    }
                } else if (what == 8) {
                    Ticket sibling = pickLive(k.plug, r);
                    if (sibling != null && sibling.handle != null) {
                        f.abortTransfer(sibling.handle, r.nextBoolean() ? USB_NO_WAIT : 0);
                    }
                }
            } catch (RuntimeException | AssertionError e) {
                violation("a call in a callback threw " + e);
            }
            return 0;
        }

        Ticket pickLive(Plug p, SplittableRandom r) {
            int skip = r.nextInt(8);
            Ticket last = null;
            for (Ticket t : tickets) {
                if (!t.closed.get() && (p == null || t.plug == p)) {
                    last = t;
                    if (skip-- == 0) {
                        return t;
                    }
                }
            }
            return last;
        }

        void close(Ticket k) {
            UsbTransfer h = k.handle;
            if (h != null && k.closed.compareAndSet(false, true)) {
                if (!f.closeTransfer(h)) {
                    violation("CloseTransfer of a valid handle failed: " + Win32.getLastError());
                }
                if (f.closeTransfer(h)) {
                    violation("a second CloseTransfer succeeded");
                }
            }
        }

        // ---- the workers --------------------------------------------------------------------------------

        void work(SplittableRandom r) {
            for (int i = 0; i < OPS_PER_THREAD; i++) {
                ops.incrementAndGet();
                try {
                    step(r);
                } catch (RuntimeException | AssertionError e) {
                    StringBuilder where = new StringBuilder(e.toString());
                    for (StackTraceElement s : e.getStackTrace()) {
                        where.append(" at ").append(s);
                    }
                    violation("threw: " + where);
                    return;
                }
            }
        }

        private void step(SplittableRandom r) {
            List<Plug> plugsNow = List.copyOf(live);
            Plug p = plugsNow.isEmpty() ? null : plugsNow.get(r.nextInt(plugsNow.size()));
            List<UsbPipe> pipes = p == null ? List.of() : List.copyOf(p.pipes);
            UsbPipe pipe = pipes.isEmpty() ? null : pipes.get(r.nextInt(pipes.size()));
            int op = r.nextInt(100);
            if (op < 30) {
                if (pipe != null) {
                    issue(p, pipe, r.nextLong());
                }
            } else if (op < 50) {
                sim.advanceFrames(1 + r.nextInt(4));
            } else if (op < 62) {
                Ticket t = pickLive(null, r);
                if (t != null && t.handle != null) {
                    f.abortTransfer(t.handle, r.nextBoolean() ? USB_NO_WAIT : 0);
                }
            } else if (op < 77) {
                Ticket t = pickLive(null, r);
                if (t != null) {
                    close(t);
                }
            } else if (op < 82) {
                if (pipe != null) {
                    f.abortPipeTransfers(pipe, r.nextBoolean() ? USB_NO_WAIT : 0);
                }
            } else if (op < 85) {
                if (pipe != null && p.pipes.remove(pipe)) {
                    f.closePipe(pipe);
                    UsbPipe again = f.openPipe(p.device, pipe.endpoint());
                    if (again != null) {
                        p.pipes.add(again);
                    }
                }
            } else if (op < 92) {
                if (pipe != null && pipe.endpoint().isIsochronous()) {
                    int[] lengths = {8, 8};
                    boolean in = pipe.endpoint().isIn();
                    UsbTransfer t = f.issueIsochTransfer(
                            pipe,
                            null,
                            null,
                            (in ? USB_IN_TRANSFER | USB_SHORT_TRANSFER_OK : 0) | USB_START_ISOCH_ASAP,
                            0,
                            2,
                            lengths,
                            ByteBuffer.allocate(16),
                            0);
                    if (t != null) {
                        if (!f.isTransferComplete(t)) {
                            violation("a synchronous transfer returned before it completed");
                        }
                        if (!f.closeTransfer(t)) {
                            violation("CloseTransfer of a synchronous transfer failed");
                        }
                    }
                }
            } else if (op < 96) {
                if (p != null && live.remove(p)) {
                    unplugs.incrementAndGet();
                    sim.detach(p.simDevice); // mid-stream
                }
            } else if (live.size() < 4) {
                plug(r.nextBoolean());
            }
        }
    }

    private static long threadCount() {
        return ManagementFactory.getThreadMXBean().getThreadCount();
    }

    @Test
    void everyIssuedTransfersCallbackRunsExactlyOnce_noneAfterCloseDevice_andNothingIsLeft_1_5_1_7() throws Exception {
        long seconds = Long.getLong("usbd4j.chaos.seconds", 3);
        Long only = Long.getLong("usbd4j.chaos.seed");
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        long rounds = 0;
        long transfers = 0;
        long operations = 0;
        long unplugs = 0;
        long seed = only != null ? only : 1;
        long threadsBefore = threadCount();
        do {
            Round round = runRound(seed);
            rounds++;
            transfers += round.issued.get();
            operations += round.ops.get();
            unplugs += round.unplugs.get();
            if (!round.violations.isEmpty()) {
                System.out.println("chaos: seed " + seed + " FAILED after " + rounds + " rounds: " + round.violations);
            }
            assertThat(round.violations)
                    .as("seed %d (replay with -Dusbd4j.chaos.seed=%d)", seed, seed)
                    .isEmpty();
            seed++;
        } while (only == null && System.nanoTime() < deadline);
        System.out.printf(
                "chaos: %d seeds, %d operations, %d transfers issued, %d unplugs, all callbacks exactly once%n",
                rounds, operations, transfers, unplugs);
        long deadlineThreads = System.nanoTime() + 5_000_000_000L;
        while (threadCount() > threadsBefore && System.nanoTime() < deadlineThreads) {
            Thread.sleep(10);
        }
        assertThat(threadCount()).as("threads after every Usbd.close()").isLessThanOrEqualTo(threadsBefore);
    }

    private static Round runRound(long seed) throws Exception {
        Round round = new Round(seed);
        Random setup = new Random(seed);
        round.plug(true);
        round.plug(false);
        round.plug(setup.nextBoolean());
        SplittableRandom root = new SplittableRandom(seed);
        List<Thread> workers = new ArrayList<>();
        AtomicReference<Throwable> crash = new AtomicReference<>();
        for (int i = 0; i < THREADS; i++) {
            SplittableRandom r = root.split();
            Thread t = new Thread(() -> round.work(r), "chaos-" + seed + "-" + i);
            t.setUncaughtExceptionHandler((th, e) -> crash.set(e));
            workers.add(t);
        }
        workers.forEach(Thread::start);
        for (Thread t : workers) {
            t.join(60_000);
            if (t.isAlive()) {
                round.violation("worker " + t.getName() + " hung: " + Arrays.toString(t.getStackTrace()));
                return round;
            }
        }
        if (crash.get() != null) {
            round.violation("a worker died: " + crash.get());
        }
        // wind down: no more issues from callbacks; close every handle, then the runtime; a transfer is
        // back in its pool once its handle is closed (also after its device left)
        round.stopping = true;
        round.sim.advanceFrames(200);
        round.tickets.forEach(round::close);
        round.usbd.close();
        round.tickets.forEach(round::close);
        for (Ticket k : round.tickets) {
            if (k.callbacks.get() != 1) {
                round.violation("a transfer's callback ran " + k.callbacks.get() + " times");
            }
        }
        if (round.usbd.transfersInUse() != 0) {
            round.violation(round.usbd.transfersInUse() + " transfers still out of their pools after Usbd.close()");
        }
        return round;
    }
}
