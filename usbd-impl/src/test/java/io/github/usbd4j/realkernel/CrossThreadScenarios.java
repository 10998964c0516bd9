package io.github.usbd4j.realkernel;

import static io.github.usbd4j.ce.UsbTypes.*;
import static io.github.usbd4j.usb.Usb100.USB_DEVICE_DESCRIPTOR_TYPE;

import io.github.usbd4j.ce.UsbClientDriver;
import io.github.usbd4j.ce.UsbDriverSettings;
import io.github.usbd4j.ce.UsbFuncs;
import io.github.usbd4j.ce.UsbHandle;
import io.github.usbd4j.ce.UsbPipe;
import io.github.usbd4j.ce.UsbTransfer;
import io.github.usbd4j.host.SeededRound;
import io.github.usbd4j.host.Usbd;
import io.github.usbd4j.libusb.LibusbHostController;
import io.github.usbd4j.sim.LoopbackDevice;
import io.github.usbd4j.usb.UsbDeviceRequest;
import io.github.usbd4j.usb.UsbEndpoint;
import io.github.usbd4j.usb.UsbInterface;
import io.github.usbd4j.win32.Win32;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;

/**
 * A CE driver that mixes the rules across threads, as a user writes one, on the usb4java backend with the library's
 * defaults, then loses its device mid-stream ([§1.5](reference/ce-usbd.html#s1-5),
 * [§1.7](reference/ce-usbd.html#s1-7), [§1.8](reference/ce-usbd.html#s1-8)).
 *
 * <p>Six ASAP isochronous transfers of eight frames stay in flight, each resubmitted from its callback. In the
 * callback (on the backend's event thread) the driver reads GetIsochResults and GetTransferStatus, then (each action
 * once in turn at the start of a phase, then as a seeded random picks) makes a synchronous class or vendor request,
 * GetDescriptor or isochronous transfer on its own pipe, closes a pending sibling, aborts one (waiting or {@code
 * USB_NO_WAIT}), or nothing; then closes its own transfer and issues the next. Meanwhile a second thread makes
 * synchronous GetDescriptor calls and aborts and closes pending transfers, and a third streams synchronous
 * isochronous transfers on the same pipe. The aborts and closes start after two seconds: each one's frames stay spent
 * in the pipe's ASAP schedule ([§1.8](reference/ce-usbd.html#s1-8)), so the stream runs later and later behind them,
 * and the first phase is where every frame must succeed. Two seconds later a callback begins a synchronous
 * isochronous transfer of 2.5 s, and the host unplugs the device (a USB/IP server going away, or QEMU's {@code
 * device_del}), with all of that still running.
 *
 * <p>Checked: every transfer's callback runs exactly once, none after {@code USB_CLOSE_DEVICE}, which comes once;
 * every frame of every transfer whose handle the driver still holds reports a defined status and a length within its
 * packet, aborted and unplugged ones included, and GetTransferStatus's bytes are their sum; before the unplug, every
 * frame of a transfer nobody aborted succeeded whole; from the first completion that tells of the unplug, every
 * callback, the return of every synchronous call pending at the unplug and {@code USB_CLOSE_DEVICE} come within 1 s, and every frame of the long
 * call reports a status and a length; no thread stays in a call; afterwards OpenPipe, a transfer
 * on the old pipe and GetDescriptor fail with a Win32 error and no exception; every handle closes, nothing stays out
 * of the pools. Attached again over USB/IP, the device comes to the driver through USBDeviceAttach and streams whole
 * on the same runtime; after {@code Usbd.close()} no thread of the runtime is left.
 */
final class CrossThreadScenarios {
    private static final int IN_FLIGHT = 6;
    private static final int FRAMES = 8;
    private static final long STREAM_MILLIS = 4_000;
    /** The synchronous call in a callback that the unplug interrupts: 2.5 s of frames, within CE's 4 s guard. */
    private static final int LONG_CALL_FRAMES = 2_500;
    /** From the first completion that tells of the unplug to the last callback and USB_CLOSE_DEVICE. */
    private static final long UNPLUG_BOUND_MILLIS = 1_000;

    private CrossThreadScenarios() {}

    /** The device under test and what differs per device. */
    record Target(
            String name,
            int vendorId,
            int productId,
            int iface,
            int alternate,
            int endpoint,
            int packet,
            String unplugRequest,
            BiFunction<UsbFuncs, UsbHandle, UsbTransfer> syncRequest,
            Replug replug) {}

    /** Plugs the device in again after the unplug ({@code null}: not here). */
    @FunctionalInterface
    interface Replug {
        void run() throws Exception;
    }

    /**
     * On USB/IP: the loopback device's iso IN; the synchronous request is the loopback's vendor request for its
     * counters; the unplug kills the host's USB/IP server, so the guest kernel's connection drops.
     */
    static void usbIpDropMidStream(GuestMain.Report r) throws Exception {
        GuestUsbIp.attach("1-1");
        Scenarios.awaitSysfs(LoopbackDevice.VENDOR_ID, LoopbackDevice.PRODUCT_ID, 20_000);
        run(
                r,
                new Target(
                        "the USB/IP loopback device",
                        LoopbackDevice.VENDOR_ID,
                        LoopbackDevice.PRODUCT_ID,
                        0,
                        1,
                        0x81,
                        512,
                        "usbip-drop",
                        (f, d) -> f.issueVendorTransfer(
                                d,
                                null,
                                null,
                                USB_IN_TRANSFER,
                                new UsbDeviceRequest(0xC0, LoopbackDevice.REQUEST_COUNTERS, 0, 0, 16),
                                ByteBuffer.allocateDirect(16),
                                0),
                        () -> {
                            GuestUsbIp.attach("1-1"); // a new connection, so a new server
                            Scenarios.awaitSysfs(LoopbackDevice.VENDOR_ID, LoopbackDevice.PRODUCT_ID, 20_000);
                        }));
    }

    /**
     * On QEMU's usb-audio (xHCI): iso OUT of silence (the wav capture check allows only silence beside its
     * segments); the synchronous request is the class request GET_CUR of the volume; the unplug is QEMU's {@code
     * device_del}.
     */
    static void audioDeviceDelMidStream(GuestMain.Report r) throws Exception {
        run(
                r,
                new Target(
                        "QEMU's usb-audio",
                        UsbAudioScenarios.VID,
                        UsbAudioScenarios.PID,
                        1,
                        1,
                        0x01,
                        UsbAudioScenarios.PACKET,
                        "device_del " + QemuGuest.AUDIO_ID,
                        (f, d) -> f.issueVendorTransfer(
                                d,
                                null,
                                null,
                                USB_IN_TRANSFER | USB_SEND_TO_INTERFACE,
                                new UsbDeviceRequest(0xA1, 0x81, 0x0201, 0x0200, 2),
                                ByteBuffer.allocateDirect(2),
                                0),
                        // this guest runs no udevd, without which libusb sees no device plugged in after it started
                        // (LibusbHostController's documented limit)
                        null));
    }

    /** A synchronous call: where it was made, when it began and returned, what it returned. */
    private record SyncCall(String where, long start, long end, String result, int lead) {}

    /** One transfer the driver issued. */
    private static final class Ticket {
        final ByteBuffer buf;
        final AtomicInteger callbacks = new AtomicInteger();
        final AtomicBoolean closed = new AtomicBoolean();
        volatile boolean aborted;
        volatile UsbTransfer t;

        Ticket(int bytes) {
            buf = ByteBuffer.allocateDirect(bytes);
        }
    }

    /** The driver and its streams. */
    private static final class Stream implements UsbClientDriver {
        final Target target;
        final Queue<String> problems = new ConcurrentLinkedQueue<>();
        final Queue<Ticket> tickets = new ConcurrentLinkedQueue<>();
        final CountDownLatch attached = new CountDownLatch(1);
        final CountDownLatch reattached = new CountDownLatch(1);
        volatile UsbHandle again;
        /** The frame after the last issued transfer's. */
        volatile int streamEnd;

        final AtomicInteger closeDevice = new AtomicInteger();
        volatile long closeDeviceNanos;
        volatile UsbFuncs f;
        volatile UsbHandle device;
        UsbPipe pipe;
        final int[] lengths = new int[FRAMES];
        final int flags;
        volatile boolean stop;
        /** Whether callbacks and the second thread abort and close pending transfers (the second phase). */
        volatile boolean killing;
        /** Set just before the unplug: the next callback makes a synchronous call that stays pending across it. */
        final AtomicBoolean longCallWanted = new AtomicBoolean();

        final CountDownLatch longCallStarted = new CountDownLatch(1);
        volatile long longCallReturnedNanos;
        volatile String longCallResult = "not made";
        /** Callbacks that acted in the current phase. */
        final AtomicInteger phaseStep = new AtomicInteger();

        volatile long unplugNanos;
        final AtomicLong firstSignNanos = new AtomicLong();
        final AtomicLong lastCallbackNanos = new AtomicLong();
        final AtomicLong seeds = new AtomicLong(1);
        final AtomicLong longestSyncMillis = new AtomicLong();
        final AtomicLong longestCallbackSyncMillis = new AtomicLong();
        /** Every synchronous isochronous call: where, when it began and returned, and what it returned. */
        final Queue<SyncCall> syncCalls = new ConcurrentLinkedQueue<>();

        /** Records a synchronous isochronous call that began at {@code t0} and has just returned {@code t}. */
        /** How far the pipe's ASAP stream reaches beyond the current frame, in frames. */
        int streamLead() {
            int[] now = new int[1];
            f.getFrameNumber(device, now);
            return streamEnd - now[0];
        }

        void record(String where, long t0, int lead, UsbTransfer t) {
            long end = System.nanoTime();
            String result;
            if (t == null) {
                result = "NULL, error " + Win32.getLastError();
            } else {
                int[] err = {-1};
                f.getTransferStatus(t, null, err);
                result = errorName(err[0]);
            }
            syncCalls.add(new SyncCall(where, t0, end, result, lead));
        }

        final Map<String, AtomicInteger> counts = new TreeMap<>();

        Stream(Target target) {
            this.target = target;
            Arrays.fill(lengths, target.packet());
            boolean in = (target.endpoint() & 0x80) != 0;
            flags = (in ? USB_IN_TRANSFER | USB_SHORT_TRANSFER_OK : USB_OUT_TRANSFER)
                    | USB_START_ISOCH_ASAP
                    | USB_NO_WAIT;
        }

        void count(String what) {
            synchronized (counts) {
                counts.computeIfAbsent(what, k -> new AtomicInteger()).incrementAndGet();
            }
        }

        void problem(String what) {
            problems.add(what);
        }

        @Override
        public boolean usbDeviceAttach(
                UsbHandle hDevice,
                UsbFuncs usbFuncs,
                UsbInterface usbInterface,
                String uniqueDriverId,
                boolean[] acceptControl,
                UsbDriverSettings driverSettings,
                int unused) {
            if (device != null) { // plugged in again
                again = hDevice;
                acceptControl[0] = true;
                reattached.countDown();
                return true;
            }
            f = usbFuncs;
            device = hDevice;
            usbFuncs.registerNotificationRoutine(
                    hDevice,
                    (p, code, i1, i2, i3, i4) -> {
                        if (code == USB_CLOSE_DEVICE) {
                            closeDeviceNanos = System.nanoTime();
                            closeDevice.incrementAndGet();
                            long pending = tickets.stream()
                                    .filter(k -> k.callbacks.get() == 0)
                                    .count();
                            if (pending > 0) {
                                problem(pending + " transfers had no callback yet at USB_CLOSE_DEVICE");
                            }
                        }
                        return true;
                    },
                    null);
            acceptControl[0] = true;
            attached.countDown();
            return true;
        }

        boolean gone() {
            return unplugNanos != 0;
        }

        void issue() {
            Ticket k = new Ticket(FRAMES * target.packet());
            synchronized (k) { // its callback waits until the handle is known
                k.t = f.issueIsochTransfer(pipe, p -> callback(k), null, flags, 0, FRAMES, lengths, k.buf, 0);
                if (k.t == null) {
                    int e = Win32.getLastError();
                    if (!gone()) {
                        problem("IssueIsochTransfer: error " + e);
                    } else if (e == 0) {
                        problem("IssueIsochTransfer after the unplug: null without a last error");
                    } else {
                        count("issues refused after the unplug");
                    }
                    return;
                }
                tickets.add(k);
                streamEnd = k.t.startFrame() + FRAMES;
            }
        }

        /** A pending ticket other than {@code not}, picked by {@code r}, or {@code null}. */
        Ticket pending(SplittableRandom r, Ticket not) {
            List<Ticket> ks = new ArrayList<>();
            for (Ticket k : tickets) {
                if (k != not && k.callbacks.get() == 0 && !k.closed.get()) {
                    ks.add(k);
                }
            }
            return ks.isEmpty() ? null : ks.get(r.nextInt(ks.size()));
        }

        int callback(Ticket k) {
            synchronized (k) {
                // the handle is set
            }
            long now = System.nanoTime();
            lastCallbackNanos.set(now);
            if (k.callbacks.incrementAndGet() != 1) {
                problem("a callback ran " + k.callbacks.get() + " times");
            }
            if (closeDevice.get() > 0) {
                problem("a callback after USB_CLOSE_DEVICE");
            }
            count("callbacks");
            try {
                results(k, now);
                if (!stop && longCallWanted.compareAndSet(true, false)) {
                    longCall();
                } else if (!stop) {
                    act(k, new SplittableRandom(seeds.getAndIncrement()));
                }
                close(k);
                if (!stop) {
                    issue();
                }
            } catch (RuntimeException | AssertionError e) {
                problem("a call in a callback threw " + e);
            }
            return 0;
        }

        /** Every frame's status and length, as the driver reads them in its callback. */
        void results(Ticket k, long now) {
            int[] len = new int[FRAMES];
            int[] err = new int[FRAMES];
            Arrays.fill(len, -1);
            Arrays.fill(err, -1);
            if (!f.getIsochResults(k.t, FRAMES, len, err)) {
                if (!k.closed.get() || Win32.getLastError() != Win32.ERROR_INVALID_HANDLE) {
                    problem("GetIsochResults in the callback: FALSE, error " + Win32.getLastError());
                }
                count("callbacks of transfers closed before (no results to read)");
                return;
            }
            int[] bytes = {-1};
            int[] status = {-1};
            boolean statusRead = f.getTransferStatus(k.t, bytes, status);
            int sum = 0;
            boolean allOk = true;
            for (int i = 0; i < FRAMES; i++) {
                String name = errorName(err[i]);
                if (err[i] < 0 || name.startsWith("0x")) {
                    problem("frame " + i + " reports no defined status: " + err[i]);
                }
                if (len[i] < 0 || len[i] > target.packet()) {
                    problem("frame " + i + " reports " + len[i] + " bytes of a " + target.packet() + "-byte packet");
                }
                boolean whole = err[i] == USB_NO_ERROR
                        && (len[i] == target.packet() || ((target.endpoint() & 0x80) != 0 && len[i] >= 0));
                allOk &= whole;
                count("frames " + name + (gone() ? " (after the unplug request)" : ""));
                sum += Math.max(len[i], 0);
            }
            if (statusRead) {
                count("transfers " + errorName(status[0]) + (k.aborted ? ", aborted" : "")
                        + (gone() ? " (after the unplug request)" : ""));
            } else if (!k.closed.get()) { // else another thread closed it in between
                problem("GetTransferStatus after GetIsochResults: FALSE, error " + Win32.getLastError());
            }
            if (statusRead && bytes[0] != sum) {
                problem("GetTransferStatus " + bytes[0] + " bytes, the frames " + sum);
            }
            if (statusRead && status[0] != USB_NO_ERROR && gone() && !k.aborted) {
                firstSignNanos.compareAndSet(0, now);
            }
            if (!allOk && !k.aborted && !gone()) {
                problem("before the unplug, a transfer nobody aborted: " + Arrays.toString(len) + " "
                        + Arrays.toString(err));
            }
        }

        /** What a callback does besides reading its results. */
        void act(Ticket k, SplittableRandom r) {
            // each phase's first callbacks take every action once, the rest pick at random
            int step = phaseStep.getAndIncrement();
            int what = step < 5 ? (killing ? step : 2 + step % 3) : r.nextInt(10);
            if (what < 2 && !killing) {
                return;
            }
            if (what < 1) {
                Ticket s = pending(r, k);
                if (s != null && s.closed.compareAndSet(false, true)) {
                    if (!f.closeTransfer(s.t)) {
                        problem("CloseTransfer of a pending sibling in a callback: error " + Win32.getLastError());
                    }
                    count("pending siblings closed in a callback");
                }
            } else if (what < 2) {
                Ticket s = pending(r, k);
                if (s != null) {
                    s.aborted = true;
                    int fl = r.nextBoolean() ? USB_NO_WAIT : 0;
                    if (!f.abortTransfer(s.t, fl) && !s.closed.get()) {
                        problem("AbortTransfer of a pending sibling in a callback: error " + Win32.getLastError());
                    }
                    count("pending siblings aborted in a callback" + (fl == 0 ? ", waiting" : ", USB_NO_WAIT"));
                }
            } else if (what == 2) {
                sync(
                        "synchronous " + (target.endpoint() == 0x81 ? "vendor" : "class") + " requests in a callback",
                        target.syncRequest().apply(f, device));
            } else if (what == 3) {
                sync("synchronous GetDescriptor in a callback", getDescriptor());
            } else if (what == 4) {
                // on the pipe whose callbacks wait behind this one: its own transfer completes meanwhile
                int lead = streamLead();
                long t0 = System.nanoTime();
                UsbTransfer t = syncIsoch();
                long ms = (System.nanoTime() - t0) / 1_000_000;
                record("in a callback", t0, lead, t);
                longestCallbackSyncMillis.accumulateAndGet(ms, Math::max);
                if (t != null || !endedByTheGuard(ms)) {
                    sync("synchronous iso transfers in a callback", t);
                }
            }
        }

        /**
         * In a callback, a synchronous isochronous transfer of {@value #LONG_CALL_FRAMES} packets (more than libusb
         * takes in one transfer) on the stream's own pipe, during which the device goes: it returns a complete
         * transfer whose every frame reports a status and a length.
         */
        void longCall() {
            int[] lens = new int[LONG_CALL_FRAMES];
            Arrays.fill(lens, target.packet());
            ByteBuffer buf = ByteBuffer.allocateDirect(LONG_CALL_FRAMES * target.packet());
            longCallStarted.countDown();
            UsbTransfer t =
                    f.issueIsochTransfer(pipe, null, null, flags & ~USB_NO_WAIT, 0, LONG_CALL_FRAMES, lens, buf, 0);
            longCallReturnedNanos = System.nanoTime();
            if (t == null) {
                problem("the synchronous call pending across the unplug: null, error " + Win32.getLastError());
                return;
            }
            int[] len = new int[LONG_CALL_FRAMES];
            int[] err = new int[LONG_CALL_FRAMES];
            Arrays.fill(err, -1);
            int[] status = {-1};
            if (!f.isTransferComplete(t)
                    || !f.getIsochResults(t, LONG_CALL_FRAMES, len, err)
                    || !f.getTransferStatus(t, null, status)) {
                problem("the synchronous call pending across the unplug returned before it completed");
            }
            Map<String, Integer> frames = new TreeMap<>();
            for (int i = 0; i < LONG_CALL_FRAMES; i++) {
                if (err[i] < 0 || errorName(err[i]).startsWith("0x") || len[i] < 0 || len[i] > target.packet()) {
                    problem("the long call's frame " + i + ": " + len[i] + " bytes, error " + err[i]);
                }
                frames.merge(errorName(err[i]), 1, Integer::sum);
            }
            longCallResult = errorName(status[0]) + ", frames " + frames;
            if (!f.closeTransfer(t)) {
                problem("CloseTransfer of the long call: error " + Win32.getLastError());
            }
        }

        /**
         * Whether a synchronous call that returned {@code NULL} after {@code millis} ended by CE's 4 s guard
         * ({@code ERROR_TIMEOUT}, [§1.7](reference/ce-usbd.html#s1-7)): after aborts, the guest kernel behind QEMU's
         * xHCI now and then leaves an isochronous endpoint's transfers (all in its hands, none held back by the
         * backend) uncompleted until the device goes, and the guard is what bounds the call.
         */
        boolean endedByTheGuard(long millis) {
            if (Win32.getLastError() == Win32.ERROR_TIMEOUT
                    && millis >= Usbd.DEFAULT_SYNC_TIMEOUT_MILLIS - 100
                    && millis < Usbd.DEFAULT_SYNC_TIMEOUT_MILLIS + 1_000) {
                count("synchronous iso calls the controller left pending, ended by the 4 s guard");
                return true;
            }
            return false;
        }

        /** A synchronous isochronous transfer of two packets on the stream's pipe. */
        UsbTransfer syncIsoch() {
            int[] two = {target.packet(), target.packet()};
            return f.issueIsochTransfer(
                    pipe, null, null, flags & ~USB_NO_WAIT, 0, 2, two, ByteBuffer.allocateDirect(2 * two[0]), 0);
        }

        UsbTransfer getDescriptor() {
            return f.getDescriptor(
                    device, null, null, 0, USB_DEVICE_DESCRIPTOR_TYPE, 0, 0, 18, ByteBuffer.allocateDirect(18));
        }

        /** A synchronous call returned: complete, and successful unless the device is leaving. */
        void sync(String what, UsbTransfer t) {
            if (t == null) {
                if (!gone()) {
                    problem(what + ": null, error " + Win32.getLastError());
                }
                return;
            }
            int[] err = {-1};
            if (!f.isTransferComplete(t)) {
                problem(what + ": returned before it completed");
            }
            f.getTransferStatus(t, null, err);
            if (err[0] != USB_NO_ERROR && !gone()) {
                problem(what + ": " + errorName(err[0]));
            }
            if (!f.closeTransfer(t)) {
                problem(what + ": CloseTransfer " + Win32.getLastError());
            }
            count(what + (err[0] == USB_NO_ERROR ? "" : " failing after the unplug"));
        }

        void close(Ticket k) {
            if (k.closed.compareAndSet(false, true) && !f.closeTransfer(k.t)) {
                problem("CloseTransfer of a valid handle: error " + Win32.getLastError());
            }
        }

        /** The second thread: aborts and closes pending transfers, and calls GetDescriptor, until told to stop. */
        void meddle(SplittableRandom r, AtomicBoolean halt) {
            try {
                while (!halt.get()) {
                    Thread.sleep(10 + r.nextInt(30));
                    int what = r.nextInt(10);
                    Ticket s = killing ? pending(r, null) : null;
                    if (what < 4 && s != null) {
                        s.aborted = true;
                        int fl = r.nextBoolean() ? USB_NO_WAIT : 0;
                        if (!f.abortTransfer(s.t, fl) && !s.closed.get()) {
                            problem("AbortTransfer from another thread: error " + Win32.getLastError());
                        }
                        count("pending transfers aborted from another thread");
                    } else if (what < 7 && s != null) {
                        if (s.closed.compareAndSet(false, true)) {
                            if (!f.closeTransfer(s.t)) {
                                problem("CloseTransfer from another thread: error " + Win32.getLastError());
                            }
                            count("pending transfers closed from another thread");
                        }
                    } else if (what >= 7) {
                        sync("synchronous GetDescriptor from another thread", getDescriptor());
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException | AssertionError e) {
                problem("the meddling thread: " + e);
            }
        }

        /** The third thread: synchronous isochronous transfers on the same pipe, until told to stop. */
        void streamSynchronously(AtomicBoolean halt) {
            ByteBuffer buf = ByteBuffer.allocateDirect(2 * target.packet());
            int[] two = {target.packet(), target.packet()};
            int[] len = new int[2];
            int[] err = new int[2];
            try {
                while (!halt.get()) {
                    int lead = streamLead();
                    long t0 = System.nanoTime();
                    UsbTransfer t = f.issueIsochTransfer(pipe, null, null, flags & ~USB_NO_WAIT, 0, 2, two, buf, 0);
                    record("on the third thread", t0, lead, t);
                    longestSyncMillis.accumulateAndGet((System.nanoTime() - t0) / 1_000_000, Math::max);
                    if (t == null) {
                        if (!gone() && !endedByTheGuard((System.nanoTime() - t0) / 1_000_000)) {
                            problem("synchronous IssueIsochTransfer: error " + Win32.getLastError());
                        }
                        Thread.sleep(5);
                        continue;
                    }
                    if (!f.isTransferComplete(t) || !f.getIsochResults(t, 2, len, err)) {
                        problem("a synchronous iso transfer returned before it completed");
                    }
                    count("synchronous iso transfers from a third thread");
                    if (!f.closeTransfer(t)) {
                        problem("CloseTransfer of a synchronous iso transfer");
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException | AssertionError e) {
                problem("the synchronous thread: " + e);
            }
        }
    }

    static void run(GuestMain.Report r, Target target) throws Exception {
        long threadsBefore = SeededRound.threadCount();
        Stream s = new Stream(target);
        // as a user writes it: the library's defaults, limited to the device
        LibusbHostController backend = LibusbHostController.builder()
                .device(target.vendorId(), target.productId())
                .build();
        Usbd usbd = Usbd.builder().backend(backend).build();
        List<Thread> threads = new ArrayList<>();
        AtomicBoolean halt = new AtomicBoolean();
        try {
            usbd.registerDriver("CrossThread", UsbDriverSettings.forVendor(target.vendorId(), target.productId()), s);
            UsbAudioScenarios.check(s.attached.await(30, TimeUnit.SECONDS), "USBDeviceAttach for " + target.name());
            UsbFuncs f = s.f;
            UsbAudioScenarios.checkTransfer(
                    f, f.setInterface(s.device, null, null, 0, target.iface(), target.alternate()), "SetInterface");
            UsbInterface i = f.findInterface(f.getDeviceInfo(s.device), target.iface(), target.alternate());
            UsbEndpoint e = i.findEndpoint(target.endpoint());
            s.pipe = f.openPipe(s.device, e.descriptor());
            UsbAudioScenarios.check(s.pipe != null, "OpenPipe: " + Win32.getLastError());

            for (int k = 0; k < IN_FLIGHT; k++) {
                s.issue();
            }
            threads.add(new Thread(() -> s.meddle(new SplittableRandom(42), halt), "cross-thread-meddler"));
            threads.add(new Thread(() -> s.streamSynchronously(halt), "cross-thread-synchronous"));
            threads.forEach(Thread::start);
            Thread.sleep(STREAM_MILLIS / 2);
            UsbAudioScenarios.check(s.problems.isEmpty(), "while streaming: " + first(s.problems));
            r.info("first phase: " + s.tickets.size() + " transfers, every frame of each whole and successful");
            s.phaseStep.set(0);
            s.killing = true;
            Thread.sleep(STREAM_MILLIS / 2);
            int before = s.tickets.size();
            UsbAudioScenarios.check(s.problems.isEmpty(), "while streaming: " + first(s.problems));

            s.longCallWanted.set(true);
            UsbAudioScenarios.check(s.longCallStarted.await(10, TimeUnit.SECONDS), "a callback began the long call");
            Thread.sleep(100);
            long t0 = System.nanoTime();
            s.unplugNanos = t0;
            String reply = HostRequests.request(target.unplugRequest(), 30_000);
            long acked = System.nanoTime();
            long deadline = acked + TimeUnit.SECONDS.toNanos(20);
            while (s.closeDevice.get() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            UsbAudioScenarios.check(
                    s.closeDevice.get() > 0,
                    "USB_CLOSE_DEVICE within 20 s of the host's unplug (" + reply + "); "
                            + s.tickets.stream()
                                    .filter(k -> k.callbacks.get() == 0)
                                    .count()
                            + " transfers still without a callback");
            s.stop = true;
            halt.set(true);
            for (Thread t : threads) {
                t.join(5_000);
                if (t.isAlive()) {
                    s.problem("thread " + t.getName() + " stuck after the unplug:\n" + SeededRound.threadDump(t));
                }
            }
            Thread.sleep(300); // a second USB_CLOSE_DEVICE or a late callback would come now
            if (s.closeDevice.get() != 1) {
                s.problem("USB_CLOSE_DEVICE " + s.closeDevice.get() + " times");
            }
            for (Ticket k : s.tickets) {
                if (k.callbacks.get() != 1) {
                    s.problem("a transfer's callback ran " + k.callbacks.get() + " times");
                }
            }
            // the first sign: a failing transfer nobody aborted, the long call's return, or USB_CLOSE_DEVICE
            long first = s.closeDeviceNanos;
            for (long n : new long[] {s.firstSignNanos.get(), s.longCallReturnedNanos}) {
                if (n != 0) {
                    first = Math.min(first, n);
                }
            }
            long lastEvent = Math.max(Math.max(s.closeDeviceNanos, s.lastCallbackNanos.get()), s.longCallReturnedNanos);
            // the synchronous calls pending at the unplug return as its transfers do
            List<String> across = new ArrayList<>();
            for (SyncCall c : s.syncCalls) {
                if (c.start() < t0 && c.end() > t0) {
                    lastEvent = Math.max(lastEvent, c.end());
                    across.add(c.where() + " from " + (c.start() - t0) / 1_000_000 + " to " + (c.end() - t0) / 1_000_000
                            + " ms: " + c.result());
                }
            }
            r.info("synchronous iso calls pending at the unplug request: " + across);
            List<String> slow = new ArrayList<>();
            for (SyncCall c : s.syncCalls) {
                if (c.end() - c.start() > 500_000_000L) {
                    slow.add(c.where() + " from " + (c.start() - t0) / 1_000_000 + " to " + (c.end() - t0) / 1_000_000
                            + " ms (stream lead " + c.lead() + " frames at its start): " + c.result());
                }
            }
            r.info("synchronous iso calls longer than 500 ms: " + slow);

            if (s.longCallReturnedNanos == 0) {
                s.problem("the synchronous call in a callback pending across the unplug did not return");
            }
            long settleMillis = (lastEvent - first) / 1_000_000;
            if (settleMillis > UNPLUG_BOUND_MILLIS) {
                s.problem(
                        "from the first completion telling of the unplug to the last callback, synchronous call's return"
                                + " and USB_CLOSE_DEVICE " + settleMillis + " ms");
            }

            // a later open and calls on the departed device fail cleanly
            Win32.setLastError(0);
            if (f.openPipe(s.device, e.descriptor()) != null || Win32.getLastError() == 0) {
                s.problem("OpenPipe after the unplug: not refused with an error (" + Win32.getLastError() + ")");
            }
            Win32.setLastError(0);
            if (f.issueIsochTransfer(s.pipe, p -> 0, null, s.flags, 0, FRAMES, s.lengths, s.tickets.peek().buf, 0)
                            != null
                    || Win32.getLastError() == 0) {
                s.problem("a transfer on the old pipe after the unplug: not refused with an error");
            }
            Win32.setLastError(0);
            if (s.getDescriptor() != null || Win32.getLastError() == 0) {
                s.problem("GetDescriptor after the unplug: not refused with an error");
            }
            for (Ticket k : s.tickets) {
                s.close(k);
            }
            r.info(String.format(
                    "%s: %d transfers issued (%d before the unplug); host: %s, answered in %d ms; first completion"
                            + " telling of it %d ms after the request; then every callback and USB_CLOSE_DEVICE"
                            + " within %d ms",
                    target.name(),
                    s.tickets.size(),
                    before,
                    reply,
                    (acked - t0) / 1_000_000,
                    (first - t0) / 1_000_000,
                    settleMillis));
            r.info("a synchronous iso call of " + LONG_CALL_FRAMES
                    + " packets in a callback, pending across the unplug,"
                    + " returned " + (s.longCallReturnedNanos - t0) / 1_000_000 + " ms after the request: "
                    + s.longCallResult);
            synchronized (s.counts) {
                r.info(s.counts.toString() + "; longest synchronous iso call " + s.longestSyncMillis.get()
                        + " ms on the third thread, " + s.longestCallbackSyncMillis.get() + " ms in a callback");
            }
            r.info(replug(s, target, e));
        } finally {
            halt.set(true);
            usbd.close();
        }
        if (SeededRound.transfersInUse(usbd) != 0) {
            s.problem(SeededRound.transfersInUse(usbd) + " transfers out of their pools after Usbd.close()");
        }
        long threadsAfter = SeededRound.awaitThreadsBackTo(threadsBefore);
        if (threadsAfter > threadsBefore) {
            s.problem("threads after Usbd.close(): " + threadsAfter + ", before " + threadsBefore);
        }
        UsbAudioScenarios.check(s.problems.isEmpty(), s.problems.size() + " problems: " + first(s.problems));
    }

    /**
     * Plugs the device in again, into the same runtime: USBDeviceAttach runs for it, and it streams whole, whatever
     * the unplug left behind.
     */
    private static String replug(Stream s, Target target, UsbEndpoint e) throws Exception {
        if (target.replug() == null) {
            return "not plugged in again";
        }
        long t0 = System.nanoTime();
        target.replug().run();
        if (!s.reattached.await(30, TimeUnit.SECONDS)) {
            throw new AssertionError("no USBDeviceAttach within 30 s of the replug; sysfs: "
                    + Scenarios.sysfsState(target.vendorId(), target.productId()));
        }
        long attachedMillis = (System.nanoTime() - t0) / 1_000_000;
        UsbFuncs f = s.f;
        UsbHandle d = s.again;
        UsbAudioScenarios.checkTransfer(
                f,
                f.setInterface(d, null, null, 0, target.iface(), target.alternate()),
                "SetInterface after the replug");
        UsbPipe p = f.openPipe(d, e.descriptor());
        UsbAudioScenarios.check(p != null, "OpenPipe after the replug: " + Win32.getLastError());
        int[] len = new int[FRAMES];
        int[] err = new int[FRAMES];
        for (int i = 0; i < 4; i++) {
            UsbTransfer t = f.issueIsochTransfer(
                    p,
                    null,
                    null,
                    s.flags & ~USB_NO_WAIT,
                    0,
                    FRAMES,
                    s.lengths,
                    ByteBuffer.allocateDirect(FRAMES * target.packet()),
                    0);
            UsbAudioScenarios.check(t != null, "a synchronous iso transfer after the replug: " + Win32.getLastError());
            UsbAudioScenarios.check(f.getIsochResults(t, FRAMES, len, err), "GetIsochResults after the replug");
            for (int k = 0; k < FRAMES; k++) {
                UsbAudioScenarios.check(
                        err[k] == USB_NO_ERROR && ((target.endpoint() & 0x80) != 0 || len[k] == target.packet()),
                        "after the replug, frame " + k + ": " + len[k] + " bytes, " + errorName(err[k]));
            }
            f.closeTransfer(t);
        }
        UsbAudioScenarios.check(f.closePipe(p), "ClosePipe after the replug");
        return "plugged in again: USBDeviceAttach " + attachedMillis + " ms after the request, then 4 synchronous iso"
                + " transfers whole";
    }

    private static String first(Queue<String> problems) {
        return problems.stream().limit(8).toList().toString();
    }
}
