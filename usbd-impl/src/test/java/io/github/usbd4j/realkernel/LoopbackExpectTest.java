package io.github.usbd4j.realkernel;

import static io.github.usbd4j.ce.UsbTypes.USB_CRC_ERROR;
import static io.github.usbd4j.ce.UsbTypes.USB_NO_ERROR;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.usbd4j.sim.LoopbackDevice;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/**
 * The iso IN checker of the real-kernel stage (UsbIpScenarios.Expect) must catch a single wrong byte,
 * a wrong length, a packet error and a malformed pattern packet, or "bit-exact" would mean nothing.
 */
class LoopbackExpectTest {
    private static final int MPS = 512;

    /** Packet {@code n} as the loopback device returns it after it was written. */
    private static ByteBuffer queued(long n) {
        int length = UsbIpScenarios.lengthOf(n);
        ByteBuffer b = ByteBuffer.allocate(length);
        for (int i = 0; i < length; i++) {
            b.put(i, UsbIpScenarios.byteOf(n, i));
        }
        return b;
    }

    /** A pattern packet of the device at {@code frame}. */
    private static ByteBuffer pattern(long frame) {
        ByteBuffer b = ByteBuffer.allocate(MPS);
        for (int i = 0; i < MPS; i++) {
            b.put(i, LoopbackDevice.pattern(frame, 0, i));
        }
        return b;
    }

    @Test
    void intactPackets_thenPatternPackets_pass() {
        UsbIpScenarios.Expect e = new UsbIpScenarios.Expect(100, 3);
        for (long n = 100; n < 103; n++) {
            ByteBuffer p = queued(n);
            e.packet(p, 0, p.capacity(), USB_NO_ERROR, "t");
        }
        e.packet(pattern(42), 0, MPS, USB_NO_ERROR, "t");
        assertThat(e.next).isEqualTo(103);
        assertThat(e.patternPackets).isEqualTo(1);
    }

    @Test
    void oneFlippedBit_fails() {
        UsbIpScenarios.Expect e = new UsbIpScenarios.Expect(7, 1);
        ByteBuffer p = queued(7);
        p.put(p.capacity() - 1, (byte) (p.get(p.capacity() - 1) ^ 0x10));
        assertThatThrownBy(() -> e.packet(p, 0, p.capacity(), USB_NO_ERROR, "t"))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("packet 7 byte " + (p.capacity() - 1) + " differs");
    }

    @Test
    void aMissingPacket_failsOnLength() {
        UsbIpScenarios.Expect e = new UsbIpScenarios.Expect(7, 2);
        ByteBuffer p = queued(8); // packet 7 lost: 8 arrives where 7 is expected
        assertThatThrownBy(() -> e.packet(p, 0, p.capacity(), USB_NO_ERROR, "t"))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("packet 7 length");
    }

    @Test
    void aPacketError_fails() {
        UsbIpScenarios.Expect e = new UsbIpScenarios.Expect(7, 1);
        ByteBuffer p = queued(7);
        assertThatThrownBy(() -> e.packet(p, 0, p.capacity(), USB_CRC_ERROR, "t"))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("USB_CRC_ERROR");
    }

    @Test
    void aCorruptPatternPacket_fails() {
        UsbIpScenarios.Expect e = new UsbIpScenarios.Expect(0, 0);
        ByteBuffer p = pattern(9);
        p.put(300, (byte) (p.get(300) + 1));
        assertThatThrownBy(() -> e.packet(p, 0, MPS, USB_NO_ERROR, "t"))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("pattern packet byte 300 differs");
    }
}
