package io.github.usbd4j.libusb;

import io.github.usbd4j.host.spi.BackendTransfer;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.usb4java.IsoPacketDescriptor;
import org.usb4java.LibUsb;
import org.usb4java.Transfer;

/**
 * The Java side of one isochronous transfer on the usb4java backend, on this machine's CPU (no device, no
 * libusb context: the libusb transfers are prepared and their results read, never submitted). In this
 * package because {@code NativeTransfer} is the backend's own.
 *
 * <ul>
 *   <li>{@code backend}: the backend's work per transfer: the request filled in ({@code
 *       BackendTransfer.isochronous}), the libusb transfer prepared, its results read into the request;
 *       with {@code fields} = {@code inPlace} (the default where {@code TransferStruct} is available) or
 *       {@code accessors} (usb4java's JNI accessors, as with {@code -Dusbd4j.libusb.directFields=false});
 *   <li>{@code usb4javaCareful}: what a careful hand-written usb4java loop does per completed transfer:
 *       the transfer's status and each packet's actual length and status through packet descriptors fetched
 *       once;
 *   <li>{@code usb4javaObvious}: the same with {@code isoPacketDesc()} fetched per transfer, as usb4java's
 *       examples do.
 * </ul>
 *
 * <p>A stream alternates its buffers (four here), as a CE driver's slots do through the pooled transfers.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class LibusbTransferFieldsBenchmark {
    private static final int PACKET = 512;

    private static void requireUsb4java() {
        if (!LibusbHostController.isAvailable()) {
            throw new IllegalStateException("usb4java does not load here: "
                    + LibusbHostController.unavailabilityCause().orElseThrow());
        }
    }

    /** A pooled backend transfer and the four buffers a stream alternates. */
    @State(Scope.Thread)
    public static class Backend {
        @Param({"8", "64"})
        public int packets;

        @Param({"inPlace", "accessors"})
        public String fields;

        final BackendTransfer request = new BackendTransfer(t -> {});
        NativeTransfer nativeTransfer;
        final ByteBuffer[] buffers = new ByteBuffer[4];
        int next;
        int[] lengths;

        @Setup
        public void setUp() {
            requireUsb4java();
            boolean inPlace = fields.equals("inPlace");
            if (inPlace && !TransferStruct.available()) {
                throw new IllegalStateException("fields in place are not available here: "
                        + TransferStruct.unavailabilityCause().orElseThrow());
            }
            nativeTransfer = new NativeTransfer(null, request, inPlace);
            lengths = new int[packets];
            Arrays.fill(lengths, PACKET);
            for (int i = 0; i < buffers.length; i++) {
                buffers[i] = ByteBuffer.allocateDirect(packets * PACKET);
            }
        }

        @TearDown
        public void tearDown() {
            nativeTransfer.free();
        }
    }

    /** A libusb transfer filled once, its packet descriptors fetched once, as a careful user does. */
    @State(Scope.Thread)
    public static class Raw {
        @Param({"8", "64"})
        public int packets;

        Transfer transfer;
        IsoPacketDescriptor[] descriptors;

        @Setup
        public void setUp() {
            requireUsb4java();
            transfer = LibUsb.allocTransfer(packets);
            LibUsb.fillIsoTransfer(
                    transfer,
                    null,
                    (byte) 0x81,
                    ByteBuffer.allocateDirect(packets * PACKET),
                    packets,
                    t -> {},
                    null,
                    0);
            LibUsb.setIsoPacketLengths(transfer, PACKET);
            descriptors = transfer.isoPacketDesc();
        }

        @TearDown
        public void tearDown() {
            LibUsb.freeTransfer(transfer);
        }
    }

    /**
     * The backend's Java side of one transfer.
     *
     * @param s the pooled transfer
     * @return a result, so that nothing is optimised away
     */
    @Benchmark
    public int backend(Backend s) {
        ByteBuffer b = s.buffers[s.next];
        s.next = (s.next + 1) & 3;
        BackendTransfer request = s.request;
        request.isochronous(0x81, b, 0, 0, 1, s.lengths, s.packets);
        request.accept();
        s.nativeTransfer.prepare(null);
        s.nativeTransfer.assumeSubmitted();
        s.nativeTransfer.readResults();
        request.complete();
        return request.actualLength();
    }

    /**
     * A careful usb4java loop's reads of one completed transfer.
     *
     * @param s the libusb transfer
     * @return a result, so that nothing is optimised away
     */
    @Benchmark
    public int usb4javaCareful(Raw s) {
        int sum = s.transfer.status();
        for (int k = 0; k < s.packets; k++) {
            sum += s.descriptors[k].actualLength() + s.descriptors[k].status();
        }
        return sum;
    }

    /**
     * The same reads with the packet descriptors fetched per transfer.
     *
     * @param s the libusb transfer
     * @return a result, so that nothing is optimised away
     */
    @Benchmark
    public int usb4javaObvious(Raw s) {
        int sum = s.transfer.status();
        IsoPacketDescriptor[] d = s.transfer.isoPacketDesc();
        for (int k = 0; k < s.packets; k++) {
            sum += d[k].actualLength() + d[k].status();
        }
        return sum;
    }
}
