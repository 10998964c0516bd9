package io.github.usbd4j.realkernel;

import static io.github.usbd4j.ce.UsbTypes.*;
import static io.github.usbd4j.realkernel.UsbAudioScenarios.check;
import static io.github.usbd4j.usb.UsbdStatus.USBD_STATUS_SUCCESS;

import io.github.usbd4j.ce.UsbFuncs;
import io.github.usbd4j.ce.UsbPipe;
import io.github.usbd4j.ce.UsbTransfer;
import io.github.usbd4j.contract.CeDriverFixture;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.host.Usbd;
import io.github.usbd4j.usb.UsbdIsoPacketDescriptor;
import io.github.usbd4j.win32.Win32;
import io.github.usbd4j.winusb.Overlapped;
import io.github.usbd4j.winusb.WinUsb;
import io.github.usbd4j.winusb.WinUsbInterfaceHandle;
import io.github.usbd4j.winusb.WinUsbIsochBufferHandle;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Guest-side iso IN scenarios: the loopback device (1209:0001, full speed, interface 0 alt 1: iso OUT
 * 0x01 and iso IN 0x81 of 512 bytes) served by the host's USB/IP server through the guestfwd, attached to
 * the guest kernel's vhci-hcd. The device queues every OUT packet whole and answers each IN packet with
 * the oldest queued one; with nothing queued it sends 512 bytes of {@code LoopbackDevice.pattern}, whose
 * byte i is {@code frame*8 + i} (mod 256). So: write known packets, read them back bit-exact, then
 * check that the following packets are well-formed pattern packets.
 */
final class UsbIpScenarios {
    private static final int MPS = 512;
    private static final int PER_TRANSFER = 8;

    private UsbIpScenarios() {}

    static int lengthOf(long n) {
        return 1 + (int) ((n * 37) % MPS);
    }

    static byte byteOf(long n, int i) {
        return (byte) (n * 31 + i * 7L + (n >>> 8));
    }

    /** What the reader expects next: queued packets in order, then pattern packets. */
    static final class Expect {
        final long queued;
        long next;
        long patternPackets;

        Expect(long first, long queued) {
            this.next = first;
            this.queued = first + queued;
        }

        void packet(ByteBuffer buf, int offset, int length, int error, String where) {
            check(error == USB_NO_ERROR, where + ": " + errorName(error));
            if (next < queued) {
                check(
                        length == lengthOf(next),
                        where + ": packet " + next + " length " + length + ", want " + lengthOf(next));
                for (int i = 0; i < length; i++) {
                    if (buf.get(offset + i) != byteOf(next, i)) {
                        throw new AssertionError(where + ": packet " + next + " byte " + i + " differs");
                    }
                }
                next++;
            } else {
                check(length == MPS, where + ": pattern packet of " + length + " bytes");
                byte b0 = buf.get(offset);
                check((b0 & 7) == 0, where + ": pattern packet starts with frame*8, got " + b0);
                for (int i = 0; i < length; i++) {
                    if (buf.get(offset + i) != (byte) (b0 + i)) {
                        throw new AssertionError(where + ": pattern packet byte " + i + " differs");
                    }
                }
                patternPackets++;
            }
        }
    }

    /** Synchronous OUT transfers of packets {@code first .. first+count-1} (count a multiple of 8). */
    private static void writeOut(UsbFuncs f, UsbPipe out, long first, int count) {
        ByteBuffer buf = ByteBuffer.allocateDirect(PER_TRANSFER * MPS);
        int[] lengths = new int[PER_TRANSFER];
        for (long n = first; n < first + count; n += PER_TRANSFER) {
            int pos = 0;
            for (int k = 0; k < PER_TRANSFER; k++) {
                lengths[k] = lengthOf(n + k);
                for (int i = 0; i < lengths[k]; i++) {
                    buf.put(pos + i, byteOf(n + k, i));
                }
                pos += lengths[k];
            }
            UsbTransfer t = f.issueIsochTransfer(
                    out, null, null, USB_OUT_TRANSFER | USB_START_ISOCH_ASAP, 0, PER_TRANSFER, lengths, buf, 0);
            UsbAudioScenarios.checkTransfer(f, t, "synchronous iso OUT");
        }
    }

    /**
     * Scenario b (§1.7, §1.8): iso IN from the USB/IP loopback device, bit-exact, first with four
     * asynchronous transfers in flight resubmitted from their callbacks (data at each frame's offset),
     * then with synchronous {@code USB_COMPRESS_ISOCH} transfers (data packed back to back).
     */
    static void ceLoopbackIn(GuestMain.Report r) throws Exception {
        try (CeDriverFixture fx = new CeDriverFixture(new RealKernelHarness(), Usbd.builder(), UsbSpeed.FULL).plug()) {
            UsbFuncs f = fx.funcs;
            UsbPipe out = fx.openIsoPipe(1, 0x01);
            UsbPipe in = fx.openIsoPipe(1, 0x81);

            // async, 4 in flight, 64 queued packets then 32 pattern packets
            writeOut(f, out, 0, 64);
            Expect e = new Expect(0, 64);
            List<String> problems = Collections.synchronizedList(new ArrayList<>());
            int transfers = 12;
            CountDownLatch all = new CountDownLatch(transfers);
            int flags = USB_IN_TRANSFER | USB_START_ISOCH_ASAP | USB_NO_WAIT | USB_SHORT_TRANSFER_OK;
            Object order = new Object();
            final class Slot {
                final ByteBuffer buf = ByteBuffer.allocateDirect(PER_TRANSFER * MPS);
                final int[] lengths = new int[PER_TRANSFER];
                final int[] actual = new int[PER_TRANSFER];
                final int[] errors = new int[PER_TRANSFER];
                int left;
                UsbTransfer t;

                Slot(int count) {
                    left = count;
                    Arrays.fill(lengths, MPS);
                }

                synchronized void issue() {
                    if (left-- == 0) {
                        return;
                    }
                    t = f.issueIsochTransfer(
                            in,
                            p -> {
                                done();
                                return 0;
                            },
                            null,
                            flags,
                            0,
                            PER_TRANSFER,
                            lengths,
                            buf,
                            0);
                    if (t == null) {
                        problems.add("IssueIsochTransfer: " + Win32.getLastError());
                    }
                }

                synchronized void done() {
                    try {
                        check(f.getIsochResults(t, PER_TRANSFER, actual, errors), "GetIsochResults in the callback");
                        synchronized (order) { // callbacks run in submit order per pipe
                            for (int k = 0; k < PER_TRANSFER; k++) {
                                e.packet(buf, k * MPS, actual[k], errors[k], "async frame " + (t.startFrame() + k));
                            }
                        }
                    } catch (AssertionError x) {
                        problems.add(x.getMessage());
                    }
                    f.closeTransfer(t);
                    all.countDown();
                    issue();
                }
            }
            for (int i = 0; i < 4; i++) {
                new Slot(transfers / 4).issue();
            }
            check(all.await(20, TimeUnit.SECONDS), "12 IN transfers completed");
            check(problems.isEmpty(), "async IN: " + problems);
            check(
                    e.next == 64 && e.patternPackets == 32,
                    "64 looped back + 32 pattern packets: " + e.next + "/" + e.patternPackets);
            r.info("async IN, 4 in flight: 64 packets looped back bit-exact, then 32 pattern packets");

            // synchronous COMPRESS: 32 queued packets then 16 pattern packets, packed back to back (§1.8)
            writeOut(f, out, 1000, 32);
            Expect c = new Expect(1000, 32);
            ByteBuffer buf = ByteBuffer.allocateDirect(PER_TRANSFER * MPS);
            int[] lengths = new int[PER_TRANSFER];
            Arrays.fill(lengths, MPS);
            int[] actual = new int[PER_TRANSFER];
            int[] errors = new int[PER_TRANSFER];
            for (int i = 0; i < 6; i++) {
                UsbTransfer t = f.issueIsochTransfer(
                        in,
                        null,
                        null,
                        USB_IN_TRANSFER | USB_START_ISOCH_ASAP | USB_SHORT_TRANSFER_OK | USB_COMPRESS_ISOCH,
                        0,
                        PER_TRANSFER,
                        lengths,
                        buf,
                        0);
                check(t != null, "synchronous compressed IN: " + Win32.getLastError());
                check(f.getIsochResults(t, PER_TRANSFER, actual, errors), "GetIsochResults");
                int packed = 0;
                for (int k = 0; k < PER_TRANSFER; k++) {
                    c.packet(buf, packed, actual[k], errors[k], "compressed frame " + (t.startFrame() + k));
                    packed += actual[k];
                }
                int[] bytes = new int[1];
                f.getTransferStatus(t, bytes, null);
                check(bytes[0] == packed, "bytes transferred " + bytes[0] + " = sum of frame lengths " + packed);
                f.closeTransfer(t);
            }
            check(c.next == 1032 && c.patternPackets == 16, "32 looped back + 16 pattern packets");
            r.info("synchronous USB_COMPRESS_ISOCH IN: 32 packets looped back packed and bit-exact, then 16 pattern"
                    + " packets");
        }
    }

    /**
     * Issue 6, WinUSB personality (§2.3, §2.4): WinUsb_Initialize, alternate setting 1,
     * RegisterIsochBuffer, WriteIsochPipeAsap, then four ReadIsochPipeAsap in flight with OVERLAPPED,
     * every packet descriptor checked and the data compared bit-exact.
     */
    static void winUsbLoopbackIn(GuestMain.Report r) throws Exception {
        try (CeDriverFixture fx = new CeDriverFixture(new RealKernelHarness(), Usbd.builder(), UsbSpeed.FULL).plug()) {
            WinUsb w = fx.usbd.winUsb();
            WinUsbInterfaceHandle[] ih = new WinUsbInterfaceHandle[1];
            check(w.initialize(fx.usbd.devices().get(0), ih), "WinUsb_Initialize: " + Win32.getLastError());
            WinUsbInterfaceHandle h = ih[0];
            check(w.setCurrentAlternateSetting(h, 1), "WinUsb_SetCurrentAlternateSetting");
            int bytes = 32 * MPS; // 32 full-speed frames
            ByteBuffer outBuf = ByteBuffer.allocateDirect(bytes);
            ByteBuffer inBuf = ByteBuffer.allocateDirect(bytes + PER_TRANSFER * MPS);
            for (int i = 0; i < bytes; i++) {
                outBuf.put(i, (byte) (i * 13 + (i >>> 9)));
            }
            WinUsbIsochBufferHandle[] bh = new WinUsbIsochBufferHandle[1];
            check(w.registerIsochBuffer(h, 0x01, outBuf, bytes, bh), "RegisterIsochBuffer OUT");
            WinUsbIsochBufferHandle out = bh[0];
            check(w.registerIsochBuffer(h, 0x81, inBuf, inBuf.capacity(), bh), "RegisterIsochBuffer IN");
            WinUsbIsochBufferHandle in = bh[0];

            Overlapped[] wo = new Overlapped[4];
            for (int i = 0; i < 4; i++) {
                wo[i] = new Overlapped();
                w.writeIsochPipeAsap(out, i * 8 * MPS, 8 * MPS, false, wo[i]);
                check(
                        Win32.getLastError() == Win32.ERROR_IO_PENDING,
                        "write " + i + " pending: " + Win32.getLastError());
            }
            for (Overlapped o : wo) {
                check(w.getOverlappedResult(h, o, null, true), "write completed: " + Win32.getLastError());
            }
            // four reads in flight, then one more that finds the queue empty
            Overlapped[] ro = new Overlapped[5];
            UsbdIsoPacketDescriptor[][] d = new UsbdIsoPacketDescriptor[5][];
            for (int i = 0; i < 5; i++) {
                ro[i] = new Overlapped();
                d[i] = UsbdIsoPacketDescriptor.array(PER_TRANSFER);
                w.readIsochPipeAsap(in, i * 8 * MPS, 8 * MPS, false, PER_TRANSFER, d[i], ro[i]);
                check(
                        Win32.getLastError() == Win32.ERROR_IO_PENDING,
                        "read " + i + " pending: " + Win32.getLastError());
            }
            for (int i = 0; i < 5; i++) {
                check(w.getOverlappedResult(h, ro[i], null, true), "read " + i + " completed: " + Win32.getLastError());
                for (int k = 0; k < PER_TRANSFER; k++) {
                    UsbdIsoPacketDescriptor p = d[i][k];
                    check(
                            p.status == USBD_STATUS_SUCCESS,
                            "read " + i + " packet " + k + " status 0x" + Integer.toHexString(p.status));
                    check(
                            p.offset == k * MPS && p.length == MPS,
                            "read " + i + " packet " + k + " offset/length " + p.offset + "/" + p.length);
                }
            }
            for (int i = 0; i < bytes; i++) {
                if (inBuf.get(i) != outBuf.get(i)) {
                    throw new AssertionError("WinUSB IN byte " + i + " differs");
                }
            }
            for (int k = 0; k < PER_TRANSFER; k++) {
                int at = bytes + k * MPS;
                byte b0 = inBuf.get(at);
                for (int i = 0; i < MPS; i++) {
                    check(inBuf.get(at + i) == (byte) (b0 + i), "pattern packet " + k + " byte " + i);
                }
            }
            check(w.unregisterIsochBuffer(out) && w.unregisterIsochBuffer(in), "UnregisterIsochBuffer");
            check(w.free(h), "WinUsb_Free");
            r.info("WinUSB: 32 frames written, read back by 4 overlapped reads bit-exact, 8 pattern packets after");
        }
    }
}
