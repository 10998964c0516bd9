package io.github.usbd4j.sim;

import io.github.usbd4j.descriptor.ConfigurationBuilder;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.usb.UsbDeviceDescriptor;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * A USB Audio 1.0 microphone, 0x1209:0x0003, full speed: 48 kHz, 16-bit mono PCM on isochronous IN
 * endpoint 0x81 (asynchronous, {@code wMaxPacketSize} 96, bInterval 1) in interface 1 alternate setting
 * 1. Every frame it sends 48 samples of {@link #expectedSample}: a sawtooth whose value tells where it
 * belongs, so a misplaced, dropped or repeated frame shows. Asked for fewer than 96 bytes, it babbles.
 */
public final class Uac1Microphone extends DeviceModel {
    /** Product ID. */
    public static final int PRODUCT_ID = 0x0003;
    /** Samples per 1 ms frame. */
    public static final int SAMPLES_PER_FRAME = 48;
    /** Bytes per frame. */
    public static final int BYTES_PER_FRAME = 2 * SAMPLES_PER_FRAME;

    private final EndpointHandler source = new EndpointHandler() {
        @Override
        public int in(long frame, int microframe, ByteBuffer dest, int maxLength) {
            for (int i = 0; i < SAMPLES_PER_FRAME && dest.remaining() >= 2; i++) {
                short s = expectedSample(frame, i);
                dest.put((byte) s).put((byte) (s >> 8));
            }
            return BYTES_PER_FRAME;
        }
    };

    /**
     * Sample {@code index} of the packet sent in {@code frame}: the low 16 bits of
     * {@code frame * 48 + index}, i.e. a sawtooth counting samples since frame 0.
     *
     * @param frame the bus frame
     * @param index 0..47
     * @return the sample
     */
    public static short expectedSample(long frame, int index) {
        return (short) (frame * SAMPLES_PER_FRAME + index);
    }

    /**
     * The 96 bytes (little-endian samples) sent in {@code frame}.
     *
     * @param frame the bus frame
     * @return the packet
     */
    public static byte[] expectedPacket(long frame) {
        byte[] b = new byte[BYTES_PER_FRAME];
        for (int i = 0; i < SAMPLES_PER_FRAME; i++) {
            short s = expectedSample(frame, i);
            b[2 * i] = (byte) s;
            b[2 * i + 1] = (byte) (s >> 8);
        }
        return b;
    }

    @Override
    public UsbSpeed speed() {
        return UsbSpeed.FULL;
    }

    @Override
    public UsbDeviceDescriptor deviceDescriptor() {
        return new UsbDeviceDescriptor(18, 1, 0x0110, 0, 0, 0, 64, 0x1209, PRODUCT_ID, 0x0100, 1, 2, 0, 1);
    }

    @Override
    public List<byte[]> configurationDescriptors() {
        return List.of(ConfigurationBuilder.configuration(1, 0x80, 50) // bus-powered, 100 mA
                .iface(0, 0, 0x01, 0x01, 0)
                .classSpecific(9, 0x24, 0x01, 0x00, 0x01, 30, 0, 1, 1) // AC header, 1 streaming interface
                .classSpecific(12, 0x24, 0x02, 1, 0x01, 0x02, 0, 1, 0x00, 0x00, 0, 0) // input terminal: microphone
                .classSpecific(9, 0x24, 0x03, 2, 0x01, 0x01, 0, 1, 0) // output terminal: USB streaming
                .iface(1, 0, 0x01, 0x02, 0)
                .iface(1, 1, 0x01, 0x02, 0)
                .classSpecific(7, 0x24, 0x01, 2, 1, 0x01, 0x00) // AS general: PCM to terminal 2
                .classSpecific(11, 0x24, 0x02, 1, 1, 2, 16, 1, 0x80, 0xBB, 0x00) // type I, 1 ch, 16 bit, 48000
                .audioEndpoint(0x81, 0x05, BYTES_PER_FRAME, 1, 0, 0)
                .classSpecific(7, 0x25, 0x01, 0x00, 0, 0, 0) // CS endpoint
                .build());
    }

    @Override
    public String string(int index) {
        return switch (index) {
            case 1 -> "usbd4j";
            case 2 -> "UAC1 Microphone";
            default -> null;
        };
    }

    @Override
    public EndpointHandler endpoint(int address) {
        return address == 0x81 ? source : null;
    }
}
