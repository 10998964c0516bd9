package io.github.usbd4j.realkernel;

import static io.github.usbd4j.ce.UsbTypes.*;
import static io.github.usbd4j.usb.UsbdStatus.USBD_STATUS_SUCCESS;
import static io.github.usbd4j.wdm.NtStatus.STATUS_PENDING;
import static io.github.usbd4j.wdm.NtStatus.STATUS_SUCCESS;

import io.github.usbd4j.ce.UsbClientDriver;
import io.github.usbd4j.ce.UsbDriverSettings;
import io.github.usbd4j.ce.UsbFuncs;
import io.github.usbd4j.ce.UsbHandle;
import io.github.usbd4j.ce.UsbPipe;
import io.github.usbd4j.ce.UsbTransfer;
import io.github.usbd4j.host.Usbd;
import io.github.usbd4j.libusb.LibusbHostController;
import io.github.usbd4j.usb.UsbDeviceRequest;
import io.github.usbd4j.usb.UsbInterface;
import io.github.usbd4j.wdm.Urb;
import io.github.usbd4j.wdm.UsbdHandle;
import io.github.usbd4j.wdm.Wdm;
import io.github.usbd4j.win32.Win32;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Guest-side scenarios against QEMU's usb-audio (46f4:0002, full speed; interface 1 alt 1: iso OUT 0x01,
 * 192 bytes = 48 stereo s16 frames per 1 ms frame, bInterval 1) through this library's usb4java backend
 * and the guest kernel's xHCI driver. The host checks the data in QEMU's wav capture.
 */
final class UsbAudioScenarios {
    static final int VID = 0x46f4;
    static final int PID = 0x0002;
    static final int PACKET = 192;
    static final int FRAMES_PER_PACKET = 48;
    static final int PACKETS_PER_TRANSFER = 8;
    static final int IN_FLIGHT = 4;
    /**
     * The CE stream's last slot issues transfers this long: more packets than libusb puts in one URB
     * (128), so the backend submits each as two libusb transfers.
     */
    static final int LONG_TRANSFER = 136;
    /** Packets streamed by each pattern scenario: 2 s of audio. */
    static final int PACKETS = 2000;

    private UsbAudioScenarios() {}

    /** A runtime on the usb4java backend with a CE driver bound to usb-audio. */
    static final class Session implements AutoCloseable, UsbClientDriver {
        final Usbd usbd;
        final CountDownLatch attached = new CountDownLatch(1);
        volatile UsbHandle device;
        volatile UsbFuncs funcs;

        Session(boolean ceDriver) throws Exception {
            long t0 = System.nanoTime();
            Scenarios.awaitSysfs(VID, PID, 20_000);
            long t1 = System.nanoTime();
            LibusbHostController backend = LibusbHostController.builder()
                    .device(VID, PID)
                    .pollIntervalMillis(50)
                    .build();
            long t2 = System.nanoTime();
            usbd = Usbd.builder().backend(backend).build();
            System.out.printf(
                    "session: sysfs %d ms, backend %d ms, runtime %d ms%n",
                    (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000, (System.nanoTime() - t2) / 1_000_000);
            if (ceDriver) {
                usbd.registerDriver("UsbAudioOut", UsbDriverSettings.forVendor(VID, PID), this);
                check(attached.await(10, TimeUnit.SECONDS), "usbDeviceAttach was called for 46f4:0002");
            } else {
                for (int i = 0; i < 200 && usbd.devices().isEmpty(); i++) {
                    Thread.sleep(50);
                }
                check(!usbd.devices().isEmpty(), "the runtime lists 46f4:0002");
                device = usbd.devices().get(0);
                funcs = usbd.funcs();
            }
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
            device = hDevice;
            funcs = usbFuncs;
            acceptControl[0] = true;
            attached.countDown();
            return true;
        }

        /**
         * UAC1 SET_CUR volume 0x0800 (+8 dB, the maximum) on channels 1 and 2 of feature unit 2, read
         * back with GET_CUR: QEMU scales samples by volume/255 and starts at 240, so anything else is
         * not bit-exact.
         */
        void volumeMax() {
            for (int ch = 1; ch <= 2; ch++) {
                ByteBuffer v = ByteBuffer.wrap(new byte[] {0x00, 0x08});
                UsbTransfer t = funcs.issueVendorTransfer(
                        device,
                        null,
                        null,
                        USB_OUT_TRANSFER | USB_SEND_TO_INTERFACE,
                        new UsbDeviceRequest(0x21, 0x01, 0x0200 | ch, 0x0200, 2),
                        v,
                        0);
                checkTransfer(funcs, t, "SET_CUR volume ch" + ch);
                ByteBuffer got = ByteBuffer.allocate(2);
                t = funcs.issueVendorTransfer(
                        device,
                        null,
                        null,
                        USB_IN_TRANSFER | USB_SEND_TO_INTERFACE,
                        new UsbDeviceRequest(0xA1, 0x81, 0x0200 | ch, 0x0200, 2),
                        got,
                        0);
                checkTransfer(funcs, t, "GET_CUR volume ch" + ch);
                check(got.get(0) == 0 && got.get(1) == 8, "volume ch" + ch + " reads back 0x0800");
            }
        }

        /** CE SetInterface on interface 1 (synchronous). */
        void alt(int alternate) {
            checkTransfer(
                    funcs, funcs.setInterface(device, null, null, 0, 1, alternate), "SetInterface 1/" + alternate);
        }

        UsbPipe openOut() {
            UsbInterface i = funcs.findInterface(funcs.getDeviceInfo(device), 1, 1);
            check(i != null, "interface 1 alt 1 exists");
            UsbPipe p = funcs.openPipe(device, i.findEndpoint(0x01).descriptor());
            check(p != null, "OpenPipe 0x01: error " + Win32.getLastError());
            check(p.endpoint().maxPacketPayload() == PACKET, "wMaxPacketSize 192");
            return p;
        }

        int frame() {
            int[] f = new int[1];
            check(funcs.getFrameNumber(device, f), "GetFrameNumber");
            return f[0];
        }

        @Override
        public void close() {
            usbd.close();
        }
    }

    /**
     * Scenario a ([§1.8](reference/ce-usbd.html#s1-8), [§1.11](reference/ce-usbd.html#s1-11) "usbtest style"): the CE
     * pattern, {@value #PACKETS} packets, four transfers of eight packets in flight with {@code USB_START_ISOCH_ASAP |
     * USB_NO_WAIT}, each checked per packet in its callback through GetIsochResults and resubmitted from there.
     */
    static void ceAudioOut(GuestMain.Report r) throws Exception {
        long t00 = System.nanoTime();
        try (Session s = new Session(true)) {
            r.info("runtime up and driver attached in " + (System.nanoTime() - t00) / 1_000_000 + " ms");
            s.volumeMax();
            s.alt(1);
            UsbPipe pipe = s.openOut();
            UsbFuncs f = s.funcs;
            AtomicInteger nextPacket = new AtomicInteger();
            AtomicInteger donePackets = new AtomicInteger();
            AtomicInteger longTransfers = new AtomicInteger();
            List<String> problems = Collections.synchronizedList(new ArrayList<>());
            CountDownLatch finished = new CountDownLatch(IN_FLIGHT);
            int flags = USB_OUT_TRANSFER | USB_START_ISOCH_ASAP | USB_NO_WAIT;

            final class Slot {
                final int size;
                final ByteBuffer buf;
                final int[] lengths;
                final int[] actual;
                final int[] errors;
                int packets;
                UsbTransfer t;

                Slot(int size) {
                    this.size = size;
                    buf = ByteBuffer.allocateDirect(size * PACKET);
                    lengths = new int[size];
                    actual = new int[size];
                    errors = new int[size];
                }

                synchronized void issue() {
                    // taking packets and issuing them is one step, so they reach the pipe in order
                    synchronized (nextPacket) {
                        issueNext();
                    }
                }

                private void issueNext() {
                    int first = nextPacket.get();
                    if (first >= PACKETS) {
                        finished.countDown();
                        return;
                    }
                    packets = Math.min(size, PACKETS - first);
                    nextPacket.addAndGet(packets);
                    Arrays.fill(lengths, PACKET);
                    WavPattern.CE.fill(buf, (long) first * FRAMES_PER_PACKET, packets * FRAMES_PER_PACKET);
                    t = f.issueIsochTransfer(
                            pipe,
                            p -> {
                                done();
                                return 0;
                            },
                            this,
                            flags,
                            0,
                            packets,
                            lengths,
                            buf,
                            0);
                    if (t == null) {
                        problems.add("IssueIsochTransfer failed: " + Win32.getLastError());
                        finished.countDown();
                    }
                }

                synchronized void done() {
                    if (!f.getIsochResults(t, packets, actual, errors)) {
                        problems.add("GetIsochResults false in the callback");
                    }
                    for (int k = 0; k < packets; k++) {
                        if (actual[k] != PACKET || errors[k] != USB_NO_ERROR) {
                            problems.add(
                                    "packet " + k + " of a transfer: " + actual[k] + " bytes, " + errorName(errors[k]));
                        }
                    }
                    donePackets.addAndGet(packets);
                    if (packets > 128) {
                        longTransfers.incrementAndGet();
                    }
                    f.closeTransfer(t);
                    issue();
                }
            }

            long t0 = System.nanoTime();
            int startFrame = s.frame();
            for (int i = 0; i < IN_FLIGHT; i++) {
                new Slot(i == IN_FLIGHT - 1 ? LONG_TRANSFER : PACKETS_PER_TRANSFER).issue();
            }
            check(finished.await(30, TimeUnit.SECONDS), "stream finished within 30 s");
            long ms = (System.nanoTime() - t0) / 1_000_000;
            int frames = s.frame() - startFrame;
            Thread.sleep(500); // let QEMU play out its buffer: leaving alt 1 resets the device's stream
            s.alt(0);
            check(f.closePipe(pipe), "ClosePipe");
            check(problems.isEmpty(), "per-packet results: " + problems.subList(0, Math.min(5, problems.size())));
            check(donePackets.get() == PACKETS, "all packets completed: " + donePackets.get());
            check(longTransfers.get() > 0, "some transfers had more than 128 packets");
            r.info("streamed packets=" + PACKETS + " audioFrames=" + (long) PACKETS * FRAMES_PER_PACKET + " in " + ms
                    + " ms (" + frames + " bus frames by GetFrameNumber), " + longTransfers.get()
                    + " transfers of " + LONG_TRANSFER + " packets among them");
        }
    }

    /**
     * Scenario d ([§1.8](reference/ce-usbd.html#s1-8), [§1.9](reference/ce-usbd.html#s1-9)): how close an explicit
     * start frame lands on a real kernel. One transfer of {@code N} silent packets at a time, start frame {@code F =
     * GetFrameNumber() + k}; the callback notes the frame at completion; the landing frame is estimated as completion -
     * N.
     */
    static void startFrameAccuracy(GuestMain.Report r) throws Exception {
        final int n = 8;
        final int rounds = 40;
        try (Session s = new Session(true)) {
            s.volumeMax();
            s.alt(1);
            UsbPipe pipe = s.openOut();
            UsbFuncs f = s.funcs;
            ByteBuffer silence = ByteBuffer.allocateDirect(n * PACKET);
            int[] lengths = new int[n];
            Arrays.fill(lengths, PACKET);
            List<Integer> deltas = new ArrayList<>();
            // warm-up: the first transfer loads and compiles the whole path, slow under TCG
            checkTransfer(
                    f,
                    f.issueIsochTransfer(pipe, null, null, USB_START_ISOCH_ASAP, 0, n, lengths, silence, 0),
                    "warm-up");
            int refused = 0;
            List<Integer> reported = new ArrayList<>();
            for (int i = 0; i < rounds; i++) {
                int k = 20 + (i % 4) * 10;
                int start = s.frame() + k;
                int[] completedAt = new int[1];
                CountDownLatch done = new CountDownLatch(1);
                UsbTransfer t = f.issueIsochTransfer(
                        pipe,
                        p -> {
                            completedAt[0] = s.frame();
                            done.countDown();
                            return 0;
                        },
                        null,
                        USB_OUT_TRANSFER | USB_NO_WAIT,
                        start,
                        n,
                        lengths,
                        silence,
                        0);
                if (t == null && Win32.getLastError() == Win32.ERROR_CAN_NOT_COMPLETE && ++refused <= rounds / 4) {
                    // the guest stalled for k frames between GetFrameNumber and the call
                    // ([§1.8](reference/ce-usbd.html#s1-8) rule)
                    continue;
                }
                check(t != null, "explicit start frame " + start + " accepted: error " + Win32.getLastError());
                check(done.await(5, TimeUnit.SECONDS), "completion");
                int[] actual = new int[n];
                int[] errors = new int[n];
                check(f.getIsochResults(t, n, actual, errors), "GetIsochResults");
                for (int e : errors) {
                    check(e == USB_NO_ERROR, "packet error " + errorName(e));
                }
                if (t.startFrame() != start) {
                    reported.add(t.startFrame() - start);
                }
                f.closeTransfer(t);
                int delta = completedAt[0] - n - start;
                deltas.add(delta);
            }
            Thread.sleep(100);
            s.alt(0);
            f.closePipe(pipe);
            List<Integer> sorted = new ArrayList<>(deltas);
            Collections.sort(sorted);
            r.info(String.format(
                    "startFrame accuracy over %d transfers of %d packets, k=20..50: (completion-N)-F median=%d p95=%d"
                            + " max=%d min=%d ms; %d refused as too late",
                    deltas.size(),
                    n,
                    sorted.get(sorted.size() / 2),
                    sorted.get((int) Math.ceil(sorted.size() * 0.95) - 1),
                    sorted.get(sorted.size() - 1),
                    sorted.get(0),
                    refused));
            r.info("all deltas " + deltas + "; UsbTransfer.startFrame()-F where not 0: " + reported);
        }
    }

    /**
     * Issue 6, WDM personality ([§3.3](reference/wdm.html#s3-3), [§3.4](reference/wdm.html#s3-4),
     * [§3.6](reference/wdm.html#s3-6)): the WDM pattern to usb-audio through USBD_CreateHandle, isoch URBs from
     * USBD_IsochUrbAllocate and a completion routine that checks each packet's status and resubmits the URB; four URBs
     * of eight packets in flight.
     */
    static void wdmAudioOut(GuestMain.Report r) throws Exception {
        try (Session s = new Session(false)) {
            s.volumeMax(); // WDM has no class request call here; CE's on the same runtime does it
            Wdm wdm = s.usbd.wdm();
            UsbdHandle[] hh = new UsbdHandle[1];
            check(wdm.usbdCreateHandle(s.device, hh) == STATUS_SUCCESS, "USBD_CreateHandle");
            UsbdHandle h = hh[0];
            check(wdm.selectInterface(h, 1, 1) == STATUS_SUCCESS, "select interface 1 alt 1");
            AtomicInteger next = new AtomicInteger();
            AtomicInteger done = new AtomicInteger();
            ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
            CountDownLatch finished = new CountDownLatch(IN_FLIGHT);
            List<Urb> urbs = new ArrayList<>();
            for (int i = 0; i < IN_FLIGHT; i++) {
                Urb[] u = new Urb[1];
                check(wdm.usbdIsochUrbAllocate(h, PACKETS_PER_TRANSFER, u) == STATUS_SUCCESS, "USBD_IsochUrbAllocate");
                urbs.add(u[0]);
            }
            final class Submitter {
                void submit(Urb urb) {
                    int first = next.getAndAdd(PACKETS_PER_TRANSFER);
                    if (first >= PACKETS) {
                        finished.countDown();
                        return;
                    }
                    ByteBuffer buf = urb.transferBuffer != null
                            ? urb.transferBuffer
                            : ByteBuffer.allocateDirect(PACKETS_PER_TRANSFER * PACKET);
                    WavPattern.WDM.fill(
                            buf, (long) first * FRAMES_PER_PACKET, PACKETS_PER_TRANSFER * FRAMES_PER_PACKET);
                    urb.pipeHandle = wdm.pipeHandle(h, 0x01);
                    urb.transferFlags = Urb.USBD_TRANSFER_DIRECTION_OUT | Urb.USBD_START_ISO_TRANSFER_ASAP;
                    urb.transferBuffer = buf;
                    urb.transferBufferLength = PACKETS_PER_TRANSFER * PACKET;
                    urb.numberOfPackets = PACKETS_PER_TRANSFER;
                    for (int k = 0; k < PACKETS_PER_TRANSFER; k++) {
                        urb.isoPacket[k].offset = k * PACKET;
                    }
                    int st = wdm.submitUrb(h, urb, (u, nt, ctx) -> completed(u, nt), null);
                    if (st != STATUS_PENDING) {
                        problems.add("submit: 0x" + Integer.toHexString(st));
                        finished.countDown();
                    }
                }

                void completed(Urb u, int nt) {
                    if (nt != STATUS_SUCCESS || u.hdrStatus != USBD_STATUS_SUCCESS || u.errorCount != 0) {
                        problems.add("URB nt=0x" + Integer.toHexString(nt) + " status=0x"
                                + Integer.toHexString(u.hdrStatus) + " errors=" + u.errorCount);
                    }
                    for (int k = 0; k < u.numberOfPackets; k++) {
                        if (u.isoPacket[k].status != USBD_STATUS_SUCCESS) {
                            problems.add("packet status 0x" + Integer.toHexString(u.isoPacket[k].status));
                        }
                    }
                    done.addAndGet(u.numberOfPackets);
                    submit(u);
                }
            }
            Submitter sub = new Submitter();
            long t0 = System.nanoTime();
            for (Urb u : urbs) {
                sub.submit(u);
            }
            check(finished.await(30, TimeUnit.SECONDS), "WDM stream finished within 30 s");
            long ms = (System.nanoTime() - t0) / 1_000_000;
            Thread.sleep(500);
            check(wdm.selectInterface(h, 1, 0) == STATUS_SUCCESS, "select interface 1 alt 0");
            for (Urb u : urbs) {
                wdm.usbdUrbFree(h, u);
            }
            check(problems.isEmpty(), "per-packet results: " + problems);
            check(done.get() == PACKETS, "all packets completed: " + done.get());
            r.info("streamed packets=" + PACKETS + " audioFrames=" + (long) PACKETS * FRAMES_PER_PACKET + " in " + ms
                    + " ms");
        }
    }

    static void checkTransfer(UsbFuncs f, UsbTransfer t, String what) {
        check(t != null, what + ": error " + Win32.getLastError());
        int[] err = {-1};
        f.getTransferStatus(t, null, err);
        f.closeTransfer(t);
        check(err[0] == USB_NO_ERROR, what + ": " + errorName(err[0]));
    }

    static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }
}
