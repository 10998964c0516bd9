package io.github.usbd4j.contract;

import static io.github.usbd4j.ce.UsbTypes.*;
import static io.github.usbd4j.win32.Win32.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.usbd4j.ce.TransferNotifyRoutine;
import io.github.usbd4j.ce.UsbFuncs;
import io.github.usbd4j.ce.UsbPipe;
import io.github.usbd4j.ce.UsbTransfer;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.host.Usbd;
import io.github.usbd4j.win32.Win32;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The isochronous semantics contract of [the design](reference/design.html), which every backend must pass: the
 * sync/async table, final results before the callback, the callback exactly once, abort and close, pending-state
 * answers, per-frame initial state, start frames and ASAP stream continuity, and CE's detach ordering. Section numbers
 * refer to [the reference](reference/index.html). Subclasses supply the backend through {@link #harness()}.
 */
public abstract class IsochSemanticsContract {

    /** A fresh harness for one test. */
    protected abstract BackendHarness harness();

    /** The runtime builder for one test (subclasses may add options). */
    protected Usbd.Builder builder() {
        return Usbd.builder();
    }

    protected CeDriverFixture fx;
    protected UsbFuncs f;
    protected UsbPipe out;
    protected UsbPipe in;
    protected int mps;

    @BeforeEach
    void plugLoopback() {
        fx = new CeDriverFixture(harness(), builder(), UsbSpeed.FULL).plug();
        f = fx.funcs;
        out = fx.openIsoPipe(1, 0x01);
        in = fx.openIsoPipe(1, 0x81);
        mps = out.endpoint().maxPacketPayload();
    }

    @AfterEach
    void closeFixture() {
        fx.close();
    }

    // ---- helpers ---------------------------------------------------------------------------------

    protected static int[] lengths(int frames, int length) {
        int[] l = new int[frames];
        Arrays.fill(l, length);
        return l;
    }

    protected UsbTransfer issueOut(TransferNotifyRoutine cb, int flags, int start, int frames) {
        return f.issueIsochTransfer(
                out,
                cb,
                null,
                flags | USB_OUT_TRANSFER,
                start,
                frames,
                lengths(frames, 64),
                ByteBuffer.allocate(frames * 64),
                0);
    }

    protected void runUntil(BooleanSupplier done) {
        for (int i = 0; i < 10_000 && !done.getAsBoolean(); i++) {
            fx.harness.runFrames(1);
        }
        assertThat(done.getAsBoolean())
                .as("condition reached within 10 s of bus time")
                .isTrue();
    }

    // ---- [§1.7](reference/ce-usbd.html#s1-7) the sync/async table ---------------------------------------------------

    @Test
    void callback_makesTheCallAsynchronous_andRunsOnce_1_7() {
        AtomicInteger calls = new AtomicInteger();
        UsbTransfer t = issueOut(p -> calls.incrementAndGet(), USB_START_ISOCH_ASAP, 0, 8);
        assertThat(t).isNotNull();
        if (fx.harness.isVirtual()) {
            assertThat(f.isTransferComplete(t)).as("no bus time has passed").isFalse();
        }
        runUntil(() -> calls.get() == 1);
        fx.harness.runFrames(20);
        assertThat(calls).hasValue(1);
        assertThat(f.isTransferComplete(t)).isTrue();
        assertThat(f.closeTransfer(t)).isTrue();
    }

    @Test
    void noCallbackWithoutNoWait_blocksUntilComplete_1_7() {
        UsbTransfer t = issueOut(null, USB_START_ISOCH_ASAP, 0, 8);
        assertThat(t).isNotNull();
        assertThat(f.isTransferComplete(t)).isTrue();
        int[] bytes = new int[1];
        int[] err = {-1};
        assertThat(f.getTransferStatus(t, bytes, err)).isTrue();
        assertThat(bytes[0]).isEqualTo(8 * 64);
        assertThat(err[0]).isEqualTo(USB_NO_ERROR);
        assertThat(f.closeTransfer(t)).isTrue();
    }

    @Test
    void noCallbackWithNoWait_returnsPending_thenIsPolled_1_7() {
        UsbTransfer t = issueOut(null, USB_START_ISOCH_ASAP | USB_NO_WAIT, 0, 8);
        assertThat(t).isNotNull();
        if (fx.harness.isVirtual()) {
            assertThat(f.isTransferComplete(t)).isFalse();
        }
        runUntil(() -> f.isTransferComplete(t));
        assertThat(f.closeTransfer(t)).isTrue();
    }

    // ---- [§1.7](reference/ce-usbd.html#s1-7) pending-state answers, [§1.8](reference/ce-usbd.html#s1-8) initial
    // per-frame state ---

    @Test
    void pendingTransfer_reportsZeroBytesAndNoError_andIsochResultsZeroFilledFalse_1_7_1_8() {
        assumeTrue(fx.harness.isVirtual(), "needs a transfer that is certainly still pending");
        UsbTransfer t = issueOut(null, USB_START_ISOCH_ASAP | USB_NO_WAIT, 0, 8);
        int[] bytes = {77};
        int[] err = {77};
        assertThat(f.getTransferStatus(t, bytes, err)).isTrue();
        assertThat(bytes[0]).isZero();
        assertThat(err[0]).isEqualTo(USB_NO_ERROR);
        int[] lens = lengths(8, 77);
        int[] errs = lengths(8, 77);
        assertThat(f.getIsochResults(t, 8, lens, errs)).isFalse();
        assertThat(lens).containsOnly(0);
        assertThat(errs).containsOnly(0);
        assertThat(t.completion()).isNotDone();
        f.closeTransfer(t);
    }

    @Test
    void isochResults_fillTheTransfersFrames_zeroTheRestAsked_andLeaveWhatWasNotAsked_1_8() {
        UsbTransfer t = issueOut(null, USB_START_ISOCH_ASAP | USB_NO_WAIT, 0, 4);
        runUntil(() -> f.isTransferComplete(t));
        int[] frameLens = new int[4];
        int[] frameErrs = new int[4];
        assertThat(f.getIsochResults(t, 4, frameLens, frameErrs)).isTrue();
        // 6 entries asked of a 4-frame transfer, in arrays of 7: the 7th is the caller's
        int[] lens = lengths(7, 77);
        int[] errs = lengths(7, 77);
        assertThat(f.getIsochResults(t, 6, lens, errs)).isTrue();
        assertThat(lens).containsExactly(frameLens[0], frameLens[1], frameLens[2], frameLens[3], 0, 0, 77);
        assertThat(errs).containsExactly(frameErrs[0], frameErrs[1], frameErrs[2], frameErrs[3], 0, 0, 77);
        // either array may be left out
        int[] only = lengths(4, 77);
        assertThat(f.getIsochResults(t, 4, null, only)).isTrue();
        assertThat(only).containsExactly(frameErrs);
        assertThat(f.getIsochResults(t, 4, only, null)).isTrue();
        assertThat(only).containsExactly(frameLens);
        assertThat(f.closeTransfer(t)).isTrue();
        // a closed handle: false, and the entries asked are zeroed all the same
        Arrays.fill(lens, 77);
        Arrays.fill(errs, 77);
        Win32.setLastError(0);
        assertThat(f.getIsochResults(t, 6, lens, errs)).isFalse();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_INVALID_HANDLE);
        assertThat(lens).containsExactly(0, 0, 0, 0, 0, 0, 77);
        assertThat(errs).containsExactly(0, 0, 0, 0, 0, 0, 77);
    }

    @Test
    void framesNeverReached_keepNotComplete_afterAbort_1_8() {
        assumeTrue(fx.harness.isVirtual(), "needs exact frame timing");
        AtomicInteger calls = new AtomicInteger();
        UsbTransfer t = issueOut(p -> calls.incrementAndGet(), USB_START_ISOCH_ASAP, 0, 40);
        int start = t.startFrame();
        runUntil(() -> fx.frame() - start >= 10);
        assertThat(f.abortTransfer(t, 0)).isTrue();
        assertThat(f.isTransferComplete(t)).isTrue();
        int[] lens = new int[40];
        int[] errs = new int[40];
        assertThat(f.getIsochResults(t, 40, lens, errs)).isTrue();
        int ran = 0;
        while (ran < 40 && errs[ran] == USB_NO_ERROR) {
            assertThat(lens[ran]).isEqualTo(64);
            ran++;
        }
        assertThat(ran).isBetween(9, 11);
        for (int k = ran; k < 40; k++) {
            assertThat(errs[k]).as("frame %d", k).isEqualTo(USB_NOT_COMPLETE_ERROR);
            assertThat(lens[k]).isZero();
        }
        int[] err = new int[1];
        f.getTransferStatus(t, null, err);
        assertThat(err[0]).isEqualTo(USB_CANCELED_ERROR);
        fx.harness.runFrames(50);
        assertThat(calls).as("callback exactly once, also after an abort").hasValue(1);
        f.closeTransfer(t);
    }

    // ---- [§1.7](reference/ce-usbd.html#s1-7) results final before the callback --------------------------------------

    @Test
    void insideTheCallback_resultsAreAlreadyFinal_1_7() {
        List<String> seen = new ArrayList<>();
        UsbTransfer[] holder = new UsbTransfer[1];
        holder[0] = issueOut(
                p -> {
                    UsbTransfer t = holder[0];
                    int[] lens = new int[8];
                    int[] errs = new int[8];
                    int[] bytes = new int[1];
                    seen.add("complete=" + f.isTransferComplete(t));
                    seen.add("results=" + f.getIsochResults(t, 8, lens, errs) + " " + Arrays.toString(lens));
                    f.getTransferStatus(t, bytes, null);
                    seen.add("bytes=" + bytes[0]);
                    return 0;
                },
                USB_START_ISOCH_ASAP,
                0,
                8);
        runUntil(() -> seen.size() == 3);
        assertThat(seen)
                .containsExactly("complete=true", "results=true " + Arrays.toString(lengths(8, 64)), "bytes=" + 8 * 64);
        f.closeTransfer(holder[0]);
    }

    // ---- [§1.7](reference/ce-usbd.html#s1-7) abort and close --------------------------------------------------------

    @Test
    void abortWithNoWait_returnsAtOnce_andTheCallbackRunsOnceWithCanceled_1_7() {
        AtomicInteger calls = new AtomicInteger();
        UsbTransfer t = issueOut(p -> calls.incrementAndGet(), USB_START_ISOCH_ASAP, 0, 100);
        assertThat(f.abortTransfer(t, USB_NO_WAIT)).isTrue();
        assertThat(f.abortTransfer(t, USB_NO_WAIT))
                .as("a second abort is harmless")
                .isTrue();
        runUntil(() -> calls.get() == 1);
        int[] err = new int[1];
        f.getTransferStatus(t, null, err);
        assertThat(err[0]).isEqualTo(USB_CANCELED_ERROR);
        fx.harness.runFrames(20);
        assertThat(calls).hasValue(1);
        f.closeTransfer(t);
    }

    @Test
    void abortOfACompleteTransfer_doesNothing_1_7() {
        UsbTransfer t = issueOut(null, USB_START_ISOCH_ASAP, 0, 4);
        assertThat(f.abortTransfer(t, 0)).isTrue();
        int[] err = {-1};
        f.getTransferStatus(t, null, err);
        assertThat(err[0]).isEqualTo(USB_NO_ERROR);
        f.closeTransfer(t);
    }

    @Test
    void closeOfAPendingTransfer_abortsIt_andItsCallbackStillRuns_1_7() {
        AtomicInteger calls = new AtomicInteger();
        UsbTransfer t = issueOut(p -> calls.incrementAndGet(), USB_START_ISOCH_ASAP, 0, 100);
        assertThat(f.closeTransfer(t)).isTrue();
        runUntil(() -> calls.get() == 1);
        Win32.setLastError(0);
        assertThat(f.closeTransfer(t)).as("the handle is gone").isFalse();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_INVALID_HANDLE);
        assertThat(f.isTransferComplete(t)).isFalse();
    }

    @Test
    void abortPipeTransfers_cancelsEveryLiveTransfer_andEachCallbackRunsOnce_1_7() {
        AtomicInteger calls = new AtomicInteger();
        List<UsbTransfer> ts = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ts.add(issueOut(p -> calls.incrementAndGet(), USB_START_ISOCH_ASAP, 0, 50));
        }
        assertThat(f.abortPipeTransfers(out, 0)).isTrue();
        runUntil(() -> calls.get() == 3);
        for (UsbTransfer t : ts) {
            int[] err = new int[1];
            f.getTransferStatus(t, null, err);
            assertThat(err[0]).isEqualTo(USB_CANCELED_ERROR);
            f.closeTransfer(t);
        }
        fx.harness.runFrames(10);
        assertThat(calls).hasValue(3);
    }

    // ---- [§1.8](reference/ce-usbd.html#s1-8) start frames -----------------------------------------------------------

    @Test
    void explicitStartFrame_closerThanTheLead_isRefused_withCanNotComplete_1_8() {
        assumeTrue(fx.harness.isVirtual(), "start frames are exact only on the simulator");
        int now = fx.frame();
        Win32.setLastError(0);
        assertThat(issueOut(null, USB_NO_WAIT, now + 5, 8)).isNull();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_CAN_NOT_COMPLETE);
        assertThat(issueOut(null, USB_NO_WAIT, now - 100, 8))
                .as("a start frame in the past")
                .isNull();
        UsbTransfer t = issueOut(null, USB_NO_WAIT, now + 6, 8);
        assertThat(t).isNotNull();
        assertThat(t.startFrame()).isEqualTo(now + 6);
        runUntil(() -> f.isTransferComplete(t));
        f.closeTransfer(t);
    }

    @Test
    void asap_startsAtTheLead_thenContinuesThePipesStream_1_8() {
        assumeTrue(fx.harness.isVirtual(), "start frames are exact only on the simulator");
        int now = fx.frame();
        UsbTransfer t1 = issueOut(null, USB_START_ISOCH_ASAP | USB_NO_WAIT, 0, 8);
        UsbTransfer t2 = issueOut(null, USB_START_ISOCH_ASAP | USB_NO_WAIT, 0, 8);
        assertThat(t1.startFrame()).isEqualTo(now + 6);
        assertThat(t2.startFrame()).as("continues the stream").isEqualTo(now + 14);
        Win32.setLastError(0);
        assertThat(issueOut(null, USB_NO_WAIT, now + 10, 4))
                .as("overlaps the stream")
                .isNull();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_CAN_NOT_COMPLETE);
        runUntil(() -> f.isTransferComplete(t2));
        assertThat(f.isTransferComplete(t1)).isTrue();
        f.closeTransfer(t1);
        f.closeTransfer(t2);
    }

    // ---- [§1.5](reference/ce-usbd.html#s1-5) detach ordering --------------------------------------------------------

    @Test
    void unplugMidStream_completesEveryPendingTransferCanceled_beforeCloseDevice_1_5() {
        UsbTransfer[] ts = new UsbTransfer[3];
        for (int i = 0; i < 3; i++) {
            int n = i;
            ts[i] = issueOut(
                    p -> {
                        int[] err = new int[1];
                        f.getTransferStatus(ts[n], null, err);
                        fx.events.add("callback " + n + " " + errorName(err[0]));
                        return 0;
                    },
                    USB_START_ISOCH_ASAP,
                    0,
                    200);
        }
        fx.harness.runFrames(20);
        fx.unplug();
        runUntil(() -> fx.events.contains("USB_CLOSE_DEVICE"));
        assertThat(fx.events).hasSize(4);
        assertThat(fx.events.get(3)).isEqualTo("USB_CLOSE_DEVICE");
        assertThat(fx.events.subList(0, 3)).allMatch(e -> e.endsWith("USB_CANCELED_ERROR"));
        int[] err = new int[1];
        assertThat(f.getTransferStatus(ts[0], null, err))
                .as("handles stay valid until closed")
                .isTrue();
        assertThat(err[0]).isEqualTo(USB_CANCELED_ERROR);
        for (UsbTransfer t : ts) {
            assertThat(f.closeTransfer(t)).isTrue();
        }
        Win32.setLastError(0);
        assertThat(f.getDeviceInfo(fx.device))
                .as("the handle is dead after USB_CLOSE_DEVICE")
                .isNull();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_INVALID_HANDLE);
    }

    private static String errorName(int e) {
        return io.github.usbd4j.ce.UsbTypes.errorName(e);
    }
}
