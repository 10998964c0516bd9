package io.github.usbd4j.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.usbd4j.host.spi.PacketStatus;
import io.github.usbd4j.sim.EndpointHandler;
import io.github.usbd4j.sim.ReplayDevice;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Captures no well-behaved device gives, written record by record ({@link SyntheticCapture}), replayed:
 * configuration descriptors that disagree with themselves, IN completions with error statuses, completions
 * before their submissions, repeated URB ids, and records that kept only part of their packets.
 */
class ReplayDeviceEdgesTest {
    @TempDir
    Path dir;

    private static byte[] deviceDescriptor() {
        return new byte[] {18, 1, 0, 2, 0, 0, 0, 64, 0x34, 0x12, 0x78, 0x56, 0, 1, 0, 0, 0, 1};
    }

    /**
     * Interface 0: bulk IN 0x82 and interrupt IN 0x83 ({@code endpointsOfInterface0} claimed); interface 1
     * alternate setting 1: isochronous IN 0x81 of {@code isoMaxPacket}; {@code wTotalLength} off by {@code
     * totalError}.
     */
    private static byte[] configuration(int isoMaxPacket, int endpointsOfInterface0, int totalError) {
        byte[] c = {
            9,
            2,
            0,
            0,
            2,
            1,
            0,
            (byte) 0x80,
            50,
            9,
            4,
            0,
            0,
            (byte) endpointsOfInterface0,
            (byte) 0xFF,
            0,
            0,
            0,
            7,
            5,
            (byte) 0x82,
            2,
            64,
            0,
            0,
            7,
            5,
            (byte) 0x83,
            3,
            8,
            0,
            1,
            9,
            4,
            1,
            0,
            0,
            (byte) 0xFF,
            0,
            0,
            0,
            9,
            4,
            1,
            1,
            1,
            (byte) 0xFF,
            0,
            0,
            0,
            7,
            5,
            (byte) 0x81,
            5,
            (byte) isoMaxPacket,
            (byte) (isoMaxPacket >> 8),
            1
        };
        int total = c.length + totalError;
        c[2] = (byte) total;
        c[3] = (byte) (total >> 8);
        return c;
    }

    /** A capture of device 1.5's enumeration: its device descriptor, then the configuration's header and whole. */
    private static SyntheticCapture enumeration(byte[] configuration) {
        return new SyntheticCapture(1, 5)
                .getDescriptor(1, 0, deviceDescriptor())
                .getDescriptor(2, 0, Arrays.copyOf(configuration, 9))
                .getDescriptor(2, 0, configuration);
    }

    @Test
    void configurationsThatDisagreeWithThemselves_failTheBuildWithAClearError() throws Exception {
        Object[][] cases = {
            {configuration(192, 2, 5), "does not hold configuration descriptor 0 of device 1.5 whole"},
            {configuration(192, 2, -5), "runs past the end"},
            {configuration(192, 2, -50), "runs past the end"},
            {configuration(192, 3, 0), "has bNumEndpoints 3 but 2 endpoint descriptors follow"},
            {configuration(192, 1, 0), "endpoint descriptor beyond bNumEndpoints 1"},
            {configuration(0x1C00, 2, 0), "reserved transaction count 3"},
        };
        for (Object[] c : cases) {
            Path file = enumeration((byte[]) c[0]).write(dir.resolve("bad.pcap"));
            assertThatThrownBy(() -> ReplayDevice.fromCapture(file))
                    .as((String) c[1])
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining((String) c[1]);
        }
        // an isochronous endpoint of 0 bytes (a zero-bandwidth setting) is a configuration a device may have
        Path zero = enumeration(configuration(0, 2, 0)).write(dir.resolve("zero.pcap"));
        assertThat(ReplayDevice.fromCapture(zero).configurationDescriptors()).hasSize(1);
    }

    @Test
    void bulkCompletions_replayInOrderWithTheirStatusesAndData_strayAndRepeatedRecordsAside() throws Exception {
        SyntheticCapture c = enumeration(configuration(192, 2, 0))
                .in(Usbmon.XFER_BULK, 0x82, Usbmon.EPROTO, new byte[] {1, 2, 3})
                .in(Usbmon.XFER_BULK, 0x82, Usbmon.EOVERFLOW, new byte[64]);
        long id = c.id();
        // a completion before its submission (a capture started mid-transfer) is no transfer of its own
        c.record(id, Usbmon.COMPLETE, Usbmon.XFER_BULK, 0x82, null, 0, 4, new byte[] {7, 7, 7, 7}, null);
        // the URB id submitted twice: the later submission is the one its completion answers
        c.record(id, Usbmon.SUBMIT, Usbmon.XFER_BULK, 0x82, null, Usbmon.EINPROGRESS, 64, new byte[0], null);
        c.record(id, Usbmon.SUBMIT, Usbmon.XFER_BULK, 0x82, null, Usbmon.EINPROGRESS, 64, new byte[0], null);
        c.record(id, Usbmon.COMPLETE, Usbmon.XFER_BULK, 0x82, null, 0, 2, new byte[] {5, 5}, null);
        ReplayDevice replay = ReplayDevice.fromCapture(c.write(dir.resolve("bulk.pcap")));
        assertThat(replay.capturedInPackets(0x82)).isEqualTo(3);

        EndpointHandler h = replay.endpoint(0x82);
        ByteBuffer b = ByteBuffer.allocate(64);
        assertThat(h.in(0, 0, b, 64)).isEqualTo(3);
        assertThat(h.inStatus()).isEqualTo(PacketStatus.BIT_STUFFING);
        assertThat(h.in(1, 0, b.clear(), 64)).isEqualTo(64);
        assertThat(h.inStatus()).isEqualTo(PacketStatus.DATA_OVERRUN);
        assertThat(h.in(2, 0, b.clear(), 64)).isEqualTo(2);
        assertThat(h.inStatus()).isEqualTo(PacketStatus.OK);
        assertThat(Arrays.copyOf(b.array(), 2)).containsExactly(5, 5);
        assertThat(h.in(3, 0, b.clear(), 64)).as("played once: then NAK").isEqualTo(EndpointHandler.NAK);
    }

    @Test
    void isochronousPacketsTheCaptureKeptInPart_replayWithTheBytesItKept() throws Exception {
        SyntheticCapture c = enumeration(configuration(192, 2, 0));
        byte[] kept = new byte[40];
        Arrays.fill(kept, (byte) 0x5A);
        long id = c.id();
        int[][] submitted = {{Usbmon.EXDEV, 0, 100}, {Usbmon.EXDEV, 100, 100}, {Usbmon.EXDEV, 200, 10}};
        c.record(
                id,
                Usbmon.SUBMIT,
                Usbmon.XFER_ISOCHRONOUS,
                0x81,
                null,
                Usbmon.EINPROGRESS,
                210,
                new byte[0],
                submitted);
        // packet 0 recorded 100 bytes but the record kept 40 (a snap length); packet 1 lies wholly past what
        // was kept; packet 2 points before the data
        int[][] completed = {{0, 0, 100}, {Usbmon.EILSEQ, 100, 100}, {0, -4, 3}};
        c.record(id, Usbmon.COMPLETE, Usbmon.XFER_ISOCHRONOUS, 0x81, null, 0, 200, kept, completed);
        ReplayDevice replay = ReplayDevice.fromCapture(c.write(dir.resolve("snap.pcap")));
        assertThat(replay.capturedInPackets(0x81)).isEqualTo(3);
        assertThat(replay.capturedInData(0x81)).as("the bytes the capture kept").isEqualTo(kept);

        EndpointHandler h = replay.endpoint(0x81);
        ByteBuffer b = ByteBuffer.allocate(192);
        assertThat(h.in(0, 0, b, 192)).isEqualTo(40);
        assertThat(h.inStatus()).isEqualTo(PacketStatus.OK);
        assertThat(h.in(1, 0, b.clear(), 192)).isZero();
        assertThat(h.inStatus()).as("the recorded status stays").isEqualTo(PacketStatus.CRC);
    }
}
