package io.github.usbd4j.personality;

import static io.github.usbd4j.usb.UsbdStatus.*;
import static io.github.usbd4j.wdm.NtStatus.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.contract.CeDriverFixture;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.host.Usbd;
import io.github.usbd4j.host.spi.PacketStatus;
import io.github.usbd4j.sim.FaultPlan;
import io.github.usbd4j.sim.SimHarness;
import io.github.usbd4j.wdm.Urb;
import io.github.usbd4j.wdm.UsbdHandle;
import io.github.usbd4j.wdm.UsbdPipeHandle;
import io.github.usbd4j.wdm.Wdm;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The WDM URB personality on the loopback device, in virtual time ([§3](reference/wdm.html#s3)). */
class WdmPersonalityTest {
    private CeDriverFixture fx;
    private Wdm wdm;
    private UsbdHandle h;
    private final List<String> completions = new ArrayList<>();

    @AfterEach
    void close() {
        fx.close();
    }

    private void open(UsbSpeed speed, FaultPlan faults) {
        fx = new CeDriverFixture(new SimHarness().faults(faults), Usbd.builder(), speed).plug();
        wdm = fx.usbd.wdm();
        UsbdHandle[] hh = new UsbdHandle[1];
        assertThat(wdm.usbdCreateHandle(fx.usbd.devices().get(0), hh)).isEqualTo(STATUS_SUCCESS);
        h = hh[0];
        assertThat(wdm.selectInterface(h, 0, 1)).isEqualTo(STATUS_SUCCESS);
        ((SimHarness) fx.harness).alignToFrame();
    }

    private int now() {
        int[] f = new int[1];
        assertThat(wdm.getCurrentFrameNumber(h, f)).isEqualTo(STATUS_SUCCESS);
        return f[0];
    }

    /** An ASAP or explicit URB of {@code n} packets of {@code size} bytes on an endpoint. */
    private Urb urb(int endpoint, int n, int size, boolean asap, int startFrame, ByteBuffer buf) {
        Urb[] u = new Urb[1];
        assertThat(wdm.usbdIsochUrbAllocate(h, n, u)).isEqualTo(STATUS_SUCCESS);
        Urb urb = u[0];
        urb.pipeHandle = wdm.pipeHandle(h, endpoint);
        urb.transferFlags = ((endpoint & 0x80) != 0 ? Urb.USBD_TRANSFER_DIRECTION_IN : Urb.USBD_TRANSFER_DIRECTION_OUT)
                | (asap ? Urb.USBD_START_ISO_TRANSFER_ASAP : 0);
        urb.transferBuffer = buf;
        urb.transferBufferLength = n * size;
        urb.numberOfPackets = n;
        urb.startFrame = startFrame;
        for (int k = 0; k < n; k++) {
            urb.isoPacket[k].offset = k * size;
        }
        return urb;
    }

    private int submit(Urb urb) {
        return wdm.submitUrb(
                h,
                urb,
                (u, nt, ctx) -> completions.add(ctx + " " + name(u.hdrStatus) + " nt=" + Integer.toHexString(nt)),
                "urb");
    }

    @Test
    void allocate_setsHeader_andLimitsPacketsTo1024_3_3_3_4() {
        open(UsbSpeed.FULL, FaultPlan.NONE);
        Urb[] u = new Urb[1];
        assertThat(wdm.usbdIsochUrbAllocate(h, 8, u)).isEqualTo(STATUS_SUCCESS);
        assertThat(u[0].hdrFunction).isEqualTo(Urb.URB_FUNCTION_ISOCH_TRANSFER);
        assertThat(u[0].hdrLength).isEqualTo(Urb.getIsoUrbSize(8));
        assertThat(u[0].isoPacket).hasSize(8).allMatch(d -> d.offset == 0 && d.length == 0 && d.status == 0);
        assertThat(wdm.usbdIsochUrbAllocate(h, 1025, u)).isEqualTo(STATUS_INVALID_PARAMETER);
        assertThat(u[0]).isNull();
    }

    @Test
    void fullSpeed_moreThan255Packets_isInvalid_3_4() {
        open(UsbSpeed.FULL, FaultPlan.NONE);
        Urb urb = urb(0x01, 256, 1, true, 0, ByteBuffer.allocate(256));
        assertThat(submit(urb)).isEqualTo(STATUS_INVALID_PARAMETER);
        assertThat(urb.hdrStatus).isEqualTo(USBD_STATUS_INVALID_PARAMETER);
        assertThat(submit(urb(0x01, 255, 1, true, 0, ByteBuffer.allocate(255)))).isEqualTo(STATUS_PENDING);
    }

    /** A Java URB's descriptor array can hold a hole that a C URB cannot: a malformed URB, refused at submission. */
    @Test
    void aMissingPacketDescriptor_isInvalid_andTheRoutineNeverRuns_3_4() {
        open(UsbSpeed.FULL, FaultPlan.NONE);
        Urb urb = urb(0x81, 4, 64, true, 0, ByteBuffer.allocate(4 * 64));
        urb.isoPacket[2] = null;
        assertThat(submit(urb)).isEqualTo(STATUS_INVALID_PARAMETER);
        assertThat(urb.hdrStatus).isEqualTo(USBD_STATUS_INVALID_PARAMETER);
        fx.harness.runFrames(20);
        assertThat(completions).isEmpty();
    }

    @Test
    void highSpeed_packetCountMustBeAMultipleOf8_3_4() {
        open(UsbSpeed.HIGH, FaultPlan.NONE);
        assertThat(submit(urb(0x01, 12, 1024, true, 0, ByteBuffer.allocate(12 * 1024))))
                .isEqualTo(STATUS_INVALID_PARAMETER);
        assertThat(submit(urb(0x01, 16, 1024, true, 0, ByteBuffer.allocate(16 * 1024))))
                .isEqualTo(STATUS_PENDING);
    }

    @Test
    void outThenIn_isByteExact_shortInPacketsAreNoError_andStartFrameIsReported_3_4_3_6() {
        open(UsbSpeed.FULL, FaultPlan.NONE);
        ByteBuffer data = ByteBuffer.allocate(4 * 100);
        for (int i = 0; i < 400; i++) {
            data.put(i, (byte) (i ^ 0x5A));
        }
        Urb out = urb(0x01, 4, 100, true, 0, data);
        assertThat(submit(out)).isEqualTo(STATUS_PENDING);
        fx.harness.runFrames(12); // IN and OUT pipes keep separate streams: read after the write is done
        ByteBuffer got = ByteBuffer.allocate(4 * 512);
        Urb in = urb(0x81, 4, 512, true, 0, got);
        assertThat(submit(in)).isEqualTo(STATUS_PENDING);
        fx.harness.runFrames(20);
        assertThat(completions).containsExactly("urb USBD_STATUS_SUCCESS nt=0", "urb USBD_STATUS_SUCCESS nt=0");
        assertThat(in.startFrame).isEqualTo(out.startFrame + 12);
        assertThat(in.errorCount).isZero();
        assertThat(in.transferBufferLength).isEqualTo(400);
        for (int k = 0; k < 4; k++) {
            assertThat(in.isoPacket[k].length).isEqualTo(100);
            assertThat(in.isoPacket[k].status)
                    .as("short IN packets are never errors")
                    .isEqualTo(USBD_STATUS_SUCCESS);
            for (int i = 0; i < 100; i++) {
                assertThat(got.get(k * 512 + i))
                        .as("packet stays at its offset")
                        .isEqualTo((byte) ((k * 100 + i) ^ 0x5A));
            }
        }
    }

    @Test
    void startFrameOutsideThe1024Window_discardsTheUrbWithBadStartFrame_3_5() {
        open(UsbSpeed.FULL, FaultPlan.NONE);
        int now = now();
        Urb far = urb(0x01, 4, 8, false, now + 1024, ByteBuffer.allocate(32));
        assertThat(submit(far)).isEqualTo(STATUS_UNSUCCESSFUL);
        assertThat(far.hdrStatus).isEqualTo(USBD_STATUS_BAD_START_FRAME);
        Urb past = urb(0x01, 4, 8, false, now - 1024, ByteBuffer.allocate(32));
        assertThat(submit(past)).isEqualTo(STATUS_UNSUCCESSFUL);
        assertThat(past.hdrStatus).isEqualTo(USBD_STATUS_BAD_START_FRAME);
        assertThat(submit(urb(0x01, 4, 8, false, now + 1023, ByteBuffer.allocate(32))))
                .isEqualTo(STATUS_PENDING);
        assertThat(completions).isEmpty();
    }

    /**
     * Just after the bus started, a start frame a few frames back lies before frame 0; it is still a start in the past
     * within the window: late packets fail one by one. Frame -2 used to be read as "outside the window" (the whole
     * URB discarded with USBD_STATUS_BAD_START_FRAME) and other negative frames as a device that left.
     */
    @Test
    void aStartFrameBeforeTheBussFrame0_isWithinTheWindow_andItsLatePacketsFail_3_5() {
        open(UsbSpeed.FULL, FaultPlan.NONE);
        int now = now();
        assertThat(now).as("the bus has just started").isLessThan(16);
        Urb early = urb(0x01, 8, 8, false, -2, ByteBuffer.allocate(64));
        Urb earlier = urb(0x01, 4, 8, false, -5, ByteBuffer.allocate(32));
        assertThat(submit(early)).isEqualTo(STATUS_PENDING);
        assertThat(submit(earlier)).isEqualTo(STATUS_PENDING);
        fx.harness.runFrames(20);
        int late = now + 2; // frames -2 .. now - 1
        for (int k = 0; k < 8; k++) {
            assertThat(early.isoPacket[k].status)
                    .as("packet %d (frame %d), submitted at frame %d", k, k - 2, now)
                    .isEqualTo(k < late ? USBD_STATUS_ISO_NOT_ACCESSED_LATE : USBD_STATUS_SUCCESS);
        }
        assertThat(early.hdrStatus).isEqualTo(USBD_STATUS_SUCCESS);
        assertThat(earlier.errorCount).isEqualTo(4);
        assertThat(earlier.hdrStatus).isEqualTo(USBD_STATUS_ISO_NOT_ACCESSED_LATE);
    }

    @Test
    void latePackets_failOneByOne_andTheUrbSucceeds_unlessEveryPacketWasLate_3_5_3_6() {
        open(UsbSpeed.FULL, FaultPlan.NONE);
        fx.harness.runFrames(30);
        int now = now();
        Urb partly = urb(0x01, 8, 8, false, now - 3, ByteBuffer.allocate(64));
        assertThat(submit(partly)).isEqualTo(STATUS_PENDING);
        Urb all = urb(0x01, 4, 8, false, now - 10, ByteBuffer.allocate(32));
        assertThat(submit(all)).isEqualTo(STATUS_PENDING);
        fx.harness.runFrames(10);
        for (int k = 0; k < 3; k++) {
            assertThat(partly.isoPacket[k].status).isEqualTo(USBD_STATUS_ISO_NOT_ACCESSED_LATE);
        }
        for (int k = 3; k < 8; k++) {
            assertThat(partly.isoPacket[k].status).isEqualTo(USBD_STATUS_SUCCESS);
        }
        assertThat(partly.errorCount).isEqualTo(3);
        assertThat(partly.hdrStatus).isEqualTo(USBD_STATUS_SUCCESS);
        assertThat(all.errorCount).isEqualTo(4);
        assertThat(all.hdrStatus).isEqualTo(USBD_STATUS_ISO_NOT_ACCESSED_LATE);
    }

    @Test
    void asapFollowUpSubmittedLate_hasItsLatePacketsDropped_notTheWholeUrb_3_5() {
        open(UsbSpeed.FULL, FaultPlan.NONE);
        Urb first = urb(0x01, 4, 8, true, 0, ByteBuffer.allocate(32));
        submit(first);
        fx.harness.runFrames(12); // the stream ended 2 frames ago
        Urb next = urb(0x01, 4, 8, true, 0, ByteBuffer.allocate(32));
        submit(next);
        fx.harness.runFrames(10);
        assertThat(next.startFrame).as("continues the stream").isEqualTo(first.startFrame + 4);
        assertThat(next.isoPacket[0].status).isEqualTo(USBD_STATUS_ISO_NOT_ACCESSED_LATE);
        assertThat(next.isoPacket[1].status).isEqualTo(USBD_STATUS_ISO_NOT_ACCESSED_LATE);
        assertThat(next.isoPacket[2].status).isEqualTo(USBD_STATUS_SUCCESS);
        assertThat(next.hdrStatus).isEqualTo(USBD_STATUS_SUCCESS);
    }

    @Test
    void busErrors_areReportedPerPacket_asUsbdStatus_3_6() {
        open(
                UsbSpeed.FULL,
                FaultPlan.builder().faultAt(8, 0x81, PacketStatus.CRC).build());
        Urb in = urb(0x81, 4, 512, true, 0, ByteBuffer.allocate(4 * 512));
        submit(in);
        fx.harness.runFrames(15);
        assertThat(in.startFrame).isLessThanOrEqualTo(8);
        assertThat(in.isoPacket[8 - in.startFrame].status).isEqualTo(USBD_STATUS_CRC);
        assertThat(in.errorCount).isEqualTo(1);
        assertThat(in.hdrStatus).isEqualTo(USBD_STATUS_SUCCESS);
    }

    @Test
    void abortPipe_completesUrbsWithCanceled() {
        open(UsbSpeed.FULL, FaultPlan.NONE);
        Urb u = urb(0x01, 100, 8, true, 0, ByteBuffer.allocate(800));
        submit(u);
        UsbdPipeHandle p = u.pipeHandle;
        assertThat(wdm.abortPipe(h, p)).isEqualTo(STATUS_SUCCESS);
        assertThat(completions).containsExactly("urb USBD_STATUS_CANCELED nt=c0000120");
        assertThat(u.isoPacket[99].status).isEqualTo(USBD_STATUS_CANCELED);
    }

    @Test
    void abortPipe_fromACompletionRoutine_withAnotherUrbPending_returnsAtOnce_3_6() {
        open(UsbSpeed.FULL, FaultPlan.NONE);
        Urb first = urb(0x01, 1, 8, true, 0, ByteBuffer.allocate(8));
        Urb second = urb(0x01, 100, 8, true, 0, ByteBuffer.allocate(800));
        int[] framesInRoutine = {-1};
        wdm.submitUrb(
                h,
                first,
                (u, nt, ctx) -> {
                    int start = now();
                    assertThat(wdm.abortPipe(h, first.pipeHandle)).isEqualTo(STATUS_SUCCESS);
                    framesInRoutine[0] = now() - start;
                },
                null);
        submit(second);

        assertThat(((SimHarness) fx.harness)
                        .sim()
                        .runUntil(() -> framesInRoutine[0] >= 0 && !completions.isEmpty(), 200))
                .isTrue();
        assertThat(framesInRoutine[0])
                .as("bus frames abortPipe took in the routine")
                .isZero();
        assertThat(completions).containsExactly("urb USBD_STATUS_CANCELED nt=c0000120");
    }
}
