package io.github.usbd4j.sim;

import static io.github.usbd4j.ce.UsbTypes.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.ce.UsbFuncs;
import io.github.usbd4j.ce.UsbPipe;
import io.github.usbd4j.ce.UsbTransfer;
import io.github.usbd4j.contract.CeDriverFixture;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.host.Usbd;
import io.github.usbd4j.host.spi.PacketStatus;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The two ways CE client drivers stream isochronous data (usb-iso-apis.md §1.11), each run for 60 s of
 * virtual bus time against the loopback device with every byte checked and every injected fault found in
 * the frame it was injected in.
 *
 * <p>The loopback device queues each OUT packet whole and returns the oldest one for each IN packet, so
 * the n-th packet read back must equal the n-th packet that reached the device.
 */
class CeStyleStreamingTest {
    private static final int SECONDS = 60;
    private static final int FRAMES_PER_TRANSFER = 8;
    private static final int IN_FLIGHT = 4;

    private CeDriverFixture fx;

    @AfterEach
    void close() {
        if (fx != null) {
            fx.close();
        }
    }

    /** Length of the n-th packet sent: varies so that short frames and COMPRESS are exercised. */
    static int lengthOf(long n) {
        return 1 + (int) ((n * 37) % 500);
    }

    static byte byteOf(long n, int i) {
        return (byte) (n * 31 + i * 7L + (n >>> 8));
    }

    static int usbError(PacketStatus s) {
        return switch (s) {
            case CRC -> USB_CRC_ERROR;
            case BIT_STUFFING -> USB_BIT_STUFFING_ERROR;
            case DATA_TOGGLE_MISMATCH -> USB_DATA_TOGGLE_MISMATCH_ERROR;
            case NOT_ACCESSED -> USB_NOT_ACCESSED_ERROR;
            default -> throw new IllegalArgumentException(s.name());
        };
    }

    /** What the test saw: sent packets that reached the device, packets read, errors by frame. */
    static final class Ledger {
        final ArrayDeque<Long> delivered = new ArrayDeque<>();
        final Map<Long, Integer> inErrorByFrame = new HashMap<>();
        long sent;
        long received;
        long checkedBytes;
        long badFrames;
    }

    private SimulatedDevice plug(FaultPlan faults) {
        SimHarness harness = new SimHarness().faults(faults);
        fx = new CeDriverFixture(harness, Usbd.builder(), UsbSpeed.FULL).plug();
        return (SimulatedDevice) fx.plugged();
    }

    /** Fills an OUT buffer with the next packets and records their lengths. */
    private static void fillOut(ByteBuffer buf, int[] lengths, long firstPacket) {
        int pos = 0;
        for (int k = 0; k < lengths.length; k++) {
            long n = firstPacket + k;
            lengths[k] = lengthOf(n);
            for (int i = 0; i < lengths[k]; i++) {
                buf.put(pos + i, byteOf(n, i));
            }
            pos += lengths[k];
        }
    }

    /** Checks one IN packet against the next delivered OUT packet. */
    private static void checkIn(ByteBuffer buf, int offset, int length, int error, long frame, Ledger l) {
        if (error == USB_NOT_ACCESSED_ERROR) {
            l.inErrorByFrame.put(frame, error); // a missed frame: nothing was read
            return;
        }
        Long n = l.delivered.pollFirst();
        assertThat(n)
                .as("an IN packet in frame %d with nothing sent before it", frame)
                .isNotNull();
        assertThat(length).as("length of packet %d (frame %d)", n, frame).isEqualTo(lengthOf(n));
        for (int i = 0; i < length; i++) {
            if (buf.get(offset + i) != byteOf(n, i)) {
                throw new AssertionError("packet " + n + " byte " + i + " differs in frame " + frame);
            }
        }
        l.checkedBytes += length;
        l.received++;
        if (error != USB_NO_ERROR) {
            l.inErrorByFrame.put(frame, error);
            l.badFrames++;
        }
    }

    private static void assertEveryFaultReportedInItsFrame(SimulatedDevice dev, Ledger l) {
        List<InjectedFault> faults = new ArrayList<>(dev.injectedFaults());
        assertThat(faults).as("faults were injected").isNotEmpty();
        for (InjectedFault f : faults) {
            if (f.endpointAddress() != 0x81 && f.status() != PacketStatus.NOT_ACCESSED) {
                continue;
            }
            Integer reported = l.inErrorByFrame.get(f.frame());
            if (f.status() == PacketStatus.NOT_ACCESSED && reported == null) {
                continue; // a missed frame with no IN packet scheduled in it
            }
            assertThat(reported)
                    .as("fault %s reported in frame %d", f, f.frame())
                    .isEqualTo(usbError(f.status()));
        }
        assertThat(l.inErrorByFrame.size())
                .as("no error reported without an injected fault")
                .isLessThanOrEqualTo(faults.size());
    }

    /**
     * The CE usbtest way: several transfers in flight per direction with
     * {@code USB_START_ISOCH_ASAP | USB_NO_WAIT} and a callback that checks the results and resubmits.
     */
    @Test
    void usbtestStyle_asyncTransfersResubmittedFromTheCallback_stream60sByteExact_1_11() {
        SimulatedDevice dev = plug(FaultPlan.builder()
                .packetErrorRate(0x81, 0.001, PacketStatus.CRC)
                .faultAt(5_000, 0x81, PacketStatus.BIT_STUFFING)
                .faultAt(30_000, 0x81, PacketStatus.DATA_TOGGLE_MISMATCH)
                .missedFrame(12_345)
                .missedFrame(45_678)
                .build());
        UsbFuncs f = fx.funcs;
        UsbPipe out = fx.openIsoPipe(1, 0x01);
        UsbPipe in = fx.openIsoPipe(1, 0x81);
        Ledger l = new Ledger();
        long end = SECONDS * 1000L;
        int outFlags = USB_OUT_TRANSFER | USB_START_ISOCH_ASAP | USB_NO_WAIT | USB_SEND_TO_ENDPOINT;
        int inFlags =
                USB_IN_TRANSFER | USB_START_ISOCH_ASAP | USB_NO_WAIT | USB_SEND_TO_ENDPOINT | USB_SHORT_TRANSFER_OK;

        final class Slot {
            final boolean isIn;
            final ByteBuffer buf = ByteBuffer.allocateDirect(FRAMES_PER_TRANSFER * 512);
            final int[] lengths = new int[FRAMES_PER_TRANSFER];
            final int[] actual = new int[FRAMES_PER_TRANSFER];
            final int[] errors = new int[FRAMES_PER_TRANSFER];
            long first;
            UsbTransfer t;

            Slot(boolean isIn) {
                this.isIn = isIn;
            }

            void issue() {
                if (fx.harness instanceof SimHarness h && h.sim().currentFrame() >= end) {
                    return;
                }
                if (isIn) {
                    java.util.Arrays.fill(lengths, 512);
                } else {
                    first = l.sent;
                    l.sent += FRAMES_PER_TRANSFER;
                    fillOut(buf, lengths, first);
                }
                t = f.issueIsochTransfer(
                        isIn ? in : out,
                        p -> {
                            done();
                            return 0;
                        },
                        this,
                        isIn ? inFlags : outFlags,
                        0,
                        FRAMES_PER_TRANSFER,
                        lengths,
                        buf,
                        0);
                assertThat(t).isNotNull();
            }

            void done() {
                assertThat(f.getIsochResults(t, FRAMES_PER_TRANSFER, actual, errors))
                        .isTrue();
                int start = t.startFrame();
                int offset = 0;
                for (int k = 0; k < FRAMES_PER_TRANSFER; k++) {
                    if (isIn) {
                        checkIn(buf, offset, actual[k], errors[k], start + k, l);
                    } else if (errors[k] == USB_NO_ERROR) {
                        l.delivered.add(first + k);
                    } else {
                        assertThat(errors[k]).as("OUT frame %d", start + k).isEqualTo(USB_NOT_ACCESSED_ERROR);
                    }
                    offset += lengths[k];
                }
                assertThat(f.closeTransfer(t)).isTrue();
                issue();
            }
        }

        for (int i = 0; i < IN_FLIGHT; i++) {
            new Slot(false).issue();
        }
        fx.harness.runFrames(20); // the IN stream trails the OUT stream so the device always has data
        for (int i = 0; i < IN_FLIGHT; i++) {
            new Slot(true).issue();
        }
        fx.harness.runFrames(end + 100);

        assertThat(l.received).as("packets read back").isGreaterThan(59_000);
        assertThat(l.checkedBytes).isGreaterThan(59_000L * 200);
        assertEveryFaultReportedInItsFrame(dev, l);
        assertThat(l.badFrames)
                .as("damaged IN frames carried their data and were counted")
                .isGreaterThan(10);
    }

    /**
     * The CE webcam way: one synchronous IN transfer at a time with
     * {@code USB_IN_TRANSFER | USB_SHORT_TRANSFER_OK | USB_START_ISOCH_ASAP | USB_COMPRESS_ISOCH}; the
     * frames come back packed, bad frames included by their actual length (§1.8).
     */
    @Test
    void webcamStyle_oneSynchronousCompressedTransferAtATime_stream60sByteExact_1_11() {
        SimulatedDevice dev = plug(FaultPlan.builder()
                .packetErrorRate(0x81, 0.002, PacketStatus.CRC)
                .faultAt(7_777, 0x81, PacketStatus.BIT_STUFFING)
                .build());
        UsbFuncs f = fx.funcs;
        UsbPipe out = fx.openIsoPipe(1, 0x01);
        UsbPipe in = fx.openIsoPipe(1, 0x81);
        Ledger l = new Ledger();
        ByteBuffer outBuf = ByteBuffer.allocate(FRAMES_PER_TRANSFER * 512);
        ByteBuffer inBuf = ByteBuffer.allocate(FRAMES_PER_TRANSFER * 512);
        int[] outLengths = new int[FRAMES_PER_TRANSFER];
        int[] inLengths = new int[FRAMES_PER_TRANSFER];
        java.util.Arrays.fill(inLengths, 512);
        int[] actual = new int[FRAMES_PER_TRANSFER];
        int[] errors = new int[FRAMES_PER_TRANSFER];
        int flags = USB_IN_TRANSFER | USB_SHORT_TRANSFER_OK | USB_START_ISOCH_ASAP | USB_COMPRESS_ISOCH;
        int transfers = 0;
        while (fx.frame() < SECONDS * 1000) {
            long first = l.sent;
            l.sent += FRAMES_PER_TRANSFER;
            fillOut(outBuf, outLengths, first);
            UsbTransfer w = f.issueIsochTransfer(
                    out, null, null, USB_START_ISOCH_ASAP, 0, FRAMES_PER_TRANSFER, outLengths, outBuf, 0);
            assertThat(w).as("synchronous OUT").isNotNull();
            assertThat(f.isTransferComplete(w)).isTrue();
            for (int k = 0; k < FRAMES_PER_TRANSFER; k++) {
                l.delivered.add(first + k);
            }
            f.closeTransfer(w);

            UsbTransfer r = f.issueIsochTransfer(in, null, null, flags, 0, FRAMES_PER_TRANSFER, inLengths, inBuf, 0);
            assertThat(r).as("synchronous IN").isNotNull();
            assertThat(f.getIsochResults(r, FRAMES_PER_TRANSFER, actual, errors))
                    .isTrue();
            int packed = 0;
            int total = 0;
            for (int k = 0; k < FRAMES_PER_TRANSFER; k++) {
                checkIn(inBuf, packed, actual[k], errors[k], r.startFrame() + k, l); // packed back to back
                packed += actual[k];
                total += actual[k];
            }
            int[] bytes = new int[1];
            f.getTransferStatus(r, bytes, null);
            assertThat(bytes[0]).isEqualTo(total);
            f.closeTransfer(r);
            transfers++;
        }
        assertThat(transfers).isGreaterThan(2000);
        assertThat(l.delivered).as("every packet sent was read back").isEmpty();
        assertEveryFaultReportedInItsFrame(dev, l);
        assertThat(l.badFrames).isGreaterThan(5);
    }
}
