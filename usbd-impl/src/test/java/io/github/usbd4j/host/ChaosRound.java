package io.github.usbd4j.host;

import static io.github.usbd4j.ce.UsbTypes.*;

import io.github.usbd4j.ce.UsbClientDriver;
import io.github.usbd4j.ce.UsbDriverSettings;
import io.github.usbd4j.ce.UsbFuncs;
import io.github.usbd4j.ce.UsbHandle;
import io.github.usbd4j.ce.UsbPipe;
import io.github.usbd4j.ce.UsbTransfer;
import io.github.usbd4j.host.spi.HostController;
import io.github.usbd4j.sim.LoopbackDevice;
import io.github.usbd4j.usb.UsbEndpoint;
import io.github.usbd4j.usb.UsbInterface;
import io.github.usbd4j.win32.Win32;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Queue;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One seed's round of transfer-lifecycle chaos, on any backend ([§1.5](reference/ce-usbd.html#s1-5),
 * [§1.7](reference/ce-usbd.html#s1-7), [§1.10](reference/ce-usbd.html#s1-10)): a CE driver bound to the loopback
 * device, whose worker threads stream isochronous and bulk transfers and, at random, abort, close, abort pipes, close
 * and reopen pipes, issue synchronously, let bus time pass, and unplug and plug devices; callbacks resubmit, close
 * themselves and close siblings, and check that {@code GetIsochResults} and {@code GetTransferStatus} agree with the
 * handle. {@link #run} then checks that every issued transfer's callback ran exactly once, none after its device's
 * {@code USB_CLOSE_DEVICE}, that no call threw, that every handle closed exactly once, and that after {@code
 * Usbd.close()} no transfer is out of its pool.
 *
 * <p>A subclass says how its bus plugs, unplugs and lets time pass: {@code TransferChaosTest} on the simulator's
 * virtual clock, the real-kernel stage on the usb4java backend and a USB/IP device in a QEMU guest.
 */
public abstract class ChaosRound extends SeededRound implements UsbClientDriver {
    /** One issued transfer: its handle, callback count, and the device plug it belongs to. */
    protected static final class Ticket {
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

    /** One attached device as the driver sees it; {@code token} is the subclass's (what it unplugs). */
    protected static final class Plug {
        final UsbHandle device;
        final List<UsbPipe> pipes = new CopyOnWriteArrayList<>();
        final AtomicBoolean closeDevice = new AtomicBoolean();
        /** The subclass's handle on the device, for {@link #unplug}. */
        public volatile Object token;
        /** Whether the device runs at high speed (frames per isochronous transfer in multiples of 8). */
        public volatile boolean highSpeed;

        Plug(UsbHandle device) {
            this.device = device;
        }
    }

    /** The runtime under test. */
    protected final Usbd usbd;
    /** Devices the workers may use and unplug. */
    protected final List<Plug> live = new CopyOnWriteArrayList<>();

    final Queue<Ticket> tickets = new ConcurrentLinkedQueue<>();
    final AtomicLong issued = new AtomicLong();
    /** Set when the round winds down: callbacks stop issuing. */
    volatile boolean stopping;

    volatile UsbFuncs f;

    /**
     * A runtime on {@code backend} with the chaos driver registered for the loopback device.
     *
     * @param backend the host controller
     */
    protected ChaosRound(HostController backend) {
        usbd = Usbd.builder().backend(backend).build();
        usbd.registerDriver(
                "Chaos", UsbDriverSettings.forVendor(LoopbackDevice.VENDOR_ID, LoopbackDevice.PRODUCT_ID), this);
    }

    /** Lets bus time pass: a virtual clock advances, a real one is waited on. */
    protected abstract void advance(int frames);

    /** Plugs a loopback device; once its driver has it ({@link #attached}), it is in {@link #live}. */
    protected abstract void plug(boolean highSpeed);

    /** Unplugs a device mid-stream (it is already out of {@link #live}). */
    protected abstract void unplug(Plug p);

    /** The driver got a device: the subclass pairs it with what it plugged and puts it in {@link #live}. */
    protected abstract void attached(Plug p);

    /** Whether a worker may unplug a device now. */
    protected boolean mayUnplug() {
        return true;
    }

    /** Whether a worker may plug a device now. */
    protected boolean mayPlug() {
        return live.size() < 4;
    }

    /** Transfers issued in this round. */
    public final long issued() {
        return issued.get();
    }

    // ---- the driver -------------------------------------------------------------------------

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
        attached(p);
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
                    pipe, param -> callback(k, callbackSeed), null, USB_IN_TRANSFER, 64, ByteBuffer.allocate(64), 0);
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

    void work(SplittableRandom r, int opsPerThread) {
        for (int i = 0; i < opsPerThread; i++) {
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
            advance(1 + r.nextInt(4));
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
            if (p != null && mayUnplug() && live.remove(p)) {
                unplugs.incrementAndGet();
                unplug(p); // mid-stream
            }
        } else if (mayPlug()) {
            plug(r.nextBoolean());
        }
    }

    // ---- the round ----------------------------------------------------------------------------------

    /**
     * Runs the workers, each {@code opsPerThread} operations from its own split of {@code seed}, then winds down
     * (no more issues from callbacks; every handle closed, then the runtime) and checks what is left. The devices
     * the workers start with are plugged before.
     *
     * @param seed the round's seed
     * @param threads worker threads
     * @param opsPerThread operations per worker
     * @param windDownFrames bus time let pass before the handles are closed
     */
    public final void run(long seed, int threads, int opsPerThread, int windDownFrames) throws InterruptedException {
        SplittableRandom root = new SplittableRandom(seed);
        List<Thread> workers = new ArrayList<>();
        AtomicReference<Throwable> crash = new AtomicReference<>();
        for (int i = 0; i < threads; i++) {
            SplittableRandom r = root.split();
            Thread t = new Thread(() -> work(r, opsPerThread), "chaos-" + seed + "-" + i);
            t.setUncaughtExceptionHandler((th, e) -> crash.set(e));
            workers.add(t);
        }
        workers.forEach(Thread::start);
        for (Thread t : workers) {
            t.join(60_000);
            if (t.isAlive()) {
                violation("worker " + t.getName() + " hung; every thread:\n" + threadDump(t));
                return;
            }
        }
        if (crash.get() != null) {
            violation("a worker died: " + crash.get());
        }
        // a transfer is back in its pool once its handle is closed (also after its device left)
        stopping = true;
        advance(windDownFrames);
        tickets.forEach(this::close);
        usbd.close();
        tickets.forEach(this::close);
        for (Ticket k : tickets) {
            if (k.callbacks.get() != 1) {
                violation("a transfer's callback ran " + k.callbacks.get() + " times");
            }
        }
        if (usbd.transfersInUse() != 0) {
            violation(usbd.transfersInUse() + " transfers still out of their pools after Usbd.close()");
        }
    }
}
