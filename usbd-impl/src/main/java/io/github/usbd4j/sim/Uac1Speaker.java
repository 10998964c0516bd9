package io.github.usbd4j.sim;

import io.github.usbd4j.descriptor.ConfigurationBuilder;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.usb.UsbDeviceDescriptor;
import io.github.usbd4j.usb.UsbDeviceRequest;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A USB Audio 1.0 speaker, 0x1209:0x0002, full speed: 44.1 or 48 kHz, 16-bit, stereo PCM on
 * isochronous OUT endpoint 0x01 (adaptive, 9-byte audio endpoint descriptor, {@code wMaxPacketSize} 192,
 * bInterval 1) in interface 1 alternate setting 1. It records every byte it receives with the frame it
 * arrived in, unscaled. Answers SET_CUR/GET_CUR of the endpoint's sampling frequency control, and of the
 * feature unit {@value #FEATURE_UNIT} between the streaming terminal and the speaker: mute on the master
 * channel, volume on channels 1 and 2 ({@value #VOLUME_MIN} to {@value #VOLUME_MAX} in 1/256 dB,
 * GET_MIN/GET_MAX/GET_RES too).
 */
public final class Uac1Speaker extends DeviceModel {
    /** Product ID. */
    public static final int PRODUCT_ID = 0x0002;
    /** Bytes per 1 ms frame at 48 kHz, 16-bit stereo. */
    public static final int BYTES_PER_FRAME = 192;
    /** The feature unit's {@code bUnitID}. */
    public static final int FEATURE_UNIT = 3;
    /** The lowest volume, -64 dB in 1/256 dB. */
    public static final int VOLUME_MIN = -64 * 256;
    /** The highest volume, 0 dB. */
    public static final int VOLUME_MAX = 0;
    /** The volume's resolution, 1 dB. */
    public static final int VOLUME_RES = 256;

    /**
     * One OUT packet as received.
     *
     * @param frame the bus frame it arrived in
     * @param offset where its bytes start in {@link #recordedPcm()}
     * @param length its length
     */
    public record Packet(long frame, int offset, int length) {}

    private byte[] pcm = new byte[64 * 1024];
    private int pcmLength;
    private final List<Packet> packets = new ArrayList<>();
    private int sampleRate = 48_000;
    private boolean muted;
    private final int[] volume = {VOLUME_MAX, VOLUME_MAX};

    private final EndpointHandler sink = new EndpointHandler() {
        @Override
        public void out(long frame, int microframe, ByteBuffer data) {
            record(frame, data);
        }
    };

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
                .classSpecific(9, 0x24, 0x01, 0x00, 0x01, 40, 0, 1, 1) // AC header, 1 streaming interface
                .classSpecific(12, 0x24, 0x02, 1, 0x01, 0x01, 0, 2, 0x03, 0x00, 0, 0) // input terminal: USB streaming
                // feature unit 3 from terminal 1: mute on the master channel, volume on channels 1 and 2
                .classSpecific(10, 0x24, 0x06, FEATURE_UNIT, 1, 1, 0x01, 0x02, 0x02, 0)
                .classSpecific(9, 0x24, 0x03, 2, 0x01, 0x03, 0, FEATURE_UNIT, 0) // output terminal: speaker
                .iface(1, 0, 0x01, 0x02, 0)
                .iface(1, 1, 0x01, 0x02, 0)
                .classSpecific(7, 0x24, 0x01, 1, 1, 0x01, 0x00) // AS general: PCM from terminal 1
                // type I, 2 ch, 16 bit, 44100 and 48000 Hz
                .classSpecific(14, 0x24, 0x02, 1, 2, 2, 16, 2, 0x44, 0xAC, 0x00, 0x80, 0xBB, 0x00)
                .audioEndpoint(0x01, 0x09, BYTES_PER_FRAME, 1, 0, 0)
                .classSpecific(7, 0x25, 0x01, 0x01, 0, 0, 0) // CS endpoint: sampling frequency control
                .build());
    }

    @Override
    public String string(int index) {
        return switch (index) {
            case 1 -> "usbd4j";
            case 2 -> "UAC1 Speaker";
            default -> null;
        };
    }

    @Override
    public synchronized ControlResponse control(UsbDeviceRequest setup, ByteBuffer dataOut) {
        boolean samplingFrequency =
                setup.recipient() == 0x02 && setup.wValue() == 0x0100 && (setup.wIndex() & 0x8F) == 0x01;
        if (samplingFrequency
                && setup.bmRequestType() == 0x22
                && setup.bRequest() == 0x01
                && dataOut.remaining() >= 3) {
            sampleRate = (dataOut.get(0) & 0xFF) | (dataOut.get(1) & 0xFF) << 8 | (dataOut.get(2) & 0xFF) << 16;
            return ControlResponse.ack();
        }
        if (samplingFrequency && setup.bmRequestType() == 0xA2 && setup.bRequest() == 0x81) {
            return ControlResponse.data((byte) sampleRate, (byte) (sampleRate >>> 8), (byte) (sampleRate >>> 16));
        }
        if (setup.wIndex() == (FEATURE_UNIT << 8)) {
            return featureUnit(setup, dataOut);
        }
        return ControlResponse.stall();
    }

    /** UAC1 §5.2.2.4: SET_CUR/GET_CUR of mute (channel 0), GET_CUR/MIN/MAX/RES and SET_CUR of volume (1, 2). */
    private ControlResponse featureUnit(UsbDeviceRequest setup, ByteBuffer dataOut) {
        int selector = setup.wValue() >>> 8;
        int channel = setup.wValue() & 0xFF;
        boolean set = setup.bmRequestType() == 0x21 && setup.bRequest() == 0x01;
        boolean get = setup.bmRequestType() == 0xA1;
        if (selector == 1 && channel == 0) {
            if (set && dataOut.remaining() >= 1) {
                muted = dataOut.get(0) != 0;
                return ControlResponse.ack();
            }
            return get && setup.bRequest() == 0x81
                    ? ControlResponse.data((byte) (muted ? 1 : 0))
                    : ControlResponse.stall();
        }
        if (selector != 2 || channel < 1 || channel > 2) {
            return ControlResponse.stall();
        }
        if (set && dataOut.remaining() >= 2) {
            int v = (short) ((dataOut.get(0) & 0xFF) | (dataOut.get(1) & 0xFF) << 8);
            if (v < VOLUME_MIN || v > VOLUME_MAX) {
                return ControlResponse.stall();
            }
            volume[channel - 1] = v;
            return ControlResponse.ack();
        }
        if (!get) {
            return ControlResponse.stall();
        }
        int v = switch (setup.bRequest()) {
            case 0x81 -> volume[channel - 1];
            case 0x82 -> VOLUME_MIN;
            case 0x83 -> VOLUME_MAX;
            case 0x84 -> VOLUME_RES;
            default -> Integer.MIN_VALUE;
        };
        return v == Integer.MIN_VALUE ? ControlResponse.stall() : ControlResponse.data((byte) v, (byte) (v >>> 8));
    }

    @Override
    public EndpointHandler endpoint(int address) {
        return address == 0x01 ? sink : null;
    }

    /** The sampling frequency the host last set (48000 until then). */
    public synchronized int sampleRate() {
        return sampleRate;
    }

    /** Whether the host muted the speaker (not muted until then). */
    public synchronized boolean isMuted() {
        return muted;
    }

    /**
     * The volume the host last set on a channel, in 1/256 dB ({@value #VOLUME_MAX} until then). The
     * recorded samples are not scaled by it.
     *
     * @param channel 1 or 2
     * @return the volume
     */
    public synchronized int volume(int channel) {
        return volume[channel - 1];
    }

    /** Every PCM byte received, in order. */
    public synchronized byte[] recordedPcm() {
        return Arrays.copyOf(pcm, pcmLength);
    }

    /** Every packet received, in order, with its frame. */
    public synchronized List<Packet> receivedPackets() {
        return List.copyOf(packets);
    }

    private synchronized void record(long frame, ByteBuffer data) {
        int n = data.remaining();
        if (pcmLength + n > pcm.length) {
            pcm = Arrays.copyOf(pcm, Math.max(pcm.length * 2, pcmLength + n));
        }
        data.get(pcm, pcmLength, n);
        packets.add(new Packet(frame, pcmLength, n));
        pcmLength += n;
    }
}
