package io.github.usbd4j.personality;

import static io.github.usbd4j.usb.UsbdStatus.*;
import static io.github.usbd4j.win32.Win32.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.ce.UsbTypes;
import io.github.usbd4j.contract.CeDriverFixture;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.host.Usbd;
import io.github.usbd4j.sim.SimHarness;
import io.github.usbd4j.sim.SimulatedHostController;
import io.github.usbd4j.usb.UsbdIsoPacketDescriptor;
import io.github.usbd4j.win32.Win32;
import io.github.usbd4j.winusb.Overlapped;
import io.github.usbd4j.winusb.WinUsb;
import io.github.usbd4j.winusb.WinUsbInterfaceHandle;
import io.github.usbd4j.winusb.WinUsbIsochBufferHandle;
import io.github.usbd4j.winusb.WinUsbPipeInformationEx;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The WinUSB isochronous personality on the high-speed loopback device, in virtual time
 * ([§2](reference/winusb.html#s2)).
 */
class WinUsbPersonalityTest {
    private static final int FRAME_BYTES = 8 * 1024; // HS, 1024 bytes per microframe, bInterval 1

    private CeDriverFixture fx;
    private WinUsb w;
    private WinUsbInterfaceHandle h;
    private ByteBuffer outBuf;
    private ByteBuffer inBuf;
    private WinUsbIsochBufferHandle out;
    private WinUsbIsochBufferHandle in;

    @BeforeEach
    void open() {
        fx = new CeDriverFixture(new SimHarness(), Usbd.builder(), UsbSpeed.HIGH).plug();
        w = fx.usbd.winUsb();
        WinUsbInterfaceHandle[] ih = new WinUsbInterfaceHandle[1];
        assertThat(w.initialize(fx.usbd.devices().get(0), ih)).isTrue();
        h = ih[0];
        assertThat(w.setCurrentAlternateSetting(h, 1)).isTrue();
        outBuf = ByteBuffer.allocateDirect(4 * FRAME_BYTES);
        inBuf = ByteBuffer.allocateDirect(4 * FRAME_BYTES);
        WinUsbIsochBufferHandle[] bh = new WinUsbIsochBufferHandle[1];
        assertThat(w.registerIsochBuffer(h, 0x01, outBuf, outBuf.capacity(), bh))
                .isTrue();
        out = bh[0];
        assertThat(w.registerIsochBuffer(h, 0x81, inBuf, inBuf.capacity(), bh)).isTrue();
        in = bh[0];
        ((SimHarness) fx.harness).alignToFrame();
    }

    @AfterEach
    void close() {
        fx.close();
    }

    private int frame() {
        int[] f = new int[1];
        long[] ts = new long[1];
        assertThat(w.getCurrentFrameNumber(h, f, ts)).isTrue();
        return f[0];
    }

    @Test
    void queryPipeEx_reportsMaximumBytesPerInterval_andNoMoreItemsPastTheLast_2_3() {
        WinUsbPipeInformationEx[] info = new WinUsbPipeInformationEx[1];
        assertThat(w.queryPipeEx(h, 2, 1, info)).isTrue();
        assertThat(info[0].pipeId()).isEqualTo(0x81);
        assertThat(info[0].pipeType()).isEqualTo(WinUsbPipeInformationEx.USBD_PIPE_TYPE_ISOCHRONOUS);
        assertThat(info[0].maximumPacketSize()).isEqualTo(0x1400);
        assertThat(info[0].maximumBytesPerInterval()).isEqualTo(3072);
        Win32.setLastError(0);
        assertThat(w.queryPipeEx(h, 2, 2, info)).isFalse();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_NO_MORE_ITEMS);
    }

    /** The device writes an IN pipe's buffer: a read-only one is refused at registration, never on the bus. */
    @Test
    void aReadOnlyBuffer_isRefusedForAnInPipe_andTakenForAnOutPipe() {
        WinUsbIsochBufferHandle[] bh = new WinUsbIsochBufferHandle[1];
        ByteBuffer readOnly = ByteBuffer.allocateDirect(FRAME_BYTES).asReadOnlyBuffer();
        Win32.setLastError(0);
        assertThat(w.registerIsochBuffer(h, 0x81, readOnly, FRAME_BYTES, bh)).isFalse();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_INVALID_PARAMETER);
        assertThat(w.registerIsochBuffer(h, 0x01, readOnly, FRAME_BYTES, bh)).isTrue();
        assertThat(w.unregisterIsochBuffer(bh[0])).isTrue();
    }

    /** A read's descriptors are where its results go: a hole in them is a bad parameter at the call, not at completion. */
    @Test
    void aReadWithAMissingDescriptor_isInvalid_andItsOverlappedIsNeverSignalled_2_3() {
        UsbdIsoPacketDescriptor[] d = UsbdIsoPacketDescriptor.array(8);
        d[5] = null;
        Overlapped o = new Overlapped();
        for (Overlapped given : new Overlapped[] {o, null}) {
            Win32.setLastError(0);
            assertThat(w.readIsochPipeAsap(in, 0, FRAME_BYTES, false, 8, d, given))
                    .isFalse();
            assertThat(Win32.getLastError()).isEqualTo(ERROR_INVALID_PARAMETER);
        }
        ((SimHarness) fx.harness).runFrames(20);
        assertThat(o.hasOverlappedIoCompleted())
                .as("no I/O began: the OVERLAPPED is free")
                .isTrue();
        assertThat(o.completion()).as("and never signalled").isNotDone();
    }

    @Test
    void associatedInterface_pastTheLast_isNoMoreItems_whateverTheIndex_2_3() {
        WinUsbInterfaceHandle[] out = new WinUsbInterfaceHandle[1];
        for (int index : new int[] {3, 255, Integer.MAX_VALUE}) {
            Win32.setLastError(0);
            assertThat(w.getAssociatedInterface(h, index, out))
                    .as("index %d", index)
                    .isFalse();
            assertThat(Win32.getLastError()).isEqualTo(ERROR_NO_MORE_ITEMS);
        }
        assertThat(out[0]).isNull();
    }

    @Test
    void transferLength_mustBeWholeFrames_elseInvalidParameter_2_4() {
        Win32.setLastError(0);
        assertThat(w.writeIsochPipeAsap(out, 0, FRAME_BYTES / 2, false, null)).isFalse();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_INVALID_PARAMETER);
        assertThat(w.writeIsochPipeAsap(out, 0, FRAME_BYTES, false, null)).isTrue();
    }

    @Test
    void writeThenRead_withOverlapped_isByteExact_andReadsReportEachPacket_2_3() {
        for (int i = 0; i < FRAME_BYTES; i++) {
            outBuf.put(i, (byte) (i * 7));
        }
        Overlapped wo = new Overlapped();
        Win32.setLastError(0);
        assertThat(w.writeIsochPipeAsap(out, 0, FRAME_BYTES, false, wo)).isFalse();
        assertThat(Win32.getLastError()).as("accepted overlapped I/O").isEqualTo(ERROR_IO_PENDING);
        int[] bytes = {-1};
        assertThat(w.getOverlappedResult(h, wo, bytes, false)).isFalse();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_IO_INCOMPLETE);
        assertThat(w.getOverlappedResult(h, wo, bytes, true)).isTrue();
        assertThat(bytes[0]).as("always 0 for isochronous I/O").isZero();

        UsbdIsoPacketDescriptor[] d = UsbdIsoPacketDescriptor.array(8);
        Overlapped ro = new Overlapped();
        w.readIsochPipeAsap(in, 0, FRAME_BYTES, false, 8, d, ro);
        assertThat(w.getOverlappedResult(h, ro, bytes, true)).isTrue();
        for (int k = 0; k < 8; k++) {
            assertThat(d[k].offset).isEqualTo(k * 1024);
            assertThat(d[k].length).isEqualTo(1024);
            assertThat(d[k].status).isEqualTo(USBD_STATUS_SUCCESS);
        }
        for (int i = 0; i < FRAME_BYTES; i++) {
            assertThat(inBuf.get(i)).isEqualTo((byte) (i * 7));
        }
        assertThat(ro.completion()).isDone();
    }

    @Test
    void explicitFrameNumber_returnsTheFrameAfterTheTransfer_forGaplessStreaming_2_3() {
        int start = frame() + 5;
        int[] fn = {start};
        assertThat(w.writeIsochPipe(out, 0, 2 * FRAME_BYTES, fn, new Overlapped()))
                .isFalse();
        assertThat(fn[0]).isEqualTo(start + 2);
        Overlapped second = new Overlapped();
        w.writeIsochPipe(out, 2 * FRAME_BYTES, FRAME_BYTES, fn, second);
        assertThat(fn[0]).isEqualTo(start + 3);
        assertThat(w.getOverlappedResult(h, second, null, true)).isTrue();
    }

    @Test
    void latePackets_failOneByOne_andLaterPacketsStillRun_2_3() {
        fx.harness.runFrames(20);
        int now = frame();
        UsbdIsoPacketDescriptor[] d = UsbdIsoPacketDescriptor.array(16);
        int[] fn = {now - 1};
        assertThat(w.readIsochPipe(in, 0, 2 * FRAME_BYTES, fn, 16, d, null)).isTrue();
        for (int k = 0; k < 8; k++) {
            assertThat(d[k].status).as("packet %d, frame now-1", k).isEqualTo(USBD_STATUS_ISO_NOT_ACCESSED_LATE);
            assertThat(d[k].length).isZero();
        }
        for (int k = 8; k < 16; k++) {
            assertThat(d[k].status).as("packet %d, frame now", k).isEqualTo(USBD_STATUS_SUCCESS);
        }
    }

    /**
     * Shortly after the bus started, a start frame a few frames back is "before frame 0" (a DWORD near 2^32). It is
     * still a start in the past: its packets fail as late one by one and the rest run, as at any other time. It used
     * to come out as a negative frame that the engine read as one of its refusal codes (the whole call failed, with
     * ERROR_INVALID_PARAMETER or, for frame -4, ERROR_INVALID_HANDLE).
     */
    @Test
    void aStartFrameBeforeTheBussFrame0_isAStartInThePast_2_3() {
        assertThat(frame()).as("the bus has just started").isLessThan(16);
        for (int start : new int[] {-2, -4, -1, -3}) { // -4 was read as PIPE_GONE, -2 as OUT_OF_WINDOW
            int now = frame();
            UsbdIsoPacketDescriptor[] d = UsbdIsoPacketDescriptor.array(32);
            int[] fn = {start};
            Win32.setLastError(0);
            assertThat(w.readIsochPipe(in, 0, 4 * FRAME_BYTES, fn, 32, d, null))
                    .as("start frame %d at frame %d (last error %d)", start, now, Win32.getLastError())
                    .isTrue();
            for (int k = 0; k < 32; k++) {
                int packetFrame = start + k / 8;
                var status = assertThat(d[k].status)
                        .as(
                                "packet %d (frame %d) of a start at frame %d, read at frame %d",
                                k, packetFrame, start, now);
                if (packetFrame < now) {
                    status.isEqualTo(USBD_STATUS_ISO_NOT_ACCESSED_LATE);
                } else if (packetFrame > now) {
                    status.isEqualTo(USBD_STATUS_SUCCESS);
                } else { // the current frame: late for the microframes that had passed
                    status.isIn(USBD_STATUS_ISO_NOT_ACCESSED_LATE, USBD_STATUS_SUCCESS);
                }
            }
        }
    }

    @Test
    void startFrame_moreThan1024FramesAway_isRefused_whereCeWouldAcceptIt_2_5_3_5() {
        int now = frame();
        Win32.setLastError(0);
        assertThat(w.writeIsochPipe(out, 0, FRAME_BYTES, new int[] {now + 1024}, null))
                .isFalse();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_INVALID_PARAMETER);
        assertThat(w.writeIsochPipe(out, 0, FRAME_BYTES, new int[] {now + 1023}, new Overlapped()))
                .isFalse();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_IO_PENDING);
    }

    @Test
    void continueStream_failsWithoutAStream_andFollowsAPendingOneWithoutAGap_2_3() {
        Win32.setLastError(0);
        assertThat(w.writeIsochPipeAsap(out, 0, FRAME_BYTES, true, null))
                .as("no stream yet")
                .isFalse();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_GEN_FAILURE);
        Overlapped a = new Overlapped();
        Overlapped b = new Overlapped();
        w.writeIsochPipeAsap(out, 0, FRAME_BYTES, false, a);
        w.writeIsochPipeAsap(out, FRAME_BYTES, FRAME_BYTES, true, b);
        assertThat(Win32.getLastError()).isEqualTo(ERROR_IO_PENDING);
        assertThat(w.getOverlappedResult(h, b, null, true)).isTrue();
        assertThat(a.hasOverlappedIoCompleted()).isTrue();
        fx.harness.runFrames(5);
        Win32.setLastError(0);
        assertThat(w.writeIsochPipeAsap(out, 0, FRAME_BYTES, true, null))
                .as("the stream ended")
                .isFalse();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_GEN_FAILURE);
    }

    @Test
    void adjustedFrameNumber_addsTheMillisecondsSinceTheTimestamp_2_3() {
        int[] f = new int[1];
        long[] ts = new long[1];
        w.getCurrentFrameNumber(h, f, ts);
        int read = f[0];
        fx.harness.runFrames(7);
        assertThat(w.getAdjustedFrameNumber(f, ts[0])).isTrue();
        assertThat(f[0]).isEqualTo(read + 7).isEqualTo(frame());
    }

    @Test
    void abortPipe_completesPendingIoWithOperationAborted() {
        Overlapped o = new Overlapped();
        w.writeIsochPipeAsap(out, 0, 4 * FRAME_BYTES, false, o);
        assertThat(w.abortPipe(h, 0x01)).isTrue();
        assertThat(o.hasOverlappedIoCompleted()).isTrue();
        assertThat(w.getOverlappedResult(h, o, null, false)).isFalse();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_OPERATION_ABORTED);
        assertThat(UsbTypes.errorName(UsbTypes.USB_CANCELED_ERROR)).isEqualTo("USB_CANCELED_ERROR");
    }

    /**
     * A call that fails at once started no I/O ([§2.6](reference/winusb.html#s2-6)): its OVERLAPPED is free again but
     * not signalled, and its callback does not run; the failure is the call's last error only.
     */
    @Test
    void aRefusedOverlappedCall_signalsNothing_andRunsNoCallback_2_6() {
        AtomicInteger callbacks = new AtomicInteger();
        Overlapped o = new Overlapped(x -> callbacks.incrementAndGet());
        Win32.setLastError(0);
        assertThat(w.writeIsochPipeAsap(out, 0, FRAME_BYTES, true, o))
                .as("no stream to continue")
                .isFalse();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_GEN_FAILURE);
        fx.harness.runFrames(20);
        assertThat(callbacks).hasValue(0);
        assertThat(o.completion()).isNotDone();
        assertThat(o.hasOverlappedIoCompleted()).as("free for the next call").isTrue();
        assertThat(w.writeIsochPipeAsap(out, 0, FRAME_BYTES, false, o)).isFalse();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_IO_PENDING);
        assertThat(w.getOverlappedResult(h, o, null, true)).isTrue();
        fx.harness.runFrames(1);
        assertThat(callbacks).hasValue(1);
    }

    /** {@code WinUsb_Free} closes the handle: from then on it is a bad handle, a second free included. */
    @Test
    void aFreedInterfaceHandle_answersInvalidHandle_2_6() {
        assertThat(w.free(h)).isTrue();
        Win32.setLastError(0);
        assertThat(w.getCurrentFrameNumber(h, new int[1], new long[1])).isFalse();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_INVALID_HANDLE);
        Win32.setLastError(0);
        assertThat(w.abortPipe(h, 0x01)).isFalse();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_INVALID_HANDLE);
        Win32.setLastError(0);
        assertThat(w.free(h)).isFalse();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_INVALID_HANDLE);
        assertThat(w.writeIsochPipeAsap(out, 0, FRAME_BYTES, false, null))
                .as("a buffer registered through it stays usable")
                .isTrue();
    }

    /**
     * In the callback of one I/O, a sibling on the same pipe has completed too once {@code WinUsb_UnregisterIsochBuffer}
     * returned ([§2.3](reference/winusb.html#s2-3)), and {@code GetOverlappedResult} can wait for it: the OVERLAPPED
     * is signalled where the I/O completes, not in its callback, which is queued behind this one.
     */
    @Test
    void inACallback_unregisterAndGetOverlappedResult_waitForASiblingOnTheSamePipe_2_3() {
        Overlapped second = new Overlapped();
        List<String> seen = new ArrayList<>();
        Overlapped first = new Overlapped(o -> {
            seen.add("unregistered " + w.unregisterIsochBuffer(out));
            seen.add("sibling complete " + second.hasOverlappedIoCompleted());
            seen.add("sibling result " + w.getOverlappedResult(h, second, null, true));
        });
        w.writeIsochPipeAsap(out, 0, FRAME_BYTES, false, first);
        w.writeIsochPipeAsap(out, FRAME_BYTES, FRAME_BYTES, true, second);
        assertThat(Win32.getLastError()).isEqualTo(ERROR_IO_PENDING);
        assertThat(w.getOverlappedResult(h, first, null, true)).isTrue();
        fx.harness.runFrames(1);
        assertThat(seen).containsExactly("unregistered true", "sibling complete true", "sibling result true");
    }

    /**
     * An unplug completes the device's I/Os one after the other on the unplugging thread; the callback of the first
     * may wait for the next ({@code GetOverlappedResult}), which completes aborted, without the bus having to run.
     */
    @Test
    void anUnplug_letsTheFirstAbortedIosCallbackWaitForTheNext_2_3() {
        Overlapped second = new Overlapped();
        AtomicInteger waitedError = new AtomicInteger(-1);
        long[] frames = new long[2];
        Overlapped first = new Overlapped(o -> {
            frames[0] = ((SimHarness) fx.harness).sim().currentFrame();
            Win32.setLastError(0);
            w.getOverlappedResult(h, second, null, true);
            waitedError.set(Win32.getLastError());
            frames[1] = ((SimHarness) fx.harness).sim().currentFrame();
        });
        w.writeIsochPipeAsap(out, 0, 2 * FRAME_BYTES, false, first);
        w.writeIsochPipeAsap(out, 2 * FRAME_BYTES, 2 * FRAME_BYTES, true, second);
        SimulatedHostController sim = ((SimHarness) fx.harness).sim();
        sim.detach(sim.devices().get(0));
        assertThat(first.internal()).isEqualTo(ERROR_OPERATION_ABORTED);
        assertThat(waitedError).hasValue(ERROR_OPERATION_ABORTED);
        assertThat(second.hasOverlappedIoCompleted()).isTrue();
        assertThat(second.internal()).isEqualTo(ERROR_OPERATION_ABORTED);
        assertThat(frames[1]).as("no bus time ran").isEqualTo(frames[0]);
    }

    /**
     * {@code WinUsb_AbortPipe} in the callback of one I/O, a sibling still pending on the pipe: it returns at once,
     * the sibling aborted, rather than waiting for the sibling's callback, queued behind this one
     * ([§2.3](reference/winusb.html#s2-3)).
     */
    @Test
    void abortPipe_inACallback_withASiblingPending_returnsAtOnce_2_3() {
        Overlapped second = new Overlapped();
        long[] frames = {-1};
        boolean[] aborted = {false};
        Overlapped first = new Overlapped(o -> {
            long start = ((SimHarness) fx.harness).sim().currentFrame();
            aborted[0] = w.abortPipe(h, 0x01);
            frames[0] = ((SimHarness) fx.harness).sim().currentFrame() - start;
        });
        w.writeIsochPipeAsap(out, 0, FRAME_BYTES, false, first);
        w.writeIsochPipeAsap(out, FRAME_BYTES, 3 * FRAME_BYTES, true, second);

        assertThat(((SimHarness) fx.harness).sim().runUntil(() -> frames[0] >= 0, 100))
                .isTrue();
        assertThat(aborted[0]).isTrue();
        assertThat(frames[0])
                .as("bus frames WinUsb_AbortPipe took in the callback")
                .isZero();
        assertThat(second.hasOverlappedIoCompleted()).isTrue();
        assertThat(w.getOverlappedResult(h, second, null, false)).isFalse();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_OPERATION_ABORTED);
    }

    /**
     * {@code WinUsb_UnregisterIsochBuffer} in a callback on the thread that runs the bus, while another thread's I/O on
     * the buffer has been accepted but has not reached the engine yet: the unregistration waits for that I/O to be
     * signalled ([§2.3](reference/winusb.html#s2-3)), which takes bus time, so it runs the bus itself. It used to take
     * the not-yet-submitted I/O for complete and block on the buffer, holding the bus: a hang.
     *
     * <p>The other thread is held in that window deterministically: it waits for the pipe's monitor, which this test
     * holds, after the buffer counted its I/O and before the I/O was scheduled.
     */
    @Test
    void unregister_inACallback_waitsForAnIoAnotherThreadIsStillIssuing_byRunningTheBus_2_3() throws Exception {
        SimulatedHostController sim = ((SimHarness) fx.harness).sim();
        Object outPipe = privateField(out, "pipe");
        List<String> seen = new ArrayList<>();
        Overlapped issuedElsewhere = new Overlapped();
        Overlapped first = new Overlapped(o -> {
            seen.add("unregistered " + w.unregisterIsochBuffer(out));
            seen.add("the other I/O signalled " + issuedElsewhere.hasOverlappedIoCompleted());
        });
        Win32.setLastError(0);
        w.readIsochPipeAsap(in, 0, FRAME_BYTES, false, 8, UsbdIsoPacketDescriptor.array(8), first);
        assertThat(Win32.getLastError()).isEqualTo(ERROR_IO_PENDING);
        long startFrame = sim.currentFrame();
        AtomicInteger otherAnswer = new AtomicInteger();
        Thread issuer = new Thread(() -> {
            Win32.setLastError(0);
            w.writeIsochPipeAsap(out, 0, FRAME_BYTES, false, issuedElsewhere);
            otherAnswer.set(Win32.getLastError());
        });
        Thread bus = new Thread(() -> sim.runUntil(() -> first.hasOverlappedIoCompleted(), 100));
        issuer.setDaemon(true);
        bus.setDaemon(true);
        synchronized (outPipe) {
            issuer.start();
            awaitThread(issuer, "blocked on the pipe", t -> lockName(t).contains("EnginePipe"));
            bus.start(); // the read completes, its callback unregisters the buffer
            // the unregistration has decided how to wait: it blocks (the old hang) or runs the bus
            awaitThread(
                    bus,
                    "waiting in the unregistration",
                    t -> lockName(t).contains("Registered") || sim.currentFrame() > startFrame + 100);
        }
        issuer.join(30_000); // hang guards: both return at once unless the unregistration hangs (the old defect)
        bus.join(30_000);
        assertThat(bus.isAlive())
                .as("the bus thread still in WinUsb_UnregisterIsochBuffer")
                .isFalse();
        assertThat(otherAnswer).hasValue(ERROR_IO_PENDING);
        assertThat(seen).containsExactly("unregistered true", "the other I/O signalled true");
    }

    private static Object privateField(Object o, String name) throws ReflectiveOperationException {
        var f = o.getClass().getDeclaredField(name);
        f.setAccessible(true);
        return f.get(o);
    }

    private static String lockName(Thread t) {
        var info = java.lang.management.ManagementFactory.getThreadMXBean().getThreadInfo(t.getId());
        return info == null || info.getLockName() == null ? "" : info.getLockName();
    }

    /**
     * Waits until {@code t} is where {@code there} says: a hand-off observed on the thread itself, bounded (30 s,
     * failing then) only so that a thread that never gets there fails the test instead of hanging it.
     */
    private static void awaitThread(Thread t, String where, java.util.function.Predicate<Thread> there)
            throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!there.test(t)) {
            assertThat(System.nanoTime() - deadline)
                    .as("thread %s; it is at %s", where, java.util.Arrays.toString(t.getStackTrace()))
                    .isNegative();
            Thread.sleep(1);
        }
    }
}
