package io.github.usbd4j.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.host.spi.BackendDevice;
import io.github.usbd4j.host.spi.BackendException;
import io.github.usbd4j.host.spi.BackendTransfer;
import io.github.usbd4j.host.spi.HostController;
import io.github.usbd4j.host.spi.HostListener;
import io.github.usbd4j.host.spi.PacketStatus;
import io.github.usbd4j.host.spi.TransferType;
import io.github.usbd4j.sim.LoopbackDevice;
import io.github.usbd4j.usb.UsbDeviceRequest;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The backend SPI contract, in the style of Netty's testsuite: what every {@link HostController} must do,
 * tested at the SPI itself, without the runtime. Each backend subclasses it with its harness: the simulator
 * in unit tests, the usb4java backend against a real Linux kernel in the QEMU stage. The device is the
 * loopback test device {@code 1209:0001}: control requests on endpoint 0, bulk 0x02/0x82 and interrupt
 * 0x03/0x83 loops (IN NAKs until OUT data is queued), and isochronous 0x01/0x81 in interface 0 alt 1.
 *
 * <p>The rules: a submission completes exactly once (with a cancellation, or when its device leaves, too);
 * a refused submission throws and never completes; a cancellation of a transfer not in flight does nothing;
 * packets never reached report {@link PacketStatus#NOT_ACCESSED}; a pooled transfer can be submitted again
 * once complete; the phases of {@link BackendTransfer} are kept.
 */
public abstract class BackendSpiContract {
    /** Bus time a single step may take, in frames. */
    private static final int LIMIT = 5000;

    /** A fresh harness for one test. */
    protected abstract BackendHarness harness();

    protected BackendHarness harness;
    protected HostController backend;
    protected BackendDevice device;
    protected Object plugged;
    private final List<BackendDevice> detached = new CopyOnWriteArrayList<>();

    @BeforeEach
    void plug() throws BackendException {
        harness = harness();
        backend = harness.newBackend(UsbSpeed.FULL);
        List<BackendDevice> attached = new CopyOnWriteArrayList<>();
        backend.start(new HostListener() {
            @Override
            public void deviceAttached(BackendDevice d) {
                attached.add(d);
            }

            @Override
            public void deviceDetached(BackendDevice d) {
                detached.add(d);
            }
        });
        plugged = harness.plugLoopback();
        runUntil(() -> !attached.isEmpty(), "the loopback device is reported");
        device = attached.get(0);
        device.open();
        complete(control(0x40, LoopbackDevice.REQUEST_RESET, 0, 0, null)); // a served device may keep state
    }

    @AfterEach
    void unplug() {
        try {
            backend.close();
        } finally {
            harness.close();
        }
    }

    // ---- helpers ------------------------------------------------------------------------------------

    /** A transfer whose completions are counted. */
    protected static final class Counted {
        final AtomicInteger completions = new AtomicInteger();
        final BackendTransfer t = new BackendTransfer(x -> completions.incrementAndGet());
    }

    protected void runUntil(BooleanSupplier done, String what) {
        for (int i = 0; i < LIMIT && !done.getAsBoolean(); i++) {
            harness.runFrames(1);
        }
        assertThat(done.getAsBoolean())
                .as(what + " within " + LIMIT + " frames")
                .isTrue();
    }

    /** Submits and waits for the one completion; then makes sure no second one follows. */
    protected void complete(Counted c) throws BackendException {
        device.submit(c.t);
        runUntil(() -> c.completions.get() > 0, "the completion");
        harness.runFrames(5);
        assertThat(c.completions).as("completions").hasValue(1);
        assertThat(c.t.phase()).isEqualTo(BackendTransfer.Phase.COMPLETED);
    }

    protected Counted control(int requestType, int request, int value, int index, ByteBuffer data) {
        Counted c = new Counted();
        int length = data == null ? 0 : data.capacity();
        c.t.control(0, new UsbDeviceRequest(requestType, request, value, index, length).toBytes(), data, 0, length);
        return c;
    }

    protected Counted data(TransferType type, int endpoint, ByteBuffer buffer) {
        Counted c = new Counted();
        c.t.bulk(type, endpoint, buffer, 0, buffer.capacity(), false);
        return c;
    }

    /** SET_INTERFACE through the SPI, as the runtime sends it. */
    protected void selectAlternateSetting(int iface, int alt) throws BackendException {
        Counted c = control(0x01, 11, alt, iface, null);
        complete(c);
        assertThat(c.t.status()).isEqualTo(PacketStatus.OK);
    }

    /** An isochronous batch on interface 0 alt 1, starting a few frames ahead. */
    protected Counted isochronous(int endpoint, int packets, int length) {
        Counted c = new Counted();
        int[] lengths = new int[packets];
        Arrays.fill(lengths, length);
        long start = backend.clock().currentFrame() + 8;
        c.t.isochronous(endpoint, ByteBuffer.allocateDirect(packets * length), 0, start, 1, lengths, packets);
        return c;
    }

    protected static ByteBuffer pattern(int n, int seed) {
        ByteBuffer b = ByteBuffer.allocate(n);
        for (int i = 0; i < n; i++) {
            b.put(i, (byte) (seed + i * 7));
        }
        return b;
    }

    // ---- control ------------------------------------------------------------------------------------

    @Test
    void controlIn_completesOnce_withTheDeviceDescriptor() throws BackendException {
        Counted c = control(0x80, 6, 0x0100, 0, ByteBuffer.allocate(18));
        complete(c);
        assertThat(c.t.status()).isEqualTo(PacketStatus.OK);
        assertThat(c.t.actualLength()).isEqualTo(18);
        byte[] got = new byte[18];
        c.t.buffer().get(0, got);
        assertThat(got).isEqualTo(device.deviceDescriptor());
    }

    @Test
    void controlOut_completesOnce() throws BackendException {
        Counted c = control(0x40, LoopbackDevice.REQUEST_RESET, 0, 0, null);
        complete(c);
        assertThat(c.t.status()).isEqualTo(PacketStatus.OK);
    }

    @Test
    void controlRequestTheDeviceRefuses_completesOnce_stalled() throws BackendException {
        Counted c = control(0xC0, 0x7F, 0, 0, ByteBuffer.allocate(4));
        complete(c);
        assertThat(c.t.status()).isEqualTo(PacketStatus.STALL);
        assertThat(c.t.actualLength()).isZero();
    }

    // ---- bulk and interrupt -------------------------------------------------------------------------

    @Test
    void bulkOutThenIn_loopsTheDataBack_eachCompletingOnce() throws BackendException {
        loop(TransferType.BULK, 0x02, 0x82, 100);
    }

    @Test
    void interruptOutThenIn_loopsTheDataBack_eachCompletingOnce() throws BackendException {
        loop(TransferType.INTERRUPT, 0x03, 0x83, 8);
    }

    private void loop(TransferType type, int out, int in, int n) throws BackendException {
        Counted w = data(type, out, pattern(n, 5));
        complete(w);
        assertThat(w.t.status()).isEqualTo(PacketStatus.OK);
        assertThat(w.t.actualLength()).isEqualTo(n);
        Counted r = data(type, in, ByteBuffer.allocate(n));
        complete(r);
        assertThat(r.t.status()).isEqualTo(PacketStatus.OK);
        assertThat(r.t.actualLength()).isEqualTo(n);
        assertThat(r.t.buffer().rewind()).isEqualTo(pattern(n, 5));
    }

    @Test
    void bulkInWithNothingToRead_staysPending_thenCancelCompletesItOnce() throws BackendException {
        pendingThenCancelled(TransferType.BULK, 0x82, 64);
    }

    @Test
    void interruptInWithNothingToRead_staysPending_thenCancelCompletesItOnce() throws BackendException {
        pendingThenCancelled(TransferType.INTERRUPT, 0x83, 8);
    }

    private void pendingThenCancelled(TransferType type, int in, int n) throws BackendException {
        Counted r = data(type, in, ByteBuffer.allocate(n));
        device.submit(r.t);
        harness.runFrames(50);
        assertThat(r.completions).as("a NAKed IN stays pending").hasValue(0);
        device.cancel(r.t);
        runUntil(() -> r.completions.get() > 0, "the cancelled transfer's completion");
        device.cancel(r.t); // again, after completion: nothing
        harness.runFrames(5);
        assertThat(r.completions).hasValue(1);
        assertThat(r.t.status()).isEqualTo(PacketStatus.CANCELED);
        assertThat(r.t.actualLength()).isZero();
    }

    // ---- isochronous --------------------------------------------------------------------------------

    @Test
    void isochronousOut_completesOnce_everyPacketSent() throws BackendException {
        selectAlternateSetting(0, 1);
        Counted c = isochronous(0x01, 8, 64);
        complete(c);
        for (int k = 0; k < 8; k++) {
            assertThat(c.t.packetStatus(k)).as("packet %d", k).isEqualTo(PacketStatus.OK);
            assertThat(c.t.packetActual(k)).as("packet %d", k).isEqualTo(64);
        }
        assertThat(c.t.actualLength()).isEqualTo(8 * 64);
    }

    @Test
    void isochronousIn_completesOnce_everyPacketReceived() throws BackendException {
        selectAlternateSetting(0, 1);
        Counted c = isochronous(0x81, 8, 512);
        complete(c);
        int total = 0;
        for (int k = 0; k < 8; k++) {
            assertThat(c.t.packetStatus(k)).as("packet %d", k).isEqualTo(PacketStatus.OK);
            assertThat(c.t.packetActual(k)).as("packet %d", k).isEqualTo(512);
            total += c.t.packetActual(k);
        }
        assertThat(c.t.actualLength()).isEqualTo(total);
    }

    /** A cancelled batch: what ran is OK, the packets it never reached report NOT_ACCESSED, in order. */
    @Test
    void cancelledIsochronousBatch_completesOnce_packetsNeverReachedAreNotAccessed() throws BackendException {
        selectAlternateSetting(0, 1);
        Counted c = isochronous(0x81, 128, 512);
        device.submit(c.t);
        harness.runFrames(30);
        device.cancel(c.t);
        runUntil(() -> c.completions.get() > 0, "the cancelled batch's completion");
        harness.runFrames(5);
        assertThat(c.completions).hasValue(1);
        assertThat(c.t.status()).isEqualTo(PacketStatus.CANCELED);
        boolean reachedEnd = false;
        for (int k = 0; k < 128; k++) {
            PacketStatus s = c.t.packetStatus(k);
            assertThat(s).as("packet %d", k).isIn(PacketStatus.OK, PacketStatus.NOT_ACCESSED, PacketStatus.CANCELED);
            if (s != PacketStatus.OK) {
                reachedEnd = true;
                assertThat(c.t.packetActual(k))
                        .as("bytes of packet %d, never run", k)
                        .isZero();
            } else {
                assertThat(reachedEnd)
                        .as("packet %d ran after one that did not", k)
                        .isFalse();
            }
        }
        assertThat(c.t.packetStatus(127))
                .as("the last packet was never reached")
                .isEqualTo(PacketStatus.NOT_ACCESSED);
    }

    /** A batch whose start frame is already past: the packets whose interval is over report NOT_ACCESSED. */
    @Test
    void lateIsochronousBatch_packetsWhoseFrameIsPast_areNotAccessed() throws BackendException {
        assumeTrue(
                harness.isVirtual(),
                "usbfs has no start frame: it schedules every batch ASAP, so no packet of it can be late");
        selectAlternateSetting(0, 1);
        Counted c = new Counted();
        int[] lengths = new int[8];
        Arrays.fill(lengths, 64);
        long start = backend.clock().currentFrame() - 3;
        c.t.isochronous(0x01, ByteBuffer.allocate(8 * 64), 0, start, 1, lengths, 8);
        complete(c);
        for (int k = 0; k < 8; k++) {
            assertThat(c.t.packetStatus(k))
                    .as("packet %d", k)
                    .isEqualTo(k < 3 ? PacketStatus.NOT_ACCESSED : PacketStatus.OK);
        }
    }

    // ---- the device leaves --------------------------------------------------------------------------

    @Test
    void deviceGoneMidTransfer_completesEveryPendingTransferOnce_andLaterSubmissionsAreRefused()
            throws BackendException {
        selectAlternateSetting(0, 1);
        Counted bulk = data(TransferType.BULK, 0x82, ByteBuffer.allocate(64));
        Counted iso = isochronous(0x81, 128, 512);
        device.submit(bulk.t);
        device.submit(iso.t);
        harness.runFrames(20);
        harness.unplug(plugged);
        runUntil(
                () -> bulk.completions.get() > 0 && iso.completions.get() > 0 && !detached.isEmpty(),
                "both completions and the departure");
        harness.runFrames(5);
        assertThat(bulk.completions).hasValue(1);
        assertThat(iso.completions).hasValue(1);
        assertThat(bulk.t.status()).isEqualTo(PacketStatus.DEVICE_GONE);
        assertThat(iso.t.status()).isEqualTo(PacketStatus.DEVICE_GONE);
        assertThat(iso.t.packetStatus(127)).isEqualTo(PacketStatus.NOT_ACCESSED);
        assertThat(detached).containsExactly(device);

        Counted late = control(0x80, 6, 0x0100, 0, ByteBuffer.allocate(18));
        assertThatThrownBy(() -> device.submit(late.t))
                .isInstanceOf(BackendException.class)
                .satisfies(e -> assertThat(((BackendException) e).status()).isEqualTo(PacketStatus.DEVICE_GONE));
        assertThat(late.t.phase()).isEqualTo(BackendTransfer.Phase.PREPARED);
        harness.runFrames(5);
        assertThat(late.completions).hasValue(0);
    }

    // ---- the transfer object ------------------------------------------------------------------------

    @Test
    void aCompletedTransfer_isSubmittedAgain_andCompletesOnceEachTime() throws BackendException {
        Counted c = new Counted();
        for (int i = 1; i <= 3; i++) {
            c.t.control(0, new UsbDeviceRequest(0x80, 6, 0x0100, 0, 18).toBytes(), ByteBuffer.allocate(18), 0, 18);
            device.submit(c.t);
            int expected = i;
            runUntil(() -> c.completions.get() >= expected, "completion " + i);
            assertThat(c.t.status()).isEqualTo(PacketStatus.OK);
        }
        harness.runFrames(5);
        assertThat(c.completions).hasValue(3);
    }

    @Test
    void aSubmissionTheBackendRefuses_throws_andNeverCompletes() throws BackendException {
        Counted c = data(TransferType.BULK, 0x85, ByteBuffer.allocate(64)); // no such endpoint
        assertThatThrownBy(() -> device.submit(c.t)).isInstanceOf(BackendException.class);
        assertThat(c.t.phase()).isEqualTo(BackendTransfer.Phase.PREPARED);
        harness.runFrames(20);
        assertThat(c.completions).hasValue(0);
    }

    /**
     * A request whose bytes do not lie within its buffer is refused before it reaches native code or a device model:
     * packet lengths that add up to more than the buffer (as when a caller's array changed after the runtime checked
     * it), a negative packet length, bulk data past the buffer's end. Nothing is written beyond the buffer.
     */
    @Test
    void aRequestLargerThanItsBuffer_isRefused_andNothingIsWrittenPastIt() throws BackendException {
        selectAlternateSetting(0, 1);
        ByteBuffer whole = ByteBuffer.allocateDirect(8 * 64 + 16);
        ByteBuffer shortBuffer = whole.slice(0, 8 * 64 - 1);
        int[] lengths = new int[8];
        Arrays.fill(lengths, 64);
        long start = backend.clock().currentFrame() + 8;
        Counted iso = new Counted();
        iso.t.isochronous(0x81, shortBuffer, 0, start, 1, lengths, 8);
        lengths[3] = -64;
        Counted negative = new Counted();
        negative.t.isochronous(0x81, ByteBuffer.allocateDirect(8 * 64), 0, start, 1, lengths, 8);
        Counted bulk = new Counted();
        bulk.t.bulk(TransferType.BULK, 0x82, shortBuffer, 64, 8 * 64, false);
        for (Counted c : List.of(iso, negative, bulk)) {
            assertThatThrownBy(() -> device.submit(c.t)).isInstanceOf(BackendException.class);
            assertThat(c.t.phase()).isEqualTo(BackendTransfer.Phase.PREPARED);
        }
        harness.runFrames(20);
        for (Counted c : List.of(iso, negative, bulk)) {
            assertThat(c.completions).hasValue(0);
        }
        for (int i = shortBuffer.capacity(); i < whole.capacity(); i++) {
            assertThat(whole.get(i)).as("byte %d, past the buffer", i).isZero();
        }
    }

    @Test
    void submittingAPendingTransferAgain_isRejected_andItStillCompletesOnce() throws BackendException {
        Counted r = data(TransferType.BULK, 0x82, ByteBuffer.allocate(64));
        device.submit(r.t);
        assertThatThrownBy(() -> device.submit(r.t)).isInstanceOf(IllegalStateException.class);
        device.cancel(r.t);
        runUntil(() -> r.completions.get() > 0, "the completion");
        harness.runFrames(5);
        assertThat(r.completions).hasValue(1);
    }

    @Test
    void cancellingATransferThatIsNotSubmitted_doesNothing() throws BackendException {
        Counted c = control(0x80, 6, 0x0100, 0, ByteBuffer.allocate(18));
        device.cancel(c.t); // prepared, never submitted
        complete(c);
        device.cancel(c.t); // completed
        harness.runFrames(5);
        assertThat(c.completions).hasValue(1);
        assertThat(c.t.status()).isEqualTo(PacketStatus.OK);
    }
}
