package io.github.usbd4j.host;

import static io.github.usbd4j.ce.UsbTypes.*;
import static io.github.usbd4j.win32.Win32.ERROR_TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.ce.UsbPipe;
import io.github.usbd4j.ce.UsbTransfer;
import io.github.usbd4j.sim.LoopbackDevice;
import io.github.usbd4j.win32.Win32;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code IssueBulkTransfer} and {@code IssueInterruptTransfer} (usb-iso-apis.md §1.6 #29/#30) with CE's
 * general transfer semantics (§1.7): synchronous and asynchronous calls, short packets, abort.
 */
class CeBulkInterruptTest {
    private CeHost h;

    @AfterEach
    void tearDown() {
        if (h != null) {
            h.close();
        }
    }

    private static ByteBuffer pattern(int n, int seed) {
        ByteBuffer b = ByteBuffer.allocate(n);
        for (int i = 0; i < n; i++) {
            b.put(i, (byte) (i * 7 + seed));
        }
        return b;
    }

    private UsbPipe[] loopbackBulk() {
        h = CeHost.with(LoopbackDevice.fullSpeed());
        return new UsbPipe[] {h.open(1, 0, 0x02), h.open(1, 0, 0x82)};
    }

    @Test
    void bulkOutThenBulkIn_loopsBackByteExact() {
        UsbPipe[] p = loopbackBulk();
        ByteBuffer sent = pattern(300, 3);
        UsbTransfer w = h.f.issueBulkTransfer(p[0], null, null, USB_OUT_TRANSFER, 300, sent, 0);
        assertThat(h.error(w)).isEqualTo(USB_NO_ERROR);
        assertThat(h.bytes(w)).isEqualTo(300);
        h.f.closeTransfer(w);

        AtomicInteger calls = new AtomicInteger();
        ByteBuffer got = ByteBuffer.allocate(300);
        UsbTransfer r =
                h.f.issueBulkTransfer(p[1], param -> calls.incrementAndGet(), null, USB_IN_TRANSFER, 300, got, 0);
        h.await(r);
        assertThat(calls.get()).isEqualTo(1);
        assertThat(h.error(r)).isEqualTo(USB_NO_ERROR);
        assertThat(h.bytes(r)).isEqualTo(300);
        assertThat(got.rewind()).isEqualTo(sent.rewind());
        h.f.closeTransfer(r);
    }

    @Test
    void shortBulkIn_withoutShortTransferOk_isDataUnderrun() {
        UsbPipe[] p = loopbackBulk();
        h.f.closeTransfer(h.f.issueBulkTransfer(p[0], null, null, 0, 10, pattern(10, 1), 0));
        ByteBuffer got = ByteBuffer.allocate(64);
        UsbTransfer r = h.f.issueBulkTransfer(p[1], null, null, USB_IN_TRANSFER, 64, got, 0);
        assertThat(h.error(r)).isEqualTo(USB_DATA_UNDERRUN_ERROR);
        assertThat(h.bytes(r)).as("§1.7 data may be valid even with an error").isEqualTo(10);
        h.f.closeTransfer(r);
    }

    @Test
    void shortBulkIn_withShortTransferOk_isNoErrorWithTheShortLength() {
        UsbPipe[] p = loopbackBulk();
        ByteBuffer sent = pattern(10, 9);
        h.f.closeTransfer(h.f.issueBulkTransfer(p[0], null, null, 0, 10, sent, 0));
        ByteBuffer got = ByteBuffer.allocate(64);
        UsbTransfer r = h.f.issueBulkTransfer(p[1], null, null, USB_IN_TRANSFER | USB_SHORT_TRANSFER_OK, 64, got, 0);
        assertThat(h.error(r)).isEqualTo(USB_NO_ERROR);
        assertThat(h.bytes(r)).isEqualTo(10);
        assertThat(got.rewind().limit(10)).isEqualTo(sent.rewind());
        h.f.closeTransfer(r);
    }

    @Test
    void bulkInWithNothingQueued_noWait_staysPendingUntilAbortedAsCanceled() {
        UsbPipe[] p = loopbackBulk();
        UsbTransfer r =
                h.f.issueBulkTransfer(p[1], null, null, USB_IN_TRANSFER | USB_NO_WAIT, 64, ByteBuffer.allocate(64), 0);
        assertThat(r).as("§1.7 NULL callback + USB_NO_WAIT returns at once").isNotNull();
        h.sim.advanceFrames(200);
        assertThat(h.f.isTransferComplete(r)).isFalse();
        int[] bytes = {-1};
        int[] err = {-1};
        assertThat(h.f.getTransferStatus(r, bytes, err)).isTrue();
        assertThat(bytes[0]).as("§1.7 pending: 0 bytes").isZero();
        assertThat(err[0]).as("§1.7 pending: USB_NO_ERROR").isEqualTo(USB_NO_ERROR);

        assertThat(h.f.abortTransfer(r, 0)).isTrue();
        assertThat(h.f.isTransferComplete(r)).isTrue();
        assertThat(h.error(r)).isEqualTo(USB_CANCELED_ERROR);
        assertThat(h.f.abortTransfer(r, 0))
                .as("§1.7 aborting a complete transfer is a no-op")
                .isTrue();
        assertThat(h.f.closeTransfer(r)).isTrue();
    }

    @Test
    void bulkInWithNothingQueued_synchronous_timesOutWithNull() {
        UsbPipe[] p = loopbackBulk();
        long before = h.sim.currentFrame();
        Win32.setLastError(0);
        UsbTransfer r = h.f.issueBulkTransfer(p[1], null, null, USB_IN_TRANSFER, 64, ByteBuffer.allocate(64), 0);
        assertThat(r)
                .as("§1.7 the 4000 ms synchronous guard frees the transfer")
                .isNull();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_TIMEOUT);
        assertThat(h.sim.currentFrame() - before).isGreaterThanOrEqualTo(Usbd.DEFAULT_SYNC_TIMEOUT_MILLIS);
    }

    private UsbPipe hid() {
        h = CeHost.with(new TestModels.HidLike());
        return h.open(0, 0, 0x81);
    }

    @Test
    void interruptIn_isPolledOnlyEveryBInterval() {
        UsbPipe p = hid();
        TestModels.HidLike dev = (TestModels.HidLike) h.model;
        List<Integer> firstBytes = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ByteBuffer report = ByteBuffer.allocate(8);
            UsbTransfer t = h.f.issueInterruptTransfer(p, null, null, USB_IN_TRANSFER, 8, report, 0);
            assertThat(h.error(t)).isEqualTo(USB_NO_ERROR);
            assertThat(h.bytes(t)).isEqualTo(8);
            assertThat(report.get(1)).isEqualTo((byte) 0xA1);
            firstBytes.add((int) report.get(0));
            h.f.closeTransfer(t);
        }
        assertThat(firstBytes).containsExactly(1, 2, 3, 4, 5);
        assertThat(dev.polls).hasSize(5);
        for (int i = 0; i < dev.polls.size(); i++) {
            assertThat(dev.polls.get(i) % TestModels.HidLike.INTERVAL)
                    .as("poll %d at frame %d", i, dev.polls.get(i))
                    .isZero();
            if (i > 0) {
                assertThat(dev.polls.get(i) - dev.polls.get(i - 1)).isGreaterThanOrEqualTo(TestModels.HidLike.INTERVAL);
            }
        }
    }

    @Test
    void interruptIn_async_naksUntilTheDeviceHasAReport_thenCallsBack() {
        UsbPipe p = hid();
        TestModels.HidLike dev = (TestModels.HidLike) h.model;
        dev.readyFrame = h.sim.currentFrame() + 35;
        AtomicInteger calls = new AtomicInteger();
        ByteBuffer report = ByteBuffer.allocate(8);
        UsbTransfer t =
                h.f.issueInterruptTransfer(p, param -> calls.incrementAndGet(), "ctx", USB_IN_TRANSFER, 8, report, 0);
        h.sim.advanceFrames(20);
        assertThat(h.f.isTransferComplete(t)).isFalse();
        assertThat(calls.get()).isZero();
        h.await(t);
        assertThat(calls.get()).isEqualTo(1);
        assertThat(report.get(0)).isEqualTo((byte) 1);
        assertThat(dev.polls)
                .allSatisfy(fr -> assertThat(fr % TestModels.HidLike.INTERVAL).isZero());
        assertThat(dev.polls.get(dev.polls.size() - 1)).isGreaterThanOrEqualTo(dev.readyFrame);
        assertThat(dev.polls.size())
                .as("NAKed polls, one per interval, then the answer")
                .isBetween(4, 5);
        h.f.closeTransfer(t);
    }
}
